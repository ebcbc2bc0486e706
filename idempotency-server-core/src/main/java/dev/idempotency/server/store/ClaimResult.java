package dev.idempotency.server.store;

import java.time.Duration;
import java.util.Objects;

/**
 * The answer to {@link IdempotencyStore#claim}: one of four cases, each carrying what the caller
 * needs without a second call to the store.
 */
public sealed interface ClaimResult
    permits ClaimResult.Acquired,
        ClaimResult.InProgress,
        ClaimResult.Completed,
        ClaimResult.FingerprintMismatch {

  /** The record was absent (or its lease had expired): the caller now owns it and runs the work. */
  record Acquired(String ownerToken) implements ClaimResult {
    public Acquired {
      Objects.requireNonNull(ownerToken, "ownerToken");
    }
  }

  /**
   * Another owner holds an unexpired lease with the same fingerprint.
   *
   * @param leaseRemaining how long the lease has left, as the store measures it; a hint for
   *     {@code Retry-After}
   */
  record InProgress(Duration leaseRemaining) implements ClaimResult {
    public InProgress {
      Objects.requireNonNull(leaseRemaining, "leaseRemaining");
    }
  }

  /**
   * The record is completed with the same fingerprint: here is its stored answer, exactly the
   * bytes given to {@link IdempotencyStore#complete}.
   */
  record Completed(byte[] result) implements ClaimResult {
    public Completed {
      Objects.requireNonNull(result, "result");
    }
  }

  /** The record exists (in progress or completed) with a different fingerprint. */
  record FingerprintMismatch() implements ClaimResult {}
}
