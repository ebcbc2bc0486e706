package dev.idempotency.client;

import java.util.Random;

/** Full-jitter exponential backoff ("Exponential Backoff And Jitter", AWS Architecture Blog). */
final class Backoff {
  private Backoff() {}

  /**
   * The wait after the {@code attempt}-th attempt, in nanoseconds: uniformly random in
   * {@code [0, min(capNanos, baseNanos * 2^(attempt-1))]}. Spreading waits over the whole range is
   * what keeps many clients that failed together from retrying together.
   */
  static long fullJitterNanos(int attempt, long baseNanos, long capNanos, Random random) {
    if (attempt < 1) throw new IllegalArgumentException("attempt < 1: " + attempt);
    int doublings = Math.min(attempt - 1, 62);
    long bound = baseNanos > (capNanos >> doublings) ? capNanos : baseNanos << doublings;
    return (long) (random.nextDouble() * bound);
  }
}
