package dev.idempotency.contract;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Time that moves only when a test moves it: a {@link Ticker}, a {@link Sleeper} whose sleep
 * advances the ticker by the duration and returns at once, and a {@link #clock() Clock} whose
 * instant moves with the ticker. One instance drives every time source of the code under test,
 * so a retry's deadline, its backoff and a {@code Retry-After} date agree.
 *
 * <p>{@link #stepClock} moves the wall clock alone, forwards or backwards, as setting the system
 * time does; the ticker does not move. Code that measures durations with the ticker is not
 * affected by it.
 *
 * <p>The ticker starts one second before its {@code long} wraps, so code that compares readings
 * ({@code b > a}) instead of their difference ({@code b - a > 0}) fails as soon as a test
 * advances time. This class is threadsafe.
 */
public final class FakeTime implements Ticker, Sleeper {
  /** The wall clock's default start. */
  public static final Instant DEFAULT_START = Instant.parse("2026-11-27T06:00:00Z");

  private static final long START_NANOS = Long.MAX_VALUE - Duration.ofSeconds(1).toNanos();

  private final Instant wallStart;
  private final AtomicLong nanos = new AtomicLong(START_NANOS);
  private final AtomicLong clockStepNanos = new AtomicLong();
  private final List<Duration> sleeps = new CopyOnWriteArrayList<>();

  /** Time whose wall clock starts at {@link #DEFAULT_START}. */
  public FakeTime() {
    this(DEFAULT_START);
  }

  /** Time whose wall clock starts at {@code wallStart}. */
  public FakeTime(Instant wallStart) {
    this.wallStart = Objects.requireNonNull(wallStart, "wallStart");
  }

  @Override
  public long read() {
    return nanos.get();
  }

  /**
   * Records the sleep and advances time by it (a zero or negative one does not move time); never
   * blocks.
   *
   * @throws InterruptedException if the thread is interrupted, which clears the interrupt, as a
   *     real sleep does
   */
  @Override
  public void sleep(Duration duration) throws InterruptedException {
    Objects.requireNonNull(duration, "duration");
    if (Thread.interrupted()) throw new InterruptedException("interrupted before a fake sleep");
    sleeps.add(duration);
    if (duration.isNegative()) return;
    advance(duration);
  }

  /**
   * Moves the ticker and the clock forwards by {@code duration}.
   *
   * @throws IllegalArgumentException if {@code duration} is negative: a ticker never goes back
   */
  public void advance(Duration duration) {
    Objects.requireNonNull(duration, "duration");
    if (duration.isNegative()) {
      throw new IllegalArgumentException("a ticker never goes back: " + duration);
    }
    nanos.addAndGet(duration.toNanos());
  }

  /**
   * Moves the wall clock alone by {@code step}, forwards or backwards, as setting the system time
   * does; the ticker stays where it is.
   */
  public void stepClock(Duration step) {
    clockStepNanos.addAndGet(Objects.requireNonNull(step, "step").toNanos());
  }

  /** The time advanced so far (by {@link #advance} and {@link #sleep}). */
  public Duration elapsed() {
    return Duration.ofNanos(nanos.get() - START_NANOS);
  }

  /** Every sleep asked for so far, in order. The list is a read-only live view. */
  public List<Duration> sleeps() {
    return Collections.unmodifiableList(sleeps);
  }

  /** A UTC clock whose instant is the start plus the time advanced plus every clock step. */
  public Clock clock() {
    return new View(ZoneOffset.UTC);
  }

  @Override
  public String toString() {
    return "FakeTime(elapsed=" + elapsed() + ", clock=" + clock().instant() + ")";
  }

  private final class View extends Clock {
    private final ZoneId zone;

    View(ZoneId zone) {
      this.zone = zone;
    }

    @Override
    public Instant instant() {
      return wallStart.plusNanos(nanos.get() - START_NANOS).plusNanos(clockStepNanos.get());
    }

    @Override
    public ZoneId getZone() {
      return zone;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return new View(Objects.requireNonNull(zone, "zone"));
    }
  }
}
