package dev.idempotency.contract;

import java.util.List;
import java.util.Objects;

/**
 * A validated idempotency key: 1 to {@value #MAX_LENGTH} visible ASCII characters (0x21-0x7E).
 *
 * <p>{@link #parseHeader(String)} reads a header value in either form the contract allows: bare
 * ({@code Idempotency-Key: 5f0c...}) or an RFC 8941 sf-string ({@code Idempotency-Key: "5f0c..."},
 * with {@code \"} and {@code \\} escapes). {@link #toHeaderValue()} writes the bare form, which
 * every server that follows the contract accepts.
 *
 * <p>Instances are immutable and threadsafe; equality is by value.
 */
public final class IdempotencyKey {
  /**
   * Upper bound on a key's length. 255 is the bound Stripe documents for its keys; it fits a UUID
   * (36) with ample room for a prefix, and bounds what a server hashes and stores per request.
   */
  public static final int MAX_LENGTH = 255;

  private final String value;

  private IdempotencyKey(String value) {
    this.value = value;
  }

  /**
   * Returns the key for an already unquoted value.
   *
   * @throws NullPointerException if {@code value} is null
   * @throws InvalidIdempotencyKeyException if it is empty, too long or not visible ASCII
   */
  public static IdempotencyKey of(String value) {
    Objects.requireNonNull(value, "value");
    String problem = syntaxProblem(value);
    if (problem != null) throw new InvalidIdempotencyKeyException(problem);
    return new IdempotencyKey(value);
  }

  /** Returns true if {@code value} is a valid unquoted key. */
  public static boolean isValid(String value) {
    return value != null && syntaxProblem(value) == null;
  }

  /**
   * Parses one {@code Idempotency-Key} header value, bare or as an RFC 8941 sf-string.
   * Surrounding spaces and tabs (optional whitespace) are ignored.
   *
   * @throws NullPointerException if {@code headerValue} is null
   * @throws InvalidIdempotencyKeyException if it is not a valid key in either form
   */
  public static IdempotencyKey parseHeader(String headerValue) {
    Objects.requireNonNull(headerValue, "headerValue");
    String v = trimOws(headerValue);
    if (v.startsWith("\"")) {
      return of(unquoteSfString(v));
    }
    return of(v);
  }

  /**
   * Parses every {@code Idempotency-Key} value a request carried. Exactly one is allowed: the
   * contract treats a repeated header as invalid, since two values cannot both name the action.
   *
   * @return the key, or null if {@code headerValues} is empty (the key is missing)
   * @throws InvalidIdempotencyKeyException if there are several values or the one is invalid
   */
  public static IdempotencyKey parseHeaders(List<String> headerValues) {
    Objects.requireNonNull(headerValues, "headerValues");
    if (headerValues.isEmpty()) return null;
    if (headerValues.size() > 1) {
      throw new InvalidIdempotencyKeyException(
          "Idempotency-Key was sent " + headerValues.size() + " times; send it once");
    }
    String only = headerValues.get(0);
    if (only == null) throw new InvalidIdempotencyKeyException("Idempotency-Key is null");
    return parseHeader(only);
  }

  /** The key, unquoted. */
  public String value() {
    return value;
  }

  /** The bare header form of this key. */
  public String toHeaderValue() {
    return value;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof IdempotencyKey && ((IdempotencyKey) o).value.equals(value);
  }

  @Override
  public int hashCode() {
    return value.hashCode();
  }

  @Override
  public String toString() {
    return value;
  }

  private static String syntaxProblem(String value) {
    if (value.isEmpty()) return "Idempotency-Key is empty";
    if (value.length() > MAX_LENGTH) {
      return "Idempotency-Key is " + value.length() + " characters; at most " + MAX_LENGTH
          + " are allowed";
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < 0x21 || c > 0x7E) {
        return "Idempotency-Key has a character that is not visible ASCII at index " + i
            + " (0x" + Integer.toHexString(c) + ")";
      }
    }
    return null;
  }

  private static String trimOws(String s) {
    int start = 0;
    int end = s.length();
    while (start < end && (s.charAt(start) == ' ' || s.charAt(start) == '\t')) start++;
    while (end > start && (s.charAt(end - 1) == ' ' || s.charAt(end - 1) == '\t')) end--;
    return s.substring(start, end);
  }

  /** RFC 8941 section 4.2.5: a string is DQUOTE *(unescaped / "\" ( DQUOTE / "\" )) DQUOTE. */
  private static String unquoteSfString(String v) {
    StringBuilder out = new StringBuilder(v.length());
    int i = 1;
    while (true) {
      if (i >= v.length()) {
        throw new InvalidIdempotencyKeyException("Idempotency-Key has an unterminated quoted string");
      }
      char c = v.charAt(i++);
      if (c == '\\') {
        if (i >= v.length()) {
          throw new InvalidIdempotencyKeyException("Idempotency-Key ends inside an escape");
        }
        char next = v.charAt(i++);
        if (next != '"' && next != '\\') {
          throw new InvalidIdempotencyKeyException(
              "Idempotency-Key has an invalid escape \\" + next + " (only \\\" and \\\\ are allowed)");
        }
        out.append(next);
      } else if (c == '"') {
        if (i != v.length()) {
          throw new InvalidIdempotencyKeyException(
              "Idempotency-Key has characters after its closing quote");
        }
        return out.toString();
      } else if (c < 0x20 || c > 0x7E) {
        throw new InvalidIdempotencyKeyException(
            "Idempotency-Key has a character that is not visible ASCII (0x"
                + Integer.toHexString(c) + ")");
      } else {
        out.append(c);
      }
    }
  }
}
