package dev.idempotency.server;

import dev.idempotency.contract.IdempotencyException;
import java.util.Objects;

/**
 * The first call with this key failed with an exception that the guard's failure policy stores
 * ({@link IdempotencyGuardBuilder#storeFailuresWhen}), and this repeat replays that failure.
 * Unlike the rest of the family, this one means the business code DID run, once, in the first
 * call; it did not run for this one. The first call itself got its original exception.
 *
 * <p>Only the class name and the message of the original exception are kept (not its stack trace,
 * cause or fields): they cross process boundaries through the store.
 */
public class IdempotencyStoredFailureException extends IdempotencyException {
  private static final long serialVersionUID = 1L;

  private final String exceptionClassName;
  private final String exceptionMessage;

  public IdempotencyStoredFailureException(String exceptionClassName, String exceptionMessage) {
    super(
        "the first call with this key failed: " + Objects.requireNonNull(exceptionClassName, "exceptionClassName")
            + (exceptionMessage == null ? "" : ": " + exceptionMessage));
    this.exceptionClassName = exceptionClassName;
    this.exceptionMessage = exceptionMessage;
  }

  /** The fully qualified class name of the first call's exception. */
  public String exceptionClassName() {
    return exceptionClassName;
  }

  /** The first call's exception message (possibly shortened), or null if it had none. */
  public String exceptionMessage() {
    return exceptionMessage;
  }
}
