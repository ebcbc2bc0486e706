package dev.idempotency.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The system ticker and sleeper. No test here waits for real time to pass. */
class TimeSourcesTest {
  @AfterEach
  void clearInterrupt() {
    Thread.interrupted();
  }

  @Test
  void systemTicker_neverGoesBack() {
    Ticker ticker = Ticker.system();
    long previous = ticker.read();
    for (int i = 0; i < 1000; i++) {
      long now = ticker.read();
      assertThat(now - previous).isNotNegative();
      previous = now;
    }
  }

  @Test
  void systemSleeper_zeroAndNegative_doNotWait() throws Exception {
    Sleeper.system().sleep(Duration.ZERO);
    Sleeper.system().sleep(Duration.ofSeconds(-5));
  }

  @Test
  void systemSleeper_interrupted_throwsAndClearsTheInterrupt_evenForAZeroWait() {
    Thread.currentThread().interrupt();
    assertThatThrownBy(() -> Sleeper.system().sleep(Duration.ZERO))
        .isInstanceOf(InterruptedException.class);
    assertThat(Thread.currentThread().isInterrupted()).isFalse();
  }

  @Test
  void systemSleeper_aDurationTooLongForNanos_sleepsInsteadOfFailing() {
    // Interrupted first, so the "sleep" returns at once with InterruptedException: what matters
    // is that it is not an ArithmeticException from Duration.toNanos.
    Thread.currentThread().interrupt();
    assertThatThrownBy(() -> Sleeper.system().sleep(Duration.ofSeconds(Long.MAX_VALUE)))
        .isInstanceOf(InterruptedException.class);
  }
}
