package dev.idempotency.contract;

/**
 * A key that breaks the contract's syntax: empty, longer than {@value IdempotencyKey#MAX_LENGTH}
 * characters, not visible ASCII, badly quoted, or sent twice. A server answers it with
 * {@link ProblemType#KEY_INVALID}.
 */
public final class InvalidIdempotencyKeyException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public InvalidIdempotencyKeyException(String message) {
    super(message);
  }
}
