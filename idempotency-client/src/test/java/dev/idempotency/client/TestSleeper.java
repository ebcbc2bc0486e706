package dev.idempotency.client;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records each wait and advances the test clock by it instead of sleeping. Threadsafe. */
final class TestSleeper implements Sleeper {
  private final TestClock clock;
  final List<Duration> sleeps = new CopyOnWriteArrayList<>();

  TestSleeper(TestClock clock) {
    this.clock = clock;
  }

  @Override
  public void sleep(Duration delay) throws InterruptedException {
    if (Thread.interrupted()) throw new InterruptedException();
    sleeps.add(delay);
    clock.advance(delay);
  }
}
