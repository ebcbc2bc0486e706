package dev.idempotency.contract;

/**
 * The header names of the contract. Header names are case-insensitive on the wire; these are the
 * canonical spellings.
 *
 * <p>This class is threadsafe.
 */
public final class IdempotencyHeaders {
  /** Carries the client's key: one per business action, the same on every retry of it. */
  public static final String IDEMPOTENCY_KEY = "Idempotency-Key";

  /** Set to {@code true} by the server on an answer that is a replay of a stored one. */
  public static final String IDEMPOTENT_REPLAYED = "Idempotent-Replayed";

  /** RFC 9110 section 10.2.3: delta-seconds or an HTTP-date. */
  public static final String RETRY_AFTER = "Retry-After";

  private IdempotencyHeaders() {}

  /**
   * Returns true when an {@code Idempotent-Replayed} header value says the answer was replayed.
   * Accepts {@code true} in any case and the RFC 8941 boolean {@code ?1}; null and anything else
   * is false.
   */
  public static boolean isReplayed(String headerValue) {
    if (headerValue == null) return false;
    String v = headerValue.trim();
    return v.equalsIgnoreCase("true") || v.equals("?1");
  }
}
