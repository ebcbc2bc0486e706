package dev.idempotency.server;

/**
 * The one unchecked exception family of the server core. Each subclass names a condition of the
 * contract; none of them means the business code ran, unless its Javadoc says so.
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
