package dev.idempotency.server;

import dev.idempotency.contract.IdempotencyException;
import java.time.Duration;
import java.util.Objects;

/**
 * A call with this key is still running elsewhere. Nothing ran. An HTTP layer answers 409 (or 425)
 * with {@code Retry-After: retryAfter()}.
 */
public class IdempotencyInProgressException extends IdempotencyException {
  private static final long serialVersionUID = 1L;
  private final Duration retryAfter;

  public IdempotencyInProgressException(String message, Duration retryAfter) {
    super(message);
    this.retryAfter = Objects.requireNonNull(retryAfter, "retryAfter");
  }

  /** When a retry may find the first call finished: a hint, never negative. */
  public Duration retryAfter() {
    return retryAfter;
  }
}
