package dev.idempotency.server.store;

/**
 * A bounded store has no room for a new record: it is full of records it keeps (claims in
 * progress, and completed records within their retention unless it may evict them early), or the
 * caller's scope holds its share of it. The message says which bound was met, never the scope.
 * Nothing ran. It is a kind of unavailability: an HTTP layer answers 503 and the client retries
 * later with the same key; records already held still answer.
 */
public class IdempotencyCapacityExceededException extends IdempotencyStoreUnavailableException {
  private static final long serialVersionUID = 1L;

  public IdempotencyCapacityExceededException(String message) {
    super(message);
  }
}
