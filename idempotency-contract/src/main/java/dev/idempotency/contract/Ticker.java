package dev.idempotency.contract;

/**
 * A monotonic time source in nanoseconds, for everything that measures a duration: deadlines,
 * leases, renewals, backoff. Only the difference between two readings means anything; a reading
 * alone is no date, may be negative, and two readings are compared as {@code b - a > 0}, never
 * {@code b > a}, so that a wrap of the {@code long} is harmless. A wall-clock date (a
 * {@code Retry-After} HTTP date, an expiry shown to a user or written to a file) comes from a
 * {@link java.time.Clock} instead, which may jump when the system time is set.
 *
 * <p>Implementations must be threadsafe and must never go backwards. Tests inject a ticker they
 * advance rather than sleeping.
 */
@FunctionalInterface
public interface Ticker {
  /** Returns the current reading, in nanoseconds from an arbitrary origin fixed for the JVM. */
  long read();

  /**
   * Returns the ticker of {@link System#nanoTime()}: always the same instance, so that two parts
   * built with the default can tell they share one clock. This ticker is threadsafe.
   */
  static Ticker system() {
    return SystemTicker.INSTANCE;
  }
}

/** Holds {@link Ticker#system()}'s one instance. */
final class SystemTicker {
  static final Ticker INSTANCE = System::nanoTime;

  private SystemTicker() {}
}
