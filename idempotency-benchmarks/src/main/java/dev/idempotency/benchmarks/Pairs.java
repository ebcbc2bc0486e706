package dev.idempotency.benchmarks;

import org.openjdk.jmh.infra.Blackhole;

/**
 * One invocation of a paired benchmark whose calls are network round trips (Redis, the client,
 * end to end):
 * {@code block} guarded calls and {@code block} baseline calls back to back, the order swapped
 * every invocation and the first side of an iteration alternating (see
 * {@link MemoryGuardBenchmarks.PairTimes}), the threads in lockstep, each side timed into its own
 * counter (see {@link MemoryGuardBenchmarks}, which inlines the same loop for calls of a
 * microsecond).
 */
final class Pairs {
  private Pairs() {}

  /** One call of one side. */
  interface Side {
    Object call() throws Exception;
  }

  static void run(MemoryGuardBenchmarks.PairTimes times, MemoryGuardBenchmarks.Lockstep step, Blackhole bh,
      int block, Side guarded, Side baseline) throws Exception {
    boolean guardFirst = times.guardFirst;
    times.guardFirst = !guardFirst;
    for (int side = 0; side < 2; side++) {
      boolean guard = (side == 0) == guardFirst;
      Side calls = guard ? guarded : baseline;
      step.await();
      long start = System.nanoTime();
      for (int i = 0; i < block; i++) bh.consume(calls.call());
      long elapsed = System.nanoTime() - start;
      if (guard) times.guardNanos += elapsed;
      else times.baselineNanos += elapsed;
    }
    times.calls += block;
  }
}
