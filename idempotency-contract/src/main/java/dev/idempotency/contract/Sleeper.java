package dev.idempotency.contract;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Pauses the calling thread, between retries or while waiting for something to finish. The
 * {@link #system()} sleeper blocks the thread; tests inject one that advances a fake
 * {@link Ticker} instead, so no test sleeps through a backoff.
 *
 * <p>Implementations must be threadsafe.
 */
@FunctionalInterface
public interface Sleeper {
  /**
   * Waits for {@code duration}; a zero or negative one does not wait.
   *
   * @throws InterruptedException if the thread is interrupted before or while waiting, a zero
   *     wait included; the interrupt is then cleared, as {@link Thread#sleep} clears it
   */
  void sleep(Duration duration) throws InterruptedException;

  /**
   * Returns the sleeper that blocks the calling thread ({@link TimeUnit#sleep}); a duration too
   * long for a {@code long} of nanoseconds (about 292 years) sleeps that long instead. This
   * sleeper is threadsafe.
   */
  static Sleeper system() {
    return duration -> {
      long nanos;
      try {
        nanos = duration.toNanos();
      } catch (ArithmeticException tooLong) {
        nanos = duration.isNegative() ? 0 : Long.MAX_VALUE;
      }
      if (nanos <= 0) {
        if (Thread.interrupted()) throw new InterruptedException();
        return;
      }
      TimeUnit.NANOSECONDS.sleep(nanos);
    };
  }
}
