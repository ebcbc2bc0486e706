package dev.idempotency.benchmarks;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
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

  /**
   * Like {@link #run}, then keeps calling {@code operation} on one thread until the JIT compilers
   * have been idle for {@code quiet}, or until {@code limit} (counted from the start). A count
   * alone is not enough where one call is a network round trip: -prof comp showed C2 still
   * compiling the Redis guard's path (Jackson, the guard, the store, Jedis) for about 5 s after
   * 10,000 calls, 2.5 s of compiler CPU in the first measured second, on the same two cores as
   * the worker and redis-server, while the raw EVALSHA baseline was compiled within its warmup.
   * Waiting for a quiet compiler measures both sides compiled.
   */
  static void runUntilCompiled(int calls, Duration quiet, Duration limit, Callable<?> operation) {
    runUntilCompiled(calls, 1, quiet, limit, operation);
  }

  /** Like {@link #runUntilCompiled(int, Duration, Duration, Callable)}, the count over {@code threads}. */
  static void runUntilCompiled(int calls, int threads, Duration quiet, Duration limit, Callable<?> operation) {
    long start = System.nanoTime();
    long deadline = start + limit.toNanos();
    run(calls, threads, limit, operation);
    CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    if (jit == null || !jit.isCompilationTimeMonitoringSupported()) return;
    long compiled = jit.getTotalCompilationTime();
    long quietSince = System.nanoTime();
    try {
      while (System.nanoTime() - deadline < 0 && System.nanoTime() - quietSince < quiet.toNanos()) {
        for (int i = 0; i < 100; i++) operation.call();
        long now = jit.getTotalCompilationTime();
        if (now != compiled) {
          compiled = now;
          quietSince = System.nanoTime();
        }
      }
    } catch (Exception e) {
      throw new IllegalStateException("the warmup failed", e);
    }
  }

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
