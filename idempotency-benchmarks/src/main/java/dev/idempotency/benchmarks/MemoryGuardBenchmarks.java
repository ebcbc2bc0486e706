package dev.idempotency.benchmarks;

import dev.idempotency.server.IdempotencyGuard;
import dev.idempotency.server.store.IdempotencyStore;
import dev.idempotency.server.store.InMemoryIdempotencyStore;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * The in-memory guard against the irreducible work of the same call.
 *
 * <p>New key: the baseline is the business code, encoding its result with Jackson and one
 * {@link ConcurrentHashMap} insert. Every call has a fresh key, so the map and the store grow;
 * to keep them bounded (and equal in size on both sides) each iteration is a batch of
 * {@link #NEW_KEY_BATCH} calls per thread into an empty map or a fresh store, timed as one
 * single shot.
 *
 * <p>Replay: the baseline is one lookup and a Jackson decode, over {@link #REPLAY_KEYS} keys
 * stored before the measurement; the guard replays the same keys and must not run the business
 * code.
 */
public class MemoryGuardBenchmarks {
  /**
   * Calls per thread in one timed batch of the new-key benchmarks: with two threads 40,000 new
   * records, under the store's default maximum of 100,000, so no batch measures eviction.
   */
  public static final int NEW_KEY_BATCH = 20_000;

  /** Keys stored before the replay benchmarks; a power of two, cycled through by each thread. */
  public static final int REPLAY_KEYS = 4096;

  /** New keys: a fresh map and a fresh guard over a fresh default store for every batch. */
  @State(Scope.Benchmark)
  public static class NewKeyState {
    ConcurrentHashMap<String, byte[]> map;
    IdempotencyGuard guard;

    @Setup(Level.Iteration)
    public void fresh() {
      map = new ConcurrentHashMap<>();
      guard = newGuard(new InMemoryIdempotencyStore());
    }

    @TearDown(Level.Iteration)
    public void close() {
      guard.close();
    }
  }

  /** The guard as the README configures it: the default store, a namespace, the defaults. */
  static IdempotencyGuard newGuard(IdempotencyStore store) {
    return IdempotencyGuard.builder().store(store).namespace("payments").build();
  }

  /** Each thread's own key source. */
  @State(Scope.Thread)
  public static class ThreadKeys {
    final Keys keys = new Keys();
  }

  /** The replayed keys, stored in the map and, through the guard, in a default store. */
  @State(Scope.Benchmark)
  public static class ReplayState {
    final String[] keys = new String[REPLAY_KEYS];
    final ConcurrentHashMap<String, byte[]> map = new ConcurrentHashMap<>();
    final IdempotencyGuard guard = newGuard(new InMemoryIdempotencyStore());

    @Setup(Level.Trial)
    public void store(BenchmarkParams params) {
      Keys source = new Keys();
      for (int i = 0; i < REPLAY_KEYS; i++) {
        keys[i] = source.next();
        map.put(keys[i], Receipt.encode(Receipt.charge()));
        guard.execute(keys[i], Receipt.class, Receipt.CHARGE);
      }
      // The measured operation itself, by count (see Prewarm).
      boolean guarded = params.getBenchmark().endsWith(".replayGuard");
      int[] i = {0};
      Prewarm.run(100_000, 1, Duration.ofSeconds(3), () -> {
        String key = keys[i[0]++ & (REPLAY_KEYS - 1)];
        return guarded
            ? guard.execute(key, Receipt.class, Receipt.MUST_NOT_RUN)
            : Receipt.decode(map.get(key));
      });
    }

    @TearDown(Level.Trial)
    public void close() {
      guard.close();
    }
  }

  /** Each thread walks the replayed keys from its own starting point. */
  @State(Scope.Thread)
  public static class Cursor {
    int next = (int) (Thread.currentThread().getId() * 977);

    String key(ReplayState state) {
      return state.keys[next++ & (REPLAY_KEYS - 1)];
    }
  }

  @Benchmark
  @BenchmarkMode(Mode.SingleShotTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public Receipt newKeyBaseline(NewKeyState state, ThreadKeys thread) {
    String key = thread.keys.next();
    Receipt receipt = Receipt.CHARGE.get();
    byte[] json = Receipt.encode(receipt);
    state.map.putIfAbsent(key, json);
    return receipt;
  }

  @Benchmark
  @BenchmarkMode(Mode.SingleShotTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public Receipt newKeyGuard(NewKeyState state, ThreadKeys thread) {
    return state.guard.execute(thread.keys.next(), Receipt.class, Receipt.CHARGE);
  }

  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.NANOSECONDS)
  public Receipt replayGuard(ReplayState state, Cursor cursor) {
    return state.guard.execute(cursor.key(state), Receipt.class, Receipt.MUST_NOT_RUN);
  }

  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.NANOSECONDS)
  public Receipt replayBaseline(ReplayState state, Cursor cursor) {
    return Receipt.decode(state.map.get(cursor.key(state)));
  }
}
