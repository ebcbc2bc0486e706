package dev.idempotency.client;

import java.time.Duration;
import java.util.Random;

/** Full-jitter exponential backoff ("Exponential Backoff And Jitter", AWS Architecture Blog). */
final class Backoff {
  private Backoff() {}

  /**
   * The wait after the {@code attempt}-th attempt: uniformly random in
   * {@code [0, min(cap, base * 2^(attempt-1))]}. Spreading waits over the whole range is what
   * keeps many clients that failed together from retrying together.
   */
  static Duration fullJitter(int attempt, Duration base, Duration cap, Random random) {
    if (attempt < 1) throw new IllegalArgumentException("attempt < 1: " + attempt);
    long capNanos = saturatedNanos(cap);
    long baseNanos = saturatedNanos(base);
    int doublings = Math.min(attempt - 1, 62);
    long bound = baseNanos > (capNanos >> doublings) ? capNanos : baseNanos << doublings;
    double fraction = random.nextDouble();
    return Duration.ofNanos((long) (fraction * bound));
  }

  private static long saturatedNanos(Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException tooLong) {
      return Long.MAX_VALUE;
    }
  }
}
