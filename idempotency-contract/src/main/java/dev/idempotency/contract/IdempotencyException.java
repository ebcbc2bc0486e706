package dev.idempotency.contract;

/**
 * The one unchecked exception family of the server core: each subclass names a condition of the
 * contract's server table (in progress, key reused, store unavailable, ...), and none of them
 * means the business code ran, unless its Javadoc says so. It lives here, below the server's
 * packages, so that the store SPI and the guard share it without importing each other.
 */
public abstract class IdempotencyException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  protected IdempotencyException(String message) {
    super(message);
  }

  protected IdempotencyException(String message, Throwable cause) {
    super(message, cause);
  }
}
