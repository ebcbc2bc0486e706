package dev.idempotency.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.idempotency.server.JsonResultCodec;
import dev.idempotency.server.store.ClaimResult;
import dev.idempotency.server.store.InMemoryIdempotencyStore;
import dev.idempotency.server.store.RecordId;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Not part of {@code ./bench/run}: the pieces of a guarded call, one by one, to find what a
 * missed target is made of. Run it by hand:
 *
 * <pre>
 * java -cp idempotency-benchmarks/target/benchmarks.jar org.openjdk.jmh.Main GuardCostBreakdown -f 1 -wi 3 -i 3 -prof gc
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class GuardCostBreakdown {
  private static final Runnable NOTHING = () -> {};

  @State(Scope.Benchmark)
  public static class Parts {
    // As the guard's default: a plain mapper with the modules on the class path.
    final ObjectMapper mapper = new ObjectMapper().findAndRegisterModules();
    final JsonResultCodec<Receipt> codec = JsonResultCodec.of(Receipt.class, mapper);
    final byte[] json = Receipt.encode(Receipt.charge());
    ScheduledThreadPoolExecutor scheduler;
    InMemoryIdempotencyStore store;
    RecordId completed;

    @Setup(Level.Trial)
    public void start() {
      // As the guard builds its own: one daemon thread, cancelled tasks removed.
      scheduler = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "renewal");
        t.setDaemon(true);
        return t;
      });
      scheduler.setRemoveOnCancelPolicy(true);
      store = MemoryGuardBenchmarks.newStore();
      completed = new RecordId("payments", "", UUID.randomUUID().toString());
      store.claim(completed, "", "t", Duration.ofSeconds(30));
      store.complete(completed, "t", json, Duration.ofHours(24));
    }

    @TearDown(Level.Trial)
    public void stop() {
      scheduler.shutdownNow();
    }
  }

  @State(Scope.Thread)
  public static class ThreadKeys {
    final Keys keys = new Keys();
  }

  /** What the guard did on every execute(key, Class, supplier) before 6b3a495: build a codec. */
  @Benchmark
  public Object codecPerCall(Parts parts) {
    return JsonResultCodec.of(Receipt.class, parts.mapper);
  }

  /** The owner token the guard drew on every call before 6b3a495, replays included. */
  @Benchmark
  public String ownerTokenSecureRandom() {
    return UUID.randomUUID().toString();
  }

  /** A token as unique but not secret: for comparison. */
  @Benchmark
  public String ownerTokenThreadLocalRandom() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    return new UUID(r.nextLong(), r.nextLong()).toString();
  }

  /** What LeaseRenewal cost a quick call before 34deebc (one task per call): schedule, then cancel. */
  @Benchmark
  public boolean renewalScheduleCancel(Parts parts) {
    ScheduledFuture<?> f = parts.scheduler.scheduleWithFixedDelay(NOTHING, 10, 10, TimeUnit.SECONDS);
    return f.cancel(false);
  }

  /** A fresh default store for every batch of new keys, so that no batch reaches its bound. */
  @State(Scope.Benchmark)
  public static class FreshStore {
    InMemoryIdempotencyStore store;

    @Setup(Level.Iteration)
    public void fresh() {
      store = MemoryGuardBenchmarks.newStore();
    }
  }

  /**
   * The store's part of a new key: claim and complete, in single shots of
   * {@link MemoryGuardBenchmarks#NEW_KEY_BATCH} calls into a fresh store (the score is per batch).
   */
  @Benchmark
  @BenchmarkMode(Mode.SingleShotTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  @Warmup(iterations = 6, batchSize = MemoryGuardBenchmarks.NEW_KEY_BATCH)
  @Measurement(iterations = 5, batchSize = MemoryGuardBenchmarks.NEW_KEY_BATCH)
  public boolean storeClaimComplete(FreshStore fresh, Parts parts, ThreadKeys thread) {
    RecordId id = new RecordId("payments", "", thread.keys.next());
    fresh.store.claim(id, "", "token", Duration.ofSeconds(30));
    return fresh.store.complete(id, "token", parts.json, Duration.ofHours(24));
  }

  /** The baseline's part of a new key: one map insert, measured as storeClaimComplete is. */
  @Benchmark
  @BenchmarkMode(Mode.SingleShotTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  @Warmup(iterations = 6, batchSize = MemoryGuardBenchmarks.NEW_KEY_BATCH)
  @Measurement(iterations = 5, batchSize = MemoryGuardBenchmarks.NEW_KEY_BATCH)
  public byte[] mapInsert(FreshMap fresh, Parts parts, ThreadKeys thread) {
    return fresh.map.putIfAbsent(thread.keys.next(), parts.json);
  }

  /** A fresh map for every batch, as FreshStore. */
  @State(Scope.Benchmark)
  public static class FreshMap {
    java.util.concurrent.ConcurrentHashMap<String, byte[]> map;

    @Setup(Level.Iteration)
    public void fresh() {
      map = new java.util.concurrent.ConcurrentHashMap<>();
    }
  }

  /** The store's part of a replay: one claim answered Completed. */
  @Benchmark
  public ClaimResult storeReplay(Parts parts) {
    return parts.store.claim(parts.completed, "", "token", Duration.ofSeconds(30));
  }

  /** The irreducible encode, for scale. */
  @Benchmark
  public byte[] encode(Parts parts) {
    return parts.codec.encode(Receipt.charge());
  }

  /** The guard's encode of a result: the codec's bytes after StoredOutcome's tag byte. */
  @Benchmark
  public byte[] storedOutcomeValue(Parts parts) {
    return dev.idempotency.server.StoredOutcome.value(parts.codec, Receipt.charge());
  }

  /** The new-key baseline's encode: a plain mapper's writer, writeValueAsBytes. */
  @Benchmark
  public byte[] baselineEncode() {
    return Receipt.encode(Receipt.charge());
  }

  /** The irreducible decode, for scale. */
  @Benchmark
  public Receipt decode(Parts parts) {
    return parts.codec.decode(parts.json);
  }
}
