package dev.idempotency.benchmarks;

import dev.idempotency.examples.demo.DemoServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.ConnectionPool;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The demo's payment endpoint over HTTP, with the guard and without it, under a loopback load
 * generator: the benchmark threads (see the driver: {@value #LOAD_THREADS}) each POST a payment
 * with a key of their own, never repeated, through one shared OkHttp client, and the score is
 * payments per second. Server and load generator share this JVM and the machine's cores, on
 * both sides alike.
 *
 * <ul>
 *   <li>memory: {@link DemoServer} with the in-memory store (and its in-memory ledger) against
 *       the same server built {@linkplain DemoServer.Options.Builder#guarded unguarded};
 *   <li>Redis: {@link DemoServer} with {@code redis://} (store and ledger in Redis) against the
 *       same server, unguarded, with the Redis ledger.
 * </ul>
 *
 * <p>Each load thread pays as a caller of its own ({@code Authorization: Bearer}, a new one every
 * {@link ThreadKeys#PAYMENTS_PER_CALLER} payments), as the callers of a real service would: the
 * memory store holds at most a tenth of its records per caller.
 *
 * <p>The table's rows come from the paired benchmarks ({@link #memoryPair}, {@link #redisPair}):
 * one fork starts both servers, and each invocation sends {@link #PAIR_BLOCK} payments per thread
 * to one, then as many to the other (the order swapped every time, the threads in lockstep), each
 * side timed into its own counter ({@link Pairs}), as {@link MemoryGuardBenchmarks} does and for
 * the same reason:
 * with one fork per side, the load other processes put on the shared cores differed between the
 * two forks of a row (0.74x in one run, 0.92x in the next). The single-sided benchmarks stay for
 * profiling one side alone.
 */
public class EndToEndBenchmarks {
  /** Payments per thread in one block of a pair: a few hundred milliseconds of load. */
  public static final int PAIR_BLOCK = 100;

  /** Invocations of a paired benchmark per iteration: about a second. */
  public static final int PAIR_BATCH = 4;

  /** Load generator threads: enough to keep two cores busy through network waits. */
  public static final int LOAD_THREADS = 8;

  /**
   * Room in the guarded memory server's store for every payment of a fork: prewarm and 16
   * iterations send some 100,000 to 250,000, each kept for the 24 hours of its retention. With
   * the default 100,000, the store filled during the measurement, every later payment was a 503
   * and JMH dropped those iterations (from the 5th of 10 on, in earlier runs).
   */
  static final int MEMORY_RECORDS = 1_000_000;

  static final MediaType JSON = MediaType.get("application/json");
  static final int PREWARM_REQUESTS = 15_000;
  /**
   * The compiler must have been idle this long before the measurement starts (see Prewarm): with
   * a count alone, -prof comp showed C2 still compiling for 1 to 2 s of every measured second.
   */
  static final Duration PREWARM_QUIET = Duration.ofSeconds(1);
  static final Duration PREWARM_LIMIT = Duration.ofSeconds(8);
  static final byte[] PAYMENT =
      "{\"account\":\"acc-1\",\"amountCents\":1250,\"currency\":\"EUR\"}".getBytes(StandardCharsets.UTF_8);

  /** One client for all load threads, with room for one kept-alive connection each. */
  @State(Scope.Benchmark)
  public static class Load {
    OkHttpClient client;

    @Setup(Level.Trial)
    public void start() {
      client = new OkHttpClient.Builder()
          .connectionPool(new ConnectionPool(2 * LOAD_THREADS, 5, TimeUnit.MINUTES))
          .build();
    }

    @TearDown(Level.Trial)
    public void stop() {
      client.dispatcher().executorService().shutdown();
      client.connectionPool().evictAll();
    }
  }

  @State(Scope.Thread)
  public static class ThreadKeys {
    /** Well under the memory store's default share per caller (10,000 records). */
    static final int PAYMENTS_PER_CALLER = 5_000;
    private static final AtomicInteger CALLERS = new AtomicInteger();

    final Keys keys = new Keys();
    private String authorization;
    private int payments;

    String authorization() {
      if (payments++ % PAYMENTS_PER_CALLER == 0) authorization = "Bearer load-" + CALLERS.incrementAndGet();
      return authorization;
    }
  }

  @State(Scope.Benchmark)
  public static class GuardedMemory {
    DemoServer server;
    String url;

    @Setup(Level.Trial)
    public void start() throws IOException {
      server = DemoServer.start(DemoServer.Options.builder().store("memory").memoryRecords(MEMORY_RECORDS).build());
      url = server.baseUri() + "/payments";
      prewarm(url);
    }

    @TearDown(Level.Trial)
    public void stop() {
      server.close();
    }
  }

  @State(Scope.Benchmark)
  public static class GuardedRedis {
    DemoServer server;
    String url;

    @Setup(Level.Trial)
    public void start() throws IOException {
      server = DemoServer.start(DemoServer.Options.builder().store("redis://" + redis()).build());
      url = server.baseUri() + "/payments";
      prewarm(url);
    }

    @TearDown(Level.Trial)
    public void stop() {
      server.close();
    }
  }

  @State(Scope.Benchmark)
  public static class UnguardedMemory {
    DemoServer server;
    String url;

    @Setup(Level.Trial)
    public void start() throws IOException {
      server = DemoServer.start(DemoServer.Options.builder().store("memory").guarded(false).build());
      url = server.baseUri() + "/payments";
      prewarm(url);
    }

    @TearDown(Level.Trial)
    public void stop() {
      server.close();
    }
  }

  @State(Scope.Benchmark)
  public static class UnguardedRedis {
    DemoServer server;
    String url;

    @Setup(Level.Trial)
    public void start() throws IOException {
      server = DemoServer.start(DemoServer.Options.builder().store("redis://" + redis()).guarded(false).build());
      url = server.baseUri() + "/payments";
      prewarm(url);
    }

    @TearDown(Level.Trial)
    public void stop() {
      server.close();
    }
  }

  /** The measured path, by count (see Prewarm), with its own client. */
  static void prewarm(String url) {
    Load load = new Load();
    load.start();
    try {
      ThreadLocal<ThreadKeys> keys = ThreadLocal.withInitial(ThreadKeys::new);
      Prewarm.runUntilCompiled(PREWARM_REQUESTS, LOAD_THREADS, PREWARM_QUIET, PREWARM_LIMIT, () -> pay(load, url, keys.get()));
    } finally {
      load.stop();
    }
  }

  static String redis() {
    String port = System.getProperty(RedisBenchmarks.PORT_PROPERTY);
    if (port == null) throw new IllegalStateException("no redis-server: set -D" + RedisBenchmarks.PORT_PROPERTY);
    return "127.0.0.1:" + port;
  }

  /** One payment with a fresh key; anything but 201 fails the benchmark. */
  static int pay(Load load, String url, ThreadKeys thread) throws IOException {
    Request request = new Request.Builder()
        .url(url)
        .header("Idempotency-Key", thread.keys.next())
        .header("Authorization", thread.authorization())
        .post(RequestBody.create(PAYMENT, JSON))
        .build();
    try (Response response = load.client.newCall(request).execute()) {
      byte[] body = response.body().bytes();
      if (response.code() != 201) {
        throw new IOException("expected 201, got " + response.code() + ": " + new String(body, StandardCharsets.UTF_8));
      }
      return body.length;
    }
  }

  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  public int guardedMemory(Load load, GuardedMemory server, ThreadKeys thread) throws IOException {
    return pay(load, server.url, thread);
  }

  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  public int unguardedMemory(Load load, UnguardedMemory server, ThreadKeys thread) throws IOException {
    return pay(load, server.url, thread);
  }

  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  public int guardedRedis(Load load, GuardedRedis server, ThreadKeys thread) throws IOException {
    return pay(load, server.url, thread);
  }

  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  public int unguardedRedis(Load load, UnguardedRedis server, ThreadKeys thread) throws IOException {
    return pay(load, server.url, thread);
  }

  /** Memory store: the guarded and the unguarded server in alternating blocks of one fork. */
  @Benchmark
  @BenchmarkMode(Mode.SingleShotTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  public void memoryPair(Load load, GuardedMemory guarded, UnguardedMemory unguarded, ThreadKeys thread,
      MemoryGuardBenchmarks.PairTimes times, MemoryGuardBenchmarks.Lockstep step, Blackhole bh) throws Exception {
    Pairs.run(times, step, bh, PAIR_BLOCK,
        () -> pay(load, guarded.url, thread), () -> pay(load, unguarded.url, thread));
  }

  /** Redis: the guarded and the unguarded server in alternating blocks of one fork. */
  @Benchmark
  @BenchmarkMode(Mode.SingleShotTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  public void redisPair(Load load, GuardedRedis guarded, UnguardedRedis unguarded, ThreadKeys thread,
      MemoryGuardBenchmarks.PairTimes times, MemoryGuardBenchmarks.Lockstep step, Blackhole bh) throws Exception {
    Pairs.run(times, step, bh, PAIR_BLOCK,
        () -> pay(load, guarded.url, thread), () -> pay(load, unguarded.url, thread));
  }
}
