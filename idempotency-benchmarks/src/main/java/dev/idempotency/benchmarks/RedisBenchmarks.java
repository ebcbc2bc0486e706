package dev.idempotency.benchmarks;

import dev.idempotency.server.IdempotencyGuard;
import dev.idempotency.server.redis.RedisIdempotencyStore;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
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
import redis.clients.jedis.ConnectionPoolConfig;
import org.openjdk.jmh.infra.Blackhole;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.RedisClient;

/**
 * The Redis guard against the physical limit of its path: one EVALSHA of a one-key claim script
 * (the seed's: GET, then SET with a lease, 1 for first, 0 for seen) over the same Jedis client,
 * one round trip. A new key needs two round trips (claim, complete), so its ceiling is 0.5x the
 * baseline's rate; a replay needs one, so its ceiling is 1x.
 *
 * <p>The redis-server is started by {@link BenchmarkDriver} and named by the system property
 * {@value #PORT_PROPERTY}.
 *
 * <p>The table's rows come from the pairs ({@link #newKeyPair}, {@link #replayPair}): blocks of
 * {@link #PAIR_BLOCK} guarded calls and as many raw EVALSHA calls back to back in one fork (see
 * {@link Pairs}); the single-sided benchmarks stay for profiling.
 */
public class RedisBenchmarks {
  /** Calls per side and thread in one block of a pair. */
  public static final int PAIR_BLOCK = 50;

  /** Invocations of a pair per iteration. */
  public static final int PAIR_BATCH = 10;

  static final String PORT_PROPERTY = "bench.redis.port";

  /** The seed's claim, one key, one round trip. */
  static final String CLAIM_SCRIPT =
      "if redis.call('GET', KEYS[1]) then return 0 end "
          + "redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) "
          + "return 1";

  /** Enough connections that no benchmark thread (at most 16) waits for one. */
  static final int POOL_SIZE = 32;

  static final int PREWARM_CALLS = 10_000;
  /** The compiler must have been idle this long before the measurement starts (see Prewarm). */
  static final Duration PREWARM_QUIET = Duration.ofSeconds(1);
  static final Duration PREWARM_LIMIT = Duration.ofSeconds(12);

  /** Keys replayed; a power of two. */
  static final int REPLAY_KEYS = 1024;

  private static final byte[] TOKEN = "0f8e7d6c-5b4a-4392-8a1b-0c2d3e4f5a6b".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] LEASE_MS = Long.toString(Duration.ofSeconds(30).toMillis()).getBytes(StandardCharsets.US_ASCII);

  /** One client, shared by the raw EVALSHA baseline and the guard's store. */
  @State(Scope.Benchmark)
  public static class Client {
    RedisClient jedis;
    byte[] claimSha;
    IdempotencyGuard guard;
    final String[] replayKeys = new String[REPLAY_KEYS];

    @Setup(Level.Trial)
    public void connect(BenchmarkParams params) {
      jedis = newClient();
      claimSha = jedis.scriptLoad(CLAIM_SCRIPT).getBytes(StandardCharsets.US_ASCII);
      guard = MemoryGuardBenchmarks.newGuard(RedisIdempotencyStore.builder(jedis).build());
      Keys keys = new Keys();
      for (int i = 0; i < REPLAY_KEYS; i++) {
        replayKeys[i] = keys.next();
        guard.execute(replayKeys[i], Receipt.class, Receipt.CHARGE);
      }
      // The measured operation itself, by count (see Prewarm).
      String benchmark = params.getBenchmark();
      Keys warmKeys = new Keys();
      int[] replay = {0};
      Prewarm.runUntilCompiled(PREWARM_CALLS, PREWARM_QUIET, PREWARM_LIMIT, () -> {
        // A pair warms its guarded side and the baseline, one call each in turn.
        boolean pairTurn = benchmark.endsWith("Pair") && (replay[0]++ & 1) == 0;
        if (benchmark.endsWith(".newKeyGuard") || (benchmark.endsWith(".newKeyPair") && pairTurn)) {
          return guard.execute(warmKeys.next(), Receipt.class, Receipt.CHARGE);
        }
        if (benchmark.endsWith(".replayGuard") || (benchmark.endsWith(".replayPair") && pairTurn)) {
          return guard.execute(replayKeys[replay[0]++ & (REPLAY_KEYS - 1)], Receipt.class, Receipt.MUST_NOT_RUN);
        }
        return claim(this, warmKeys);
      });
    }

    @TearDown(Level.Trial)
    public void close() {
      guard.close();
      jedis.close();
    }
  }

  /** One pooled client with a pool larger than the thread count, as an application would size it. */
  static RedisClient newClient() {
    String port = System.getProperty(PORT_PROPERTY);
    if (port == null) throw new IllegalStateException("no redis-server: set -D" + PORT_PROPERTY);
    ConnectionPoolConfig pool = new ConnectionPoolConfig();
    pool.setMaxTotal(POOL_SIZE);
    pool.setMaxIdle(POOL_SIZE);
    pool.setMinIdle(0);
    return RedisClient.builder()
        .hostAndPort("127.0.0.1", Integer.parseInt(port))
        .poolConfig(pool)
        .clientConfig(DefaultJedisClientConfig.builder()
            .connectionTimeoutMillis(2_000)
            .socketTimeoutMillis(2_000)
            .build())
        .build();
  }

  @State(Scope.Thread)
  public static class ThreadKeys {
    final Keys keys = new Keys();
    int replay = (int) (Thread.currentThread().getId() * 977);
  }

  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  public Receipt newKeyGuard(Client client, ThreadKeys thread) {
    return client.guard.execute(thread.keys.next(), Receipt.class, Receipt.CHARGE);
  }

  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  public Receipt replayGuard(Client client, ThreadKeys thread) {
    String key = client.replayKeys[thread.replay++ & (REPLAY_KEYS - 1)];
    return client.guard.execute(key, Receipt.class, Receipt.MUST_NOT_RUN);
  }

  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  public Object evalshaClaim(Client client, ThreadKeys thread) {
    return claim(client, thread.keys);
  }

  static Object claim(Client client, Keys keys) {
    byte[] key = ("idem:" + keys.next()).getBytes(StandardCharsets.UTF_8);
    return client.jedis.evalsha(client.claimSha, List.of(key), List.of(TOKEN, LEASE_MS));
  }

  /** New keys through the guard and raw EVALSHA claims in alternating blocks of one fork. */
  @Benchmark
  @BenchmarkMode(Mode.SingleShotTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  public void newKeyPair(Client client, ThreadKeys thread, MemoryGuardBenchmarks.PairTimes times,
      MemoryGuardBenchmarks.Lockstep step, Blackhole bh) throws Exception {
    Pairs.run(times, step, bh, PAIR_BLOCK,
        () -> client.guard.execute(thread.keys.next(), Receipt.class, Receipt.CHARGE),
        () -> claim(client, thread.keys));
  }

  /** Replays through the guard and raw EVALSHA claims in alternating blocks of one fork. */
  @Benchmark
  @BenchmarkMode(Mode.SingleShotTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  public void replayPair(Client client, ThreadKeys thread, MemoryGuardBenchmarks.PairTimes times,
      MemoryGuardBenchmarks.Lockstep step, Blackhole bh) throws Exception {
    Pairs.run(times, step, bh, PAIR_BLOCK,
        () -> client.guard.execute(client.replayKeys[thread.replay++ & (REPLAY_KEYS - 1)], Receipt.class,
            Receipt.MUST_NOT_RUN),
        () -> claim(client, thread.keys));
  }
}
