package dev.idempotency.contract;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * An RFC 9457 problem answer of the contract: {@code type}, {@code title}, {@code status} and
 * {@code detail}. {@link #toJson()} writes it without any JSON library.
 *
 * <p>Instances are immutable and threadsafe.
 */
public final class Problem {
  private final ProblemType type;
  private final int status;
  private final String detail;

  private Problem(ProblemType type, int status, String detail) {
    this.type = type;
    this.status = status;
    this.detail = detail;
  }

  /** A problem with the type's default status. */
  public static Problem of(ProblemType type, String detail) {
    Objects.requireNonNull(type, "type");
    return new Problem(type, type.status(), Objects.requireNonNull(detail, "detail"));
  }

  /** A problem with another status than the type's default (e.g. 425 for in-progress). */
  public static Problem of(ProblemType type, int status, String detail) {
    Objects.requireNonNull(type, "type");
    if (status < 400 || status > 599) {
      throw new IllegalArgumentException("a problem status is 4xx or 5xx: " + status);
    }
    return new Problem(type, status, Objects.requireNonNull(detail, "detail"));
  }

  public ProblemType type() {
    return type;
  }

  public int status() {
    return status;
  }

  public String title() {
    return type.title();
  }

  public String detail() {
    return detail;
  }

  /** The JSON body of this problem. */
  public String toJson() {
    StringBuilder b = new StringBuilder(128 + detail.length());
    b.append("{\"type\":");
    appendJsonString(b, type.uri());
    b.append(",\"title\":");
    appendJsonString(b, type.title());
    b.append(",\"status\":").append(status);
    b.append(",\"detail\":");
    appendJsonString(b, detail);
    b.append('}');
    return b.toString();
  }

  /** The JSON body of this problem, UTF-8 encoded. */
  public byte[] toJsonBytes() {
    return toJson().getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public String toString() {
    return "Problem" + toJson();
  }

  private static void appendJsonString(StringBuilder b, String s) {
    b.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"': b.append("\\\""); break;
        case '\\': b.append("\\\\"); break;
        case '\n': b.append("\\n"); break;
        case '\r': b.append("\\r"); break;
        case '\t': b.append("\\t"); break;
        default:
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
      }
    }
    b.append('"');
  }
}
