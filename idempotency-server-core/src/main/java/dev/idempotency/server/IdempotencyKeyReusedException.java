package dev.idempotency.server;

import dev.idempotency.contract.IdempotencyException;
/**
 * The key was already used with a different fingerprint: a different request. Nothing ran. An
 * HTTP layer answers 422 {@code idempotency-key-reused}.
 */
public class IdempotencyKeyReusedException extends IdempotencyException {
  private static final long serialVersionUID = 1L;

  public IdempotencyKeyReusedException(String message) {
    super(message);
  }
}
