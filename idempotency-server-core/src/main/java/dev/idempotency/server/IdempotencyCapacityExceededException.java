package dev.idempotency.server;

/**
 * A bounded store is full of claims still in progress, which it never evicts. Nothing ran. It is
 * a kind of unavailability: an HTTP layer answers 503 and the client retries later with the same
 * key.
 */
public class IdempotencyCapacityExceededException extends IdempotencyStoreUnavailableException {
  private static final long serialVersionUID = 1L;

  public IdempotencyCapacityExceededException(String message) {
    super(message);
  }
}
