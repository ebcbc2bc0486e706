package dev.idempotency.server.store;

import dev.idempotency.contract.IdempotencyException;

/**
 * The store could not be reached, timed out, or answered something it should not have. The guard
 * fails closed: the business code did not run. An HTTP layer answers 503 with
 * {@code idempotency-store-unavailable} and {@code Retry-After}.
 */
public class IdempotencyStoreUnavailableException extends IdempotencyException {
  private static final long serialVersionUID = 1L;

  public IdempotencyStoreUnavailableException(String message) {
    super(message);
  }

  public IdempotencyStoreUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
