package dev.idempotency.client;

import java.io.IOException;
import java.util.Objects;

/**
 * The interceptor gave up after the last attempt got no answer (a connection failure or a
 * timeout). The request may or may not have run; {@link #outcome()} says why retrying stopped,
 * the key that was sent and how many attempts were made. The cause is the last attempt's failure.
 * The action's key is kept, so trying the action again is safe.
 */
public final class IdempotencyGaveUpException extends IOException {
  private static final long serialVersionUID = 1L;

  private final transient IdempotencyOutcome.Unknown outcome;

  public IdempotencyGaveUpException(IdempotencyOutcome.Unknown outcome, IOException cause) {
    super(message(Objects.requireNonNull(outcome, "outcome")), cause);
    this.outcome = outcome;
  }

  /** How the call ended. */
  public IdempotencyOutcome.Unknown outcome() {
    return outcome;
  }

  private static String message(IdempotencyOutcome.Unknown outcome) {
    return "gave up (" + outcome.reason() + ") after " + outcome.attempts()
        + (outcome.attempts() == 1 ? " attempt" : " attempts")
        + " with no answer; the outcome is unknown; Idempotency-Key " + outcome.key()
        + " is kept, so trying the action again is safe";
  }
}
