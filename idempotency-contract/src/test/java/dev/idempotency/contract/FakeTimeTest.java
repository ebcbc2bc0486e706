package dev.idempotency.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The fake time the client's and the server's tests share. */
class FakeTimeTest {
  private final FakeTime time = new FakeTime();

  @Test
  void sleep_advancesTheTickerAndTheClock_andIsRecorded() throws Exception {
    long before = time.read();
    Instant wallBefore = time.clock().instant();
    time.sleep(Duration.ofMillis(1500));
    assertThat(time.read() - before).isEqualTo(1_500_000_000L);
    assertThat(time.clock().instant()).isEqualTo(wallBefore.plusMillis(1500));
    assertThat(time.sleeps()).containsExactly(Duration.ofMillis(1500));
    assertThat(time.elapsed()).isEqualTo(Duration.ofMillis(1500));
  }

  @Test
  void readingsAreComparedByTheirDifference_acrossTheWrapOfTheLong() {
    long before = time.read();
    time.advance(Duration.ofSeconds(2));
    long after = time.read();
    assertThat(after).as("the reading wrapped").isLessThan(before);
    assertThat(after - before).isEqualTo(Duration.ofSeconds(2).toNanos());
  }

  @Test
  void stepClock_movesTheWallClockAlone() {
    long before = time.read();
    Clock clock = time.clock();
    time.stepClock(Duration.ofHours(-1));
    assertThat(clock.instant()).isEqualTo(FakeTime.DEFAULT_START.minusSeconds(3600));
    time.stepClock(Duration.ofHours(2));
    assertThat(clock.instant()).isEqualTo(FakeTime.DEFAULT_START.plusSeconds(3600));
    assertThat(time.read()).isEqualTo(before);
  }

  @Test
  void anInterruptedSleep_throws_clearsTheInterrupt_andDoesNotMoveTime() {
    Thread.currentThread().interrupt();
    assertThatThrownBy(() -> time.sleep(Duration.ofSeconds(1)))
        .isInstanceOf(InterruptedException.class);
    assertThat(Thread.currentThread().isInterrupted()).isFalse();
    assertThat(time.elapsed()).isZero();
    assertThat(time.sleeps()).isEmpty();
  }

  @Test
  void timeNeverGoesBack() {
    assertThatThrownBy(() -> time.advance(Duration.ofNanos(-1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> time.advance(null))
        .isInstanceOf(NullPointerException.class).hasMessage("duration");
  }

  @Test
  void theClockStartsWhereAsked_inUtc() {
    Instant start = Instant.parse("2026-12-01T19:52:00.250Z");
    Clock clock = new FakeTime(start).clock();
    assertThat(clock.instant()).isEqualTo(start);
    assertThat(clock.getZone()).isEqualTo(java.time.ZoneOffset.UTC);
  }
}
