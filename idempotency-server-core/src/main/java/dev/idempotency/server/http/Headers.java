package dev.idempotency.server.http;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** Header map helpers shared by the two views. Header names compare case-insensitively. */
final class Headers {
  private Headers() {}

  /** An unmodifiable copy that keeps the order of {@code headers}; rejects null names and values. */
  static Map<String, List<String>> copyOf(Map<String, List<String>> headers) {
    Objects.requireNonNull(headers, "headers");
    Map<String, List<String>> copy = new LinkedHashMap<>();
    for (Map.Entry<String, List<String>> e : headers.entrySet()) {
      String name = Objects.requireNonNull(e.getKey(), "header name");
      List<String> values = e.getValue();
      // Plain checks: a message supplier would be a new object per header of every request.
      if (values == null) throw new NullPointerException("values of header " + name);
      for (String value : values) {
        if (value == null) throw new NullPointerException("a value of header " + name);
      }
      copy.put(name, List.copyOf(values));
    }
    return Collections.unmodifiableMap(copy);
  }

  /**
   * Every value of the header called {@code name}, in any case, in map order; an empty list if
   * there is none. Two map entries that differ only in case both count. {@code headers} is a map
   * made by {@link #copyOf}: its value lists are unmodifiable, and one is returned as it is when
   * a single entry matches (the usual case).
   */
  static List<String> values(Map<String, List<String>> headers, String name) {
    Objects.requireNonNull(name, "name");
    List<String> first = null;
    List<String> merged = null;
    for (Map.Entry<String, List<String>> e : headers.entrySet()) {
      if (e.getKey().equalsIgnoreCase(name)) {
        if (first == null) {
          first = e.getValue();
        } else {
          if (merged == null) merged = new ArrayList<>(first);
          merged.addAll(e.getValue());
        }
      }
    }
    if (merged != null) return Collections.unmodifiableList(merged);
    return first == null ? List.of() : first;
  }
}
