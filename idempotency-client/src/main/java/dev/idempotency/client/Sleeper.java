package dev.idempotency.client;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Waits between attempts. The {@link #system()} sleeper blocks the calling thread; tests inject
 * one that advances a fake clock instead, so no test sleeps through a backoff.
 */
@FunctionalInterface
public interface Sleeper {
  /**
   * Waits for {@code delay}, which is zero or positive.
   *
   * @throws InterruptedException if the thread is interrupted while waiting
   */
  void sleep(Duration delay) throws InterruptedException;

  /** Returns the sleeper that blocks the calling thread. This sleeper is threadsafe. */
  static Sleeper system() {
    return delay -> TimeUnit.NANOSECONDS.sleep(delay.toNanos());
  }
}
