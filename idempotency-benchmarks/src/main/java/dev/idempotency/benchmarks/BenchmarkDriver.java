package dev.idempotency.benchmarks;

import com.fasterxml.jackson.databind.SerializationFeature;
import dev.idempotency.server.jdbc.PostgresServerFixture;
import dev.idempotency.server.jdbc.PostgresServerProcess;
import dev.idempotency.server.redis.RedisServerFixture;
import dev.idempotency.server.redis.RedisServerProcess;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;
import org.openjdk.jmh.util.ListStatistics;

/**
 * Runs every benchmark of this module with JMH, in one go, and turns the results into ratios
 * against their baselines: a table on standard output, {@code BENCHMARKS.json} and
 * {@code BENCHMARKS.md}. Started by {@code ./bench/run}.
 *
 * <p>Options: {@code --out=DIR} (where the two files go; default the working directory),
 * {@code --notes=FILE} (hand-written "what remains and why", copied into BENCHMARKS.md),
 * {@code --only=memory,redis,client,e2e,postgres,footprint} (a subset, for iterating; writes no files
 * unless {@code --write} is given too), {@code --prof=gc} (any JMH profiler, with its options after a
 * colon as JMH's {@code -prof} takes them, for investigating).
 */
public final class BenchmarkDriver {

  /** Lower is better (a time), or higher is better (a rate). */
  enum Better {
    LOWER,
    HIGHER
  }

  /** A target on a ratio: at most or at least {@code value}. */
  record Target(Better better, double value) {
    boolean met(double ratio) {
      return better == Better.LOWER ? ratio <= value : ratio >= value;
    }

    String text() {
      return (better == Better.LOWER ? "≤ " : "≥ ") + java.math.BigDecimal.valueOf(value).stripTrailingZeros().toPlainString() + "x";
    }
  }

  /**
   * How one group of benchmarks is run. The budget: the whole set, with a build, in under five
   * minutes on two cores. Each benchmark gets one fork (a fresh JVM), so a group costs about
   * (JVM start + warmup + measurement) per benchmark and thread count.
   */
  record Group(
      String name,
      Class<?> benchmarks,
      List<Integer> threads,
      int rounds,
      int warmupIterations,
      int measurementIterations,
      Duration iterationTime,
      int batchSize) {}

  /** One line of the table: a guarded benchmark against its baseline at one thread count. */
  record Row(
      String id,
      String group,
      String title,
      String meaning,
      String guard,
      String baseline,
      int threads,
      Better better,
      Target target) {}

  /**
   * One benchmark's score per operation (a batch is divided by its size): the median of its
   * measured iterations, which a burst of load from another process moves less than the mean,
   * and the mean with JMH's 99.9% confidence half-width.
   */
  record Score(String benchmark, int threads, double median, double mean, double error, String unit, int samples) {}

  static final List<Group> GROUPS = List.of(
      // Single shots of NEW_KEY_BATCH calls each: 6 warmup batches (120,000 calls per thread,
      // however slow the machine) take the code through C2.
      // Paired (see MemoryGuardBenchmarks): one fork runs both sides, in single shots of
      // PAIR_BATCH invocations, each a block of PAIR_BLOCK calls per side and thread; an iteration
      // is 20,000 calls per side and thread, some 100 ms. 30 warmup iterations (600,000 calls
      // per side and thread, however slow the machine) take the code through C2.
      // Three forks a row, their iterations pooled: one fork's ratio depends on how the JIT compiled
      // that JVM (a replay row read 0.97x in one fork and 1.44x in the next, each with a spread of
      // +-0.1 inside), so one fork a row measured the compiler's choice as much as the guard.
      new Group("memory-new", MemoryGuardBenchmarks.class, List.of(1, 2), 3, 30, 20, null,
          MemoryGuardBenchmarks.PAIR_BATCH),
      new Group("memory-replay", MemoryGuardBenchmarks.class, List.of(1, 2), 3, 30, 20, null,
          MemoryGuardBenchmarks.PAIR_BATCH),
      // The groups below (and the replays above) first call their measured operation in setup
      // (Prewarm: 10,000 Redis calls or client POSTs, 15,000 end-to-end requests, 100,000
      // replays; for Redis, end to end and the replays, then until the compiler has been idle
      // for a second; each bounded in time), then JMH's timed warmup. One round each, but the
      // client's three: its two sides differ by one header over loopback (about 4 us of 90), and
      // one fork's ratio ranged 0.99x-1.12x from fork to fork, wider than the 5% it is judged on.
      // Paired too (see Pairs): single shots of PAIR_BATCH blocks per side and thread. Every
      // paired group measures an even number of iterations: the side an iteration starts with
      // alternates, and the first calls after an iteration boundary are slow (see PairTimes).
      new Group("redis", RedisBenchmarks.class, List.of(1, 16), 1, 5, 16, null, RedisBenchmarks.PAIR_BATCH),
      new Group("client", ClientBenchmarks.class, List.of(1), 3, 5, 16, null, ClientBenchmarks.PAIR_BATCH),
      // Paired, like the memory rows: one fork per store runs both servers, single shots of
      // PAIR_BATCH invocations of PAIR_BLOCK payments per side and thread (about a second).
      new Group("e2e", EndToEndBenchmarks.class, List.of(EndToEndBenchmarks.LOAD_THREADS), 1, 6, 10,
          null, EndToEndBenchmarks.PAIR_BATCH),
      // Paired (see Pairs): single shots of PAIR_BATCH blocks per side; a fork per pair, after
      // Prewarm (3,000 calls, then until the compiler has been idle for a second).
      new Group("postgres", PostgresBenchmarks.class, List.of(1), 1, 5, 16, null, PostgresBenchmarks.PAIR_BATCH));

  static final List<Row> ROWS = List.of(
      new Row("memory-new-1t", "memory-new", "Memory guard, new key",
          "guard.execute(newKey, Receipt.class, supplier) over the default InMemoryIdempotencyStore, "
              + "time per call, against the supplier + a Jackson encode + one ConcurrentHashMap insert",
          "MemoryGuardBenchmarks.newKeyPair:guard", "MemoryGuardBenchmarks.newKeyPair:baseline", 1,
          Better.LOWER, new Target(Better.LOWER, 1.5)),
      new Row("memory-new-2t", "memory-new", "Memory guard, new key",
          "the same with two threads calling at once", "MemoryGuardBenchmarks.newKeyPair:guard",
          "MemoryGuardBenchmarks.newKeyPair:baseline", 2, Better.LOWER, new Target(Better.LOWER, 1.5)),
      new Row("memory-replay-1t", "memory-replay", "Memory guard, replay",
          "guard.execute on a completed key (the business code must not run), time per call, "
              + "against one ConcurrentHashMap lookup + a Jackson decode",
          "MemoryGuardBenchmarks.replayPair:guard", "MemoryGuardBenchmarks.replayPair:baseline", 1,
          Better.LOWER, new Target(Better.LOWER, 1.2)),
      new Row("memory-replay-2t", "memory-replay", "Memory guard, replay",
          "the same with two threads", "MemoryGuardBenchmarks.replayPair:guard",
          "MemoryGuardBenchmarks.replayPair:baseline", 2, Better.LOWER, new Target(Better.LOWER, 1.2)),
      new Row("redis-new-1t", "redis", "Redis guard, new key",
          "guard.execute(newKey, ...) over RedisIdempotencyStore, calls per second, against raw "
              + "Jedis EVALSHA of a one-key claim script over the same client (one round trip; a new "
              + "key needs two, so 0.5x is the ceiling)",
          "RedisBenchmarks.newKeyPair:guard", "RedisBenchmarks.newKeyPair:baseline", 1,
          Better.HIGHER, new Target(Better.HIGHER, 0.45)),
      new Row("redis-new-16t", "redis", "Redis guard, new key",
          "the same with 16 threads sharing one pooled client", "RedisBenchmarks.newKeyPair:guard",
          "RedisBenchmarks.newKeyPair:baseline", 16, Better.HIGHER, new Target(Better.HIGHER, 0.45)),
      new Row("redis-replay-1t", "redis", "Redis guard, replay",
          "guard.execute on a completed key, calls per second, against the same raw EVALSHA "
              + "(one round trip each: 1x is the ceiling)",
          "RedisBenchmarks.replayPair:guard", "RedisBenchmarks.replayPair:baseline", 1,
          Better.HIGHER, new Target(Better.HIGHER, 0.9)),
      new Row("redis-replay-16t", "redis", "Redis guard, replay",
          "the same with 16 threads", "RedisBenchmarks.replayPair:guard",
          "RedisBenchmarks.replayPair:baseline", 16, Better.HIGHER, new Target(Better.HIGHER, 0.9)),
      new Row("client-1t", "client", "Client interceptor",
          "a POST of a 200-byte JSON body through OkHttp with IdempotencyInterceptor, time per call, "
              + "against the same POST through plain OkHttp, same local server",
          "ClientBenchmarks.pair:guard", "ClientBenchmarks.pair:baseline", 1,
          Better.LOWER, new Target(Better.LOWER, 1.05)),
      new Row("client-control-1t", "client", "Client pair, A/A control",
          "the client row's harness with a second plain OkHttp client in the interceptor's slot: "
              + "1x unless the harness favours a slot, so how far to trust the row above",
          "ClientBenchmarks.pairControl:guard", "ClientBenchmarks.pairControl:baseline", 1,
          Better.LOWER, null),
      new Row("e2e-memory", "e2e", "HTTP end to end, memory store",
          "payments per second through the demo's POST /payments on the JDK HttpServer (DemoServer, "
              + "in-memory store), against the same PaymentHandler and ledger without the guard, "
              + EndToEndBenchmarks.LOAD_THREADS + " loopback load threads, a fresh key per request",
          "EndToEndBenchmarks.memoryPair:guard", "EndToEndBenchmarks.memoryPair:baseline",
          EndToEndBenchmarks.LOAD_THREADS, Better.HIGHER, new Target(Better.HIGHER, 0.90)),
      new Row("e2e-redis", "e2e", "HTTP end to end, Redis store",
          "the same with DemoServer on redis:// (store and ledger in Redis), against the handler with "
              + "its Redis ledger and no guard",
          "EndToEndBenchmarks.redisPair:guard", "EndToEndBenchmarks.redisPair:baseline",
          EndToEndBenchmarks.LOAD_THREADS, Better.HIGHER, null),
      new Row("postgres-tx-new-1t", "postgres", "PostgreSQL transactional guard, new key",
          "TransactionalIdempotencyGuard.run (DataSource mode, HikariCP) whose work is one INSERT of the "
              + "payment on the claim's connection, calls per second, against the same INSERT and its COMMIT "
              + "without the guard, same pool (the guard's transaction also reads, claims and completes its "
              + "record: four round trips and the commit against one and the commit)",
          "PostgresBenchmarks.transactionalNewKeyPair:guard", "PostgresBenchmarks.transactionalNewKeyPair:baseline", 1,
          Better.HIGHER, new Target(Better.HIGHER, 0.45)),
      new Row("postgres-tx-replay-1t", "postgres", "PostgreSQL transactional guard, replay",
          "the same guard on a committed key (the work must not run), calls per second, against one SELECT "
              + "of the payment by its primary key and a Jackson decode of its receipt, same pool",
          "PostgresBenchmarks.transactionalReplayPair:guard", "PostgresBenchmarks.transactionalReplayPair:baseline", 1,
          Better.HIGHER, new Target(Better.HIGHER, 0.9)),
      new Row("postgres-store-new-1t", "postgres", "PostgreSQL store (lease mode), new key",
          "IdempotencyGuard over JdbcIdempotencyStore, whose work is the same INSERT and COMMIT on a "
              + "connection of its own, calls per second, against that INSERT and COMMIT alone (the claim and "
              + "the complete are a statement each, in autocommit)",
          "PostgresBenchmarks.storeNewKeyPair:guard", "PostgresBenchmarks.storeNewKeyPair:baseline", 1,
          Better.HIGHER, null),
      new Row("postgres-store-replay-1t", "postgres", "PostgreSQL store (lease mode), replay",
          "the same guard on a completed key, calls per second, against the same SELECT by primary key and "
              + "decode",
          "PostgresBenchmarks.storeReplayPair:guard", "PostgresBenchmarks.storeReplayPair:baseline", 1,
          Better.HIGHER, null));

  private BenchmarkDriver() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> options = parse(args);
    Instant startedAt = startedAt();
    Set<String> only = options.containsKey("only")
        ? new LinkedHashSet<>(List.of(options.get("only").split(",")))
        : Set.of();
    boolean write = only.isEmpty() || options.containsKey("write");
    Path out = Path.of(options.getOrDefault("out", "."));

    Machine machine = Machine.detect();
    System.out.println(machine.describe());

    List<Group> groups = new ArrayList<>();
    for (Group g : GROUPS) {
      if (only.isEmpty() || only.contains(g.name()) || only.contains(g.name().split("-")[0])) groups.add(g);
    }
    boolean needsRedis = groups.stream().anyMatch(
        g -> g.benchmarks() == RedisBenchmarks.class || g.benchmarks() == EndToEndBenchmarks.class);
    boolean needsPostgres = groups.stream().anyMatch(g -> g.benchmarks() == PostgresBenchmarks.class);

    Map<String, Score> scores = new LinkedHashMap<>();
    Map<String, String> failures = new LinkedHashMap<>();
    RedisServerProcess redis = null;
    String redisVersion = "not started";
    PostgresServerProcess postgres = null;
    Servers servers = new Servers(null, null, null);
    String postgresVersion = "not started";
    PostgresTableSize tableSize = null;
    try {
      if (needsRedis) {
        redis = RedisServerFixture.newStandalone();
        redisVersion = redis.version() + " (" + RedisServerFixture.binarySource() + ")";
        System.out.println("redis-server " + redisVersion + " on port " + redis.port());
      }
      if (needsPostgres) {
        postgres = PostgresServerFixture.newServer();
        postgresVersion = postgres.version() + " (" + postgres.binarySource() + ")";
        System.out.println("postgres " + postgresVersion + " on port " + postgres.port());
      }
      servers = new Servers(redis, postgres, postgres == null ? null : postgres.createDatabase("bench"));
      for (Group group : groups) {
        for (int threads : group.threads()) {
          long t0 = System.nanoTime();
          run(group, threads, servers, options.get("prof"), scores, failures);
          System.out.printf(Locale.ROOT, "[%s, %d thread(s): %.0f s]%n",
              group.name(), threads, (System.nanoTime() - t0) / 1e9);
        }
      }
      if (postgres != null) {
        long t0 = System.nanoTime();
        tableSize = PostgresTableSize.measure(postgres);
        System.out.printf(Locale.ROOT, "[postgres table size: %.0f s]%n", (System.nanoTime() - t0) / 1e9);
      }
    } finally {
      if (redis != null) redis.close();
      if (postgres != null) postgres.close();
    }

    Footprint footprint = null;
    if (only.isEmpty() || only.contains("footprint")) footprint = Footprint.measure();

    List<Map<String, Object>> rows = rows(scores, failures, groups);
    String table = table(rows, footprint, tableSize);
    System.out.println();
    System.out.println(table);

    double seconds = Duration.between(startedAt, Instant.now()).toMillis() / 1000.0;
    System.out.printf(Locale.ROOT, "%ntotal time since the command started: %.0f s%n", seconds);
    if (write) {
      String command = System.getenv().getOrDefault("BENCH_COMMAND", "./bench/run");
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("startedAt", startedAt.truncatedTo(ChronoUnit.SECONDS).toString());
      json.put("command", command);
      json.put("durationSeconds", Math.round(seconds));
      json.put("machine", machine.json(redisVersion, postgresVersion));
      json.put("jmh", jmhSettings(groups));
      json.put("rows", rows);
      if (footprint != null) json.put("footprint", footprint.json());
      if (tableSize != null) json.put("postgresTable", tableSize.json());
      Files.createDirectories(out);
      Receipt.MAPPER.copy().enable(SerializationFeature.INDENT_OUTPUT)
          .writeValue(out.resolve("BENCHMARKS.json").toFile(), json);
      String notes = options.containsKey("notes") && Files.exists(Path.of(options.get("notes")))
          ? Files.readString(Path.of(options.get("notes")))
          : "";
      Files.writeString(out.resolve("BENCHMARKS.md"),
          Report.markdown(machine, redisVersion, postgresVersion, command, startedAt, seconds, table, rows, footprint,
              tableSize, groups, notes));
      System.out.println("wrote " + out.resolve("BENCHMARKS.md") + " and " + out.resolve("BENCHMARKS.json"));
    }
  }

  private static Instant startedAt() {
    String epoch = System.getenv("BENCH_STARTED_AT");
    if (epoch != null && !epoch.isBlank()) return Instant.ofEpochSecond(Long.parseLong(epoch.trim()));
    return Instant.now();
  }

  private static Map<String, String> parse(String[] args) {
    Map<String, String> options = new LinkedHashMap<>();
    for (String arg : args) {
      if (!arg.startsWith("--")) throw new IllegalArgumentException("unknown argument: " + arg);
      int eq = arg.indexOf('=');
      if (eq < 0) options.put(arg.substring(2), "");
      else options.put(arg.substring(2, eq), arg.substring(eq + 1));
    }
    return options;
  }

  /** The methods of a group: the benchmarks its rows name (guarded and baseline). */
  static List<String> methods(Group group) {
    Set<String> methods = new LinkedHashSet<>();
    for (Row row : ROWS) {
      if (row.group().equals(group.name())) {
        methods.add(benchmarkOf(row.baseline()));
        methods.add(benchmarkOf(row.guard()));
      }
    }
    Set<String> present = new LinkedHashSet<>();
    for (var m : group.benchmarks().getMethods()) {
      if (m.isAnnotationPresent(org.openjdk.jmh.annotations.Benchmark.class)) {
        present.add(group.benchmarks().getSimpleName() + "." + m.getName());
      }
    }
    methods.retainAll(present);
    return new ArrayList<>(methods);
  }

  /** The JMH benchmark behind a row's side: {@code Class.method}, or {@code Class.method:side} for a pair. */
  static String benchmarkOf(String side) {
    int colon = side.indexOf(':');
    return colon < 0 ? side : side.substring(0, colon);
  }

  /**
   * Runs the group's benchmarks at one thread count, {@link Group#rounds()} times, the order of
   * the benchmarks reversed every other round (A B, then B A): a machine whose load drifts during
   * the run then weighs on both sides of a ratio alike. A benchmark's score pools the measured
   * iterations of all its rounds.
   */
  private static void run(Group group, int threads, Servers servers, String profiler,
      Map<String, Score> scores, Map<String, String> failures) {
    List<String> methods = methods(group);
    String only = System.getProperty("bench.methods"); // e.g. -Dbench.methods=transactionalReplayPair, to profile one
    if (only != null) methods.removeIf(m -> !m.contains(only));
    if (methods.isEmpty()) return;
    Map<String, ListStatistics> pooled = new LinkedHashMap<>();
    Map<String, String> units = new LinkedHashMap<>();
    for (int round = 0; round < group.rounds(); round++) {
      List<String> order = new ArrayList<>(methods);
      if (round % 2 == 1) java.util.Collections.reverse(order);
      for (String method : order) {
        try {
          for (RunResult result : new Runner(options(group, threads, servers, profiler, method)).run()) {
            String unit = result.getPrimaryResult().getScoreUnit();
            units.put(method, group.batchSize() > 0 ? unit.replace("/op", "") + "/call" : unit);
            double divisor = group.batchSize() > 0 ? group.batchSize() : 1;
            for (BenchmarkResult benchmark : result.getBenchmarkResults()) {
              for (IterationResult iteration : benchmark.getIterationResults()) {
                var counters = iteration.getSecondaryResults();
                if (counters.containsKey("guardNanos")) { // a pair: each side from its counters
                  // Summed over the threads: nanos / calls is a thread's time per call.
                  double calls = counters.get("calls").getScore();
                  double guardPerCall = counters.get("guardNanos").getScore() / calls;
                  double baselinePerCall = counters.get("baselineNanos").getScore() / calls;
                  boolean rate = group.benchmarks() == EndToEndBenchmarks.class
                      || group.benchmarks() == RedisBenchmarks.class
                      || group.benchmarks() == PostgresBenchmarks.class;
                  pooled.computeIfAbsent(method + ":guard", m -> new ListStatistics())
                      .addValue(rate ? threads * 1e9 / guardPerCall : guardPerCall);
                  pooled.computeIfAbsent(method + ":baseline", m -> new ListStatistics())
                      .addValue(rate ? threads * 1e9 / baselinePerCall : baselinePerCall);
                  units.put(method + ":guard", rate ? "ops/s" : "ns/call");
                  units.put(method + ":baseline", rate ? "ops/s" : "ns/call");
                  // The iteration's own ratio, guarded over baseline in the row's unit: both sides
                  // met the same load, so this is the figure a pair is run for.
                  pooled.computeIfAbsent(method + ":ratio", m -> new ListStatistics())
                      .addValue(rate ? baselinePerCall / guardPerCall : guardPerCall / baselinePerCall);
                  units.put(method + ":ratio", "x");
                } else {
                  pooled.computeIfAbsent(method, m -> new ListStatistics())
                      .addValue(iteration.getPrimaryResult().getScore() / divisor);
                }
              }
            }
          }
        } catch (RunnerException e) {
          failures.put(key(method, threads), e.toString());
        }
      }
    }
    Set<String> sides = new LinkedHashSet<>();
    for (Row row : ROWS) {
      if (row.group().equals(group.name())) {
        sides.add(row.baseline());
        sides.add(row.guard());
        if (row.guard().contains(":")) sides.add(benchmarkOf(row.guard()) + ":ratio");
      }
    }
    for (String side : sides) {
      ListStatistics stats = pooled.get(side);
      if (stats == null || stats.getN() == 0) {
        failures.putIfAbsent(key(side, threads), "failed: see the JMH output above");
        continue;
      }
      scores.put(key(side, threads), new Score(side, threads, stats.getPercentile(50),
          stats.getMean(), stats.getMeanErrorAt(0.999), units.get(side), (int) stats.getN()));
    }
  }

  private static org.openjdk.jmh.runner.options.Options options(
      Group group, int threads, Servers servers, String profiler, String method) {
    ChainedOptionsBuilder builder = new OptionsBuilder()
        .include("^" + BenchmarkDriver.class.getPackageName().replace(".", "\\.") + "\\."
            + method.replace(".", "\\.") + "$")
        .forks(1)
        .threads(threads)
        .warmupIterations(group.warmupIterations())
        .measurementIterations(group.measurementIterations())
        .shouldFailOnError(false)
        // No forced GC between iterations: in the paired groups both sides run in every
        // iteration, each paying for the collections its own blocks cause, and a forced full GC
        // of a 2 GB heap between the short single shots took most of a fork's time.
        .shouldDoGC(false)
        .verbosity(VerboseMode.NORMAL)
        .jvmArgs(forkJvmArgs(servers).toArray(String[]::new));
    if (group.iterationTime() != null) {
      TimeValue time = TimeValue.milliseconds(group.iterationTime().toMillis());
      builder.warmupTime(time).measurementTime(time);
    }
    if (group.batchSize() > 0) {
      builder.mode(Mode.SingleShotTime).warmupBatchSize(group.batchSize()).measurementBatchSize(group.batchSize());
    }
    if (profiler != null && !profiler.isEmpty()) {
      // As JMH's -prof: a name, then its options after a colon (e.g. async:libPath=...;event=wall).
      int colon = profiler.indexOf(':');
      if (colon < 0) builder.addProfiler(profiler);
      else builder.addProfiler(profiler.substring(0, colon), profiler.substring(colon + 1));
    }
    return builder.build();
  }

  /** The servers the driver started for the forks: each null when no group needs it. */
  record Servers(RedisServerProcess redis, PostgresServerProcess postgres, String database) {}

  static List<String> forkJvmArgs(Servers servers) {
    List<String> args = new ArrayList<>(List.of(
        // A fixed heap: no resizing during the measurement, the same for every benchmark. Every
        // page touched at start: this VM backs fresh memory lazily, and a first touch during the
        // measurement cost the side that allocates more (the guard) most; it made a new-key
        // baseline call take 2.5 to 4.9 us in the first runs after boot against 0.6 to 0.9 later.
        "-Xms2g", "-Xmx2g", "-XX:+AlwaysPreTouch",
        // The JDK HttpServer writes headers and body separately; with Nagle on, the body waits
        // for the client's delayed ACK (40 ms on Linux) on every kept-alive request.
        "-Dsun.net.httpserver.nodelay=true"));
    if (servers.redis() != null) args.add("-D" + RedisBenchmarks.PORT_PROPERTY + "=" + servers.redis().port());
    if (servers.postgres() != null) {
      args.add("-D" + PostgresBenchmarks.PORT_PROPERTY + "=" + servers.postgres().port());
      args.add("-D" + PostgresBenchmarks.DATABASE_PROPERTY + "=" + servers.database());
    }
    return args;
  }

  /** What one single-shot iteration of a group does. */
  static String iterationText(Group g) {
    if (g.benchmarks() == RedisBenchmarks.class) {
      return "one single shot of " + g.batchSize() + " paired blocks per thread, each "
          + RedisBenchmarks.PAIR_BLOCK + " guarded calls and " + RedisBenchmarks.PAIR_BLOCK + " raw EVALSHA calls";
    }
    if (g.benchmarks() == ClientBenchmarks.class) {
      return "one single shot of " + g.batchSize() + " paired blocks, each "
          + ClientBenchmarks.PAIR_BLOCK + " POSTs through each client";
    }
    if (g.benchmarks() == EndToEndBenchmarks.class) {
      return "one single shot of " + g.batchSize() + " paired blocks per thread, each "
          + EndToEndBenchmarks.PAIR_BLOCK + " payments to the guarded server and "
          + EndToEndBenchmarks.PAIR_BLOCK + " to the unguarded one";
    }
    if (g.benchmarks() == PostgresBenchmarks.class) {
      return "one single shot of " + g.batchSize() + " paired blocks, each "
          + PostgresBenchmarks.PAIR_BLOCK + " guarded calls and " + PostgresBenchmarks.PAIR_BLOCK + " baseline calls";
    }
    if (g.benchmarks() == MemoryGuardBenchmarks.class) {
      return "one single shot of " + g.batchSize() + " paired blocks per thread, each "
          + MemoryGuardBenchmarks.PAIR_BLOCK + " guarded calls and " + MemoryGuardBenchmarks.PAIR_BLOCK
          + " baseline calls";
    }
    return "one single-shot batch of " + g.batchSize() + " calls per thread";
  }

  static String key(String method, int threads) {
    return method + "@" + threads;
  }

  private static List<Map<String, Object>> rows(
      Map<String, Score> scores, Map<String, String> failures, List<Group> groups) {
    Set<String> ran = new LinkedHashSet<>();
    for (Group g : groups) ran.add(g.name());
    List<Map<String, Object>> rows = new ArrayList<>();
    for (Row row : ROWS) {
      if (!ran.contains(row.group())) continue;
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("id", row.id());
      r.put("title", row.title());
      r.put("threads", row.threads());
      r.put("meaning", row.meaning());
      Score guard = scores.get(key(row.guard(), row.threads()));
      Score baseline = scores.get(key(row.baseline(), row.threads()));
      r.put("guard", scoreJson(row.guard(), guard));
      r.put("baseline", scoreJson(row.baseline(), baseline));
      r.put("target", row.target() == null ? null : row.target().text());
      Score paired = scores.get(key(benchmarkOf(row.guard()) + ":ratio", row.threads()));
      if (guard != null && baseline != null) {
        double ratio;
        double meanRatio;
        double error;
        if (paired != null) { // the median and the mean of the iterations' own ratios
          ratio = paired.median();
          meanRatio = paired.mean();
          error = paired.error();
        } else {
          ratio = guard.median() / baseline.median();
          meanRatio = guard.mean() / baseline.mean();
          error = meanRatio * Math.hypot(relative(guard), relative(baseline));
        }
        r.put("paired", paired != null);
        r.put("ratio", round(ratio));
        r.put("ratioOfMeans", round(meanRatio));
        r.put("ratioOfMeansError", Double.isNaN(error) ? null : round(error));
        r.put("verdict", row.target() == null ? "REPORT" : row.target().met(ratio) ? "PASS" : "MISS");
        // JMH leaves a failed iteration out and goes on: a row pooled from fewer iterations
        // than it ran says so instead of a verdict.
        int expected = groups.stream().filter(g -> g.name().equals(row.group()))
            .mapToInt(g -> g.rounds() * g.measurementIterations()).findFirst().orElse(0);
        int measured = Math.min(guard.samples(), baseline.samples());
        if (measured < expected) {
          r.put("verdict", "INCOMPLETE");
          r.put("why", (expected - measured) + " of " + expected + " measured iterations failed: see the JMH output");
        }
      } else {
        r.put("ratio", null);
        r.put("ratioOfMeans", null);
        r.put("ratioOfMeansError", null);
        String side = guard == null ? row.guard() : row.baseline();
        String why = failures.getOrDefault(key(side, row.threads()),
            failures.getOrDefault(key(benchmarkOf(side), row.threads()), "not built yet"));
        r.put("verdict", "NOT MEASURED");
        r.put("why", why);
      }
      rows.add(r);
    }
    return rows;
  }

  private static double relative(Score s) {
    return Double.isNaN(s.error()) ? 0 : s.error() / s.mean();
  }

  private static Map<String, Object> scoreJson(String benchmark, Score s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("benchmark", benchmark);
    if (s != null) {
      m.put("median", round(s.median()));
      m.put("mean", round(s.mean()));
      m.put("error", Double.isNaN(s.error()) ? null : round(s.error()));
      m.put("unit", s.unit());
      m.put("samples", s.samples());
    }
    return m;
  }

  private static Map<String, Object> jmhSettings(List<Group> groups) {
    Map<String, Object> settings = new LinkedHashMap<>();
    for (Group g : groups) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("threads", g.threads());
      m.put("rounds", g.rounds());
      m.put("forksPerRound", 1);
      m.put("warmupIterations", g.warmupIterations());
      m.put("measurementIterations", g.measurementIterations());
      m.put("iteration", g.batchSize() > 0 ? iterationText(g) : g.iterationTime().toMillis() + " ms");
      m.put("jvmArgs", forkJvmArgs(new Servers(null, null, null)));
      settings.put(g.name(), m);
    }
    return settings;
  }

  static String table(List<Map<String, Object>> rows, Footprint footprint, PostgresTableSize tableSize) {
    StringBuilder t = new StringBuilder();
    t.append("| Row | Threads | Guarded (median) | Baseline (median) | Ratio | Target | Verdict | Ratio of means |\n");
    t.append("|---|---:|---:|---:|---:|---|---|---:|\n");
    for (Map<String, Object> r : rows) {
      t.append("| ").append(r.get("title"))
          .append(" | ").append(r.get("threads"))
          .append(" | ").append(scoreText(r.get("guard")))
          .append(" | ").append(scoreText(r.get("baseline")))
          .append(" | ").append(ratioText(r))
          .append(" | ").append(r.get("target") == null ? "report" : r.get("target"))
          .append(" | ").append(r.get("verdict"))
          .append("INCOMPLETE".equals(r.get("verdict")) ? " (" + r.get("why") + ")" : "")
          .append(" | ").append(meanRatioText(r))
          .append(" |\n");
    }
    if (footprint != null) {
      t.append("| ").append("Memory store, bytes per entry (").append(footprint.entriesText())
          .append(", 200-byte answer)")
          .append(" | 1 | ").append(footprint.text("store"))
          .append(" | ").append(footprint.text("map"))
          .append(" | ").append(footprint.ratioText("store"))
          .append(" | report | ").append(footprint.verdict()).append(" | |\n");
      t.append("| ").append("Memory store, bytes per entry, with a request fingerprint (HTTP layer)")
          .append(" | 1 | ").append(footprint.text("fingerprinted"))
          .append(" | ").append(footprint.text("map"))
          .append(" | ").append(footprint.ratioText("fingerprinted"))
          .append(" | report | ").append(footprint.verdict()).append(" | |\n");
    }
    if (tableSize != null) t.append(tableSize.tableRow());
    return t.toString();
  }

  @SuppressWarnings("unchecked")
  private static String scoreText(Object score) {
    Map<String, Object> s = (Map<String, Object>) score;
    if (s == null || !s.containsKey("median")) return "—";
    return fmt((Double) s.get("median")) + " " + s.get("unit");
  }

  private static String ratioText(Map<String, Object> r) {
    Object ratio = r.get("ratio");
    return ratio == null ? "—" : "**" + fmt((Double) ratio) + "x**";
  }

  private static String meanRatioText(Map<String, Object> r) {
    Object ratio = r.get("ratioOfMeans");
    if (ratio == null) return "—";
    Object error = r.get("ratioOfMeansError");
    return fmt((Double) ratio) + "x" + (error == null ? "" : " ± " + fmt((Double) error));
  }

  static double round(double v) {
    if (v == 0 || Double.isNaN(v) || Double.isInfinite(v)) return v;
    double scale = Math.pow(10, 4 - (int) Math.ceil(Math.log10(Math.abs(v))));
    return Math.round(v * scale) / scale;
  }

  /** Three significant digits, no exponent. */
  static String fmt(double v) {
    if (v == 0) return "0";
    int digits = Math.max(0, 3 - (int) Math.ceil(Math.log10(Math.abs(v))));
    return String.format(Locale.ROOT, "%." + digits + "f", v);
  }

  /** Bytes per entry of the memory store and of a bare map, measured in a JVM of their own. */
  record Footprint(Map<String, String> values, String error) {
    static Footprint measure() {
      Map<String, String> values = new LinkedHashMap<>();
      String error = null;
      for (String variant : List.of("store", "fingerprinted", "map")) {
        String e = measure(variant, values);
        if (e != null && error == null) error = variant + ": " + e;
      }
      return new Footprint(values, error);
    }

    /** Runs one variant in a JVM of its own, so nothing of another variant stays on its heap. */
    private static String measure(String variant, Map<String, String> values) {
      String java = ProcessHandle.current().info().command().orElse("java");
      List<String> command = List.of(java, "-XX:+UseSerialGC", "-Xms1g", "-Xmx1g",
          "-cp", System.getProperty("java.class.path"), MemoryFootprint.class.getName(), variant);
      System.out.println("footprint: java -XX:+UseSerialGC -Xms1g -Xmx1g " + MemoryFootprint.class.getSimpleName() + " " + variant);
      try {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try (BufferedReader reader = new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
          String line;
          while ((line = reader.readLine()) != null) {
            System.out.println("  " + line);
            if (line.startsWith("RESULT ")) {
              for (String pair : line.substring(7).trim().split(" ")) {
                int eq = pair.indexOf('=');
                values.put(pair.substring(0, eq), pair.substring(eq + 1));
              }
            }
          }
        }
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          return "timed out";
        }
        return process.exitValue() == 0 ? null : "exit " + process.exitValue();
      } catch (IOException e) {
        return e.toString();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return "interrupted";
      }
    }

    String entriesText() {
      String n = values.get("entries");
      return n == null ? "default max size" : n + " entries";
    }

    String text(String name) {
      String b = values.get(name);
      return b == null ? "—" : b + " B/entry";
    }

    String ratioText(String name) {
      String g = values.get(name);
      String b = values.get("map");
      if (g == null || b == null) return "—";
      return fmt(Double.parseDouble(g) / Double.parseDouble(b)) + "x";
    }

    String verdict() {
      if (error != null) return "NOT MEASURED (" + error + ")";
      return values.containsKey("store") ? "REPORT" : "NOT MEASURED";
    }

    Map<String, Object> json() {
      Map<String, Object> m = new LinkedHashMap<>();
      values.forEach((k, v) -> {
        try {
          m.put(k, Long.parseLong(v));
        } catch (NumberFormatException e) {
          m.put(k, v);
        }
      });
      if (error != null) m.put("error", error);
      m.put("unit", "bytes per entry");
      m.put("method", "heap in use after full GCs (Serial GC, one JVM per variant), before and after filling, / entries");
      return m;
    }
  }
}
