package dev.idempotency.contract;

import java.util.List;
import java.util.Objects;

/**
 * A validated idempotency key: 1 to {@value #MAX_LENGTH} visible ASCII characters (0x21-0x7E).
 *
 * <p>{@link #parseHeader(String)} reads a header value in either form the contract allows: bare
 * ({@code Idempotency-Key: 5f0c...}) or an RFC 8941 sf-string ({@code Idempotency-Key: "5f0c..."},
 * with {@code \"} and {@code \\} escapes), which may carry parameters
 * ({@code "5f0c...";v=1}): the key is the string, the parameters are checked for syntax and
 * ignored. The bare form is the whole value: {@code ;} and {@code =} are visible ASCII a key may
 * hold, so {@code abc;v=1} is the key {@code abc;v=1}. {@link #toHeaderValue()} writes the bare
 * form, which every server that follows the contract accepts.
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
   * Parses one {@code Idempotency-Key} header value, bare or as an RFC 8941 sf-string with or
   * without parameters. Surrounding spaces and tabs (optional whitespace) are ignored.
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
    // Every server call checks its key: one pass without a branch per character (a character
    // outside 0x21-0x7E makes one of the two differences negative), then, only for a bad key,
    // a second pass to say where.
    int outside = 0;
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      outside |= (c - 0x21) | (0x7E - c);
    }
    if (outside >= 0) return null;
    for (int i = 0; ; i++) {
      char c = value.charAt(i);
      if (c < 0x21 || c > 0x7E) {
        return "Idempotency-Key has a character that is not visible ASCII at index " + i
            + " (0x" + Integer.toHexString(c) + ")";
      }
    }
  }

  private static String trimOws(String s) {
    int start = 0;
    int end = s.length();
    while (start < end && (s.charAt(start) == ' ' || s.charAt(start) == '\t')) start++;
    while (end > start && (s.charAt(end - 1) == ' ' || s.charAt(end - 1) == '\t')) end--;
    return s.substring(start, end);
  }

  /**
   * RFC 8941: an sf-string item, optionally with parameters (section 3.1.2); returns the string.
   * The parameters are ignored, so they are checked loosely: each is {@code ;}, optional spaces,
   * a key ({@code lcalpha / "*"} then {@code lcalpha / DIGIT / "_" / "-" / "." / "*"}), and
   * optionally {@code =} and a value that is an sf-string or a run of the characters the other
   * bare items are made of. Spaces and tabs before a {@code ;} are allowed too, which RFC 8941
   * does not; anything else after the string is invalid.
   */
  private static String unquoteSfString(String v) {
    StringBuilder out = new StringBuilder(v.length());
    int i = readString(v, 0, out);
    while (i < v.length()) {
      i = skipOws(v, i);
      if (v.charAt(i) != ';') {
        throw new InvalidIdempotencyKeyException(
            "Idempotency-Key has characters after its closing quote that are not parameters");
      }
      i++;
      while (i < v.length() && v.charAt(i) == ' ') i++;
      if (i == v.length() || !isKeyStart(v.charAt(i))) {
        throw new InvalidIdempotencyKeyException(
            "Idempotency-Key has a parameter whose name is missing or does not start with a-z or *");
      }
      while (i < v.length() && isKeyChar(v.charAt(i))) i++;
      if (i < v.length() && v.charAt(i) == '=') {
        i++;
        if (i < v.length() && v.charAt(i) == '"') {
          i = readString(v, i, null);
        } else {
          int start = i;
          while (i < v.length() && isBareValueChar(v.charAt(i))) i++;
          if (i == start) {
            throw new InvalidIdempotencyKeyException("Idempotency-Key has a parameter with no value");
          }
        }
      }
    }
    return out.toString();
  }

  /**
   * RFC 8941 section 4.2.5: a string is DQUOTE *(unescaped / "\" ( DQUOTE / "\" )) DQUOTE. Reads
   * the one that starts at {@code start} into {@code out} (unless null) and returns the index
   * after its closing quote.
   */
  private static int readString(String v, int start, StringBuilder out) {
    int i = start + 1;
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
        if (out != null) out.append(next);
      } else if (c == '"') {
        return i;
      } else if (c < 0x20 || c > 0x7E) {
        throw new InvalidIdempotencyKeyException(
            "Idempotency-Key has a character that is not visible ASCII (0x"
                + Integer.toHexString(c) + ")");
      } else if (out != null) {
        out.append(c);
      }
    }
  }

  private static int skipOws(String v, int i) {
    while (i < v.length() && (v.charAt(i) == ' ' || v.charAt(i) == '\t')) i++;
    // The value was trimmed, so whitespace is never last: something follows it.
    return i;
  }

  private static boolean isKeyStart(char c) {
    return (c >= 'a' && c <= 'z') || c == '*';
  }

  private static boolean isKeyChar(char c) {
    return isKeyStart(c) || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
  }

  /**
   * What the bare items other than strings are made of (RFC 8941 sections 3.3.1 to 3.3.6):
   * integers and decimals ({@code -}, digits, {@code .}), tokens (tchar, {@code :}, {@code /}),
   * byte sequences ({@code :}, base64 with {@code +}, {@code /}, {@code =}), booleans
   * ({@code ?0}, {@code ?1}).
   */
  private static boolean isBareValueChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || "!#$%&'*+-.^_`|~:/?=".indexOf(c) >= 0;
  }
}
