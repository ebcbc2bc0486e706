package dev.idempotency.server;

import java.time.Duration;
import java.util.Objects;

/**
 * What a call does when it finds its key claimed by a call still running: {@link #failFast()}
 * (the default) or {@link #waitUpTo(Duration)}.
 *
 * <p>This class is immutable and threadsafe.
 */
public final class InProgressPolicy {
  private static final InProgressPolicy FAIL_FAST = new InProgressPolicy(Duration.ZERO);

  private final Duration maxWait;

  private InProgressPolicy(Duration maxWait) {
    this.maxWait = maxWait;
  }

  /** Throw {@link IdempotencyInProgressException} at once. An HTTP layer answers 409. */
  public static InProgressPolicy failFast() {
    return FAIL_FAST;
  }

  /**
   * Poll the claim, with backoff, for up to {@code maxWait}: return the first call's result as
   * soon as it completes; if the first call released its claim (it failed) or its lease expired,
   * run the supplier in this call. Still running after {@code maxWait}: throw
   * {@link IdempotencyInProgressException}. Keep {@code maxWait} below the caller's own timeout.
   */
  public static InProgressPolicy waitUpTo(Duration maxWait) {
    Objects.requireNonNull(maxWait, "maxWait");
    if (maxWait.isNegative() || maxWait.isZero()) {
      throw new IllegalArgumentException("maxWait must be positive: " + maxWait);
    }
    return new InProgressPolicy(maxWait);
  }

  /** How long a call waits for the first one; zero for {@link #failFast()}. */
  public Duration maxWait() {
    return maxWait;
  }

  public boolean waits() {
    return !maxWait.isZero();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof InProgressPolicy p && p.maxWait.equals(maxWait);
  }

  @Override
  public int hashCode() {
    return maxWait.hashCode();
  }

  @Override
  public String toString() {
    return waits() ? "InProgressPolicy.waitUpTo(" + maxWait + ")" : "InProgressPolicy.failFast()";
  }
}
