package dev.idempotency.benchmarks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Warms a benchmark's own operation up by count before JMH's timed warmup. C2 compiles a method
 * after some 10,000 calls; a benchmark that makes a few thousand calls a second (a network round
 * trip each) would spend JMH's time-based warmup, and part of its measurement, in interpreted or
 * C1 code, and the side with more code (the guarded one) would pay more for it. Bounded in count
 * and in time.
 */
final class Prewarm {
  private Prewarm() {}

  /** Calls {@code operation} {@code calls} times over {@code threads} threads, or until {@code limit}. */
  static void run(int calls, int threads, Duration limit, Callable<?> operation) {
    long deadline = System.nanoTime() + limit.toNanos();
    AtomicInteger left = new AtomicInteger(calls);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        done.add(pool.submit(() -> {
          while (left.getAndDecrement() > 0 && System.nanoTime() < deadline) operation.call();
          return null;
        }));
      }
      for (Future<?> f : done) f.get();
    } catch (ExecutionException e) {
      throw new IllegalStateException("the warmup failed", e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } finally {
      pool.shutdownNow();
    }
  }
}
