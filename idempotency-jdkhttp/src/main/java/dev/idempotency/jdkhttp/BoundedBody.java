package dev.idempotency.jdkhttp;

import com.sun.net.httpserver.Headers;
import java.util.List;

/**
 * What a request's framing headers say of its body; the layer reads it ({@code
 * IdempotencyHttpLayer.readBody}), never more than its limit plus one byte.
 */
final class BoundedBody {
  private BoundedBody() {}

  /** The request's Content-Length, or -1 if it has none or not exactly one that is a number. */
  static long contentLength(Headers headers) {
    List<String> values = headers.get("Content-Length");
    if (values == null || values.size() != 1) return -1;
    try {
      return Long.parseLong(values.get(0).trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** Whether body bytes may follow the headers: chunked, or a Content-Length other than 0. */
  static boolean mayFollow(Headers headers) {
    return headers.containsKey("Transfer-Encoding")
        || (headers.containsKey("Content-Length") && contentLength(headers) != 0);
  }
}
