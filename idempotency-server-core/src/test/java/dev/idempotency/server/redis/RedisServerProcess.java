package dev.idempotency.server.redis;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * One real {@code redis-server} process on a loopback port, in its own temp directory, with no
 * persistence and Redis's defaults otherwise ({@code maxmemory-policy noeviction}) unless its
 * extra arguments say otherwise. It can be stopped and started again on the same port (for outage tests). Started by
 * {@link RedisServerFixture}; every process still running when the JVM exits is killed.
 */
public final class RedisServerProcess implements RedisDeployment, AutoCloseable {
  static final String HOST = "127.0.0.1";

  // Generous for a shared 2-core machine: redis-server normally answers PING within 50 ms.
  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

  private final Path binary;
  private final int port;
  private final Path dir;
  private final List<String> extraArgs;
  private Process process;

  RedisServerProcess(Path binary, int port, Path dir, List<String> extraArgs) {
    this.binary = binary;
    this.port = port;
    this.dir = dir;
    this.extraArgs = List.copyOf(extraArgs);
  }

  public int port() {
    return port;
  }

  public HostAndPort hostAndPort() {
    return new HostAndPort(HOST, port);
  }

  public synchronized boolean isRunning() {
    return process != null && process.isAlive();
  }

  /** Starts the process (again, on the same port) and waits until it answers PING. */
  public synchronized void start() {
    if (isRunning()) return;
    List<String> command = new ArrayList<>();
    command.add(binary.toString());
    command.addAll(List.of(
        "--port", Integer.toString(port),
        "--bind", HOST,
        "--save", "",
        "--appendonly", "no",
        "--protected-mode", "no",
        "--daemonize", "no",
        "--dir", dir.toString()));
    command.addAll(extraArgs);
    Path log = dir.resolve("redis.log");
    try {
      process = new ProcessBuilder(command)
          .directory(dir.toFile())
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + command, e);
    }
    RedisServerFixture.track(this);
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (true) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "redis-server exited with " + process.exitValue() + " on port " + port + ":\n" + tail(log));
      }
      try (Jedis jedis = connect(500)) {
        if ("PONG".equals(jedis.ping())) return;
      } catch (JedisException notYet) {
        // not listening yet
      }
      if (System.nanoTime() > deadline) {
        kill();
        throw new IllegalStateException("redis-server did not answer PING on port " + port + ":\n" + tail(log));
      }
      sleep(20);
    }
  }

  /** Stops the process (SIGTERM, then SIGKILL if it lingers) and waits until it is gone. */
  public synchronized void stop() {
    if (process == null) return;
    process.destroy();
    try {
      if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) kill();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      kill();
    }
    process = null;
  }

  /** Kills the process at once, as a crash would. */
  public synchronized void kill() {
    if (process == null) return;
    process.destroyForcibly();
    try {
      process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    process = null;
  }

  /** Stops the process and deletes its directory. */
  @Override
  public synchronized void close() {
    stop();
    RedisServerFixture.untrack(this);
    deleteRecursively(dir);
  }

  /** Kills the process and deletes its directory: for the JVM's shutdown hook. */
  synchronized void destroy() {
    kill();
    deleteRecursively(dir);
  }

  /** A new single connection for administration; the caller closes it. */
  public Jedis connect() {
    return connect(5_000);
  }

  private Jedis connect(int timeoutMillis) {
    JedisClientConfig config = DefaultJedisClientConfig.builder()
        .connectionTimeoutMillis(timeoutMillis)
        .socketTimeoutMillis(timeoutMillis)
        .build();
    return new Jedis(hostAndPort(), config);
  }

  /** A new pooled client, as an application would use; the caller closes it. */
  @Override
  public RedisClient newClient() {
    return RedisClient.builder()
        .hostAndPort(hostAndPort())
        .clientConfig(DefaultJedisClientConfig.builder()
            .connectionTimeoutMillis(2_000)
            .socketTimeoutMillis(2_000)
            .build())
        .build();
  }

  /** Runs {@code action} on a fresh admin connection. */
  public <T> T admin(Function<Jedis, T> action) {
    try (Jedis jedis = connect()) {
      return action.apply(jedis);
    }
  }

  public String ping() {
    try (Jedis jedis = connect()) {
      return jedis.ping();
    }
  }

  @Override
  public List<RedisServerProcess> nodes() {
    return List.of(this);
  }

  @Override
  public RedisServerProcess nodeFor(String key) {
    return this;
  }

  /**
   * The number of keys this process holds (DBSIZE; in a cluster, only its own slots). A plain
   * {@code long}: {@code assertThat(node.admin(j -> j.dbSize()))} does not compile, since AssertJ
   * cannot choose an overload for a generic result.
   */
  public long dbSize() {
    try (Jedis jedis = connect()) {
      return jedis.dbSize();
    }
  }

  /** Every key this process holds (SCAN; in a cluster, only its own slots). */
  public Set<String> keys() {
    return admin(j -> {
      Set<String> keys = new HashSet<>();
      String cursor = ScanParams.SCAN_POINTER_START;
      do {
        ScanResult<String> page = j.scan(cursor, new ScanParams().count(1000));
        keys.addAll(page.getResult());
        cursor = page.getCursor();
      } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
      return keys;
    });
  }

  @Override
  public void flushAll() {
    admin(Jedis::flushAll);
  }

  /** The server's version, from INFO server. */
  public String version() {
    return infoField(admin(j -> j.info("server")), "redis_version");
  }

  /**
   * How many times {@code command} (lowercase, e.g. {@code evalsha}) has been called since the
   * server started, from INFO commandstats; 0 if never.
   */
  @Override
  public long commandCalls(String command) {
    String stats = admin(j -> j.info("commandstats"));
    for (String line : stats.split("\r?\n")) {
      if (line.startsWith("cmdstat_" + command + ":")) {
        for (String field : line.substring(line.indexOf(':') + 1).split(",")) {
          if (field.startsWith("calls=")) return Long.parseLong(field.substring(6));
        }
      }
    }
    return 0;
  }

  /**
   * Lets {@code elapsed} pass for every key of this server: each TTL shrinks by that much, and
   * a key whose TTL runs out is deleted, as Redis would have expired it. Keys without a TTL are
   * left alone. Not atomic across keys: for tests that are not doing anything else meanwhile.
   */
  @Override
  public void shiftTtls(Duration elapsed) {
    byte[] millis = Long.toString(elapsed.toMillis()).getBytes(StandardCharsets.US_ASCII);
    admin(jedis -> {
      byte[] cursor = ScanParams.SCAN_POINTER_START_BINARY;
      ScanParams params = new ScanParams().count(1000);
      do {
        ScanResult<byte[]> page = jedis.scan(cursor, params);
        for (byte[] key : page.getResult()) {
          jedis.eval(SHIFT_TTL, List.of(key), List.of(millis));
        }
        cursor = page.getCursorAsBytes();
      } while (!isLastPage(cursor));
      return null;
    });
  }

  private static final byte[] SHIFT_TTL = (
      "local t = redis.call('PTTL', KEYS[1]) "
          + "if t < 0 then return 0 end "
          + "local left = t - tonumber(ARGV[1]) "
          + "if left <= 0 then redis.call('DEL', KEYS[1]) else redis.call('PEXPIRE', KEYS[1], string.format('%d', left)) end "
          + "return 1").getBytes(StandardCharsets.US_ASCII);

  private static boolean isLastPage(byte[] cursor) {
    return cursor.length == 1 && cursor[0] == '0';
  }

  static String infoField(String info, String name) {
    for (String line : info.split("\r?\n")) {
      if (line.startsWith(name + ":")) return line.substring(name.length() + 1).trim();
    }
    return null;
  }

  @Override
  public String toString() {
    return "redis-server@" + HOST + ":" + port;
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  static void deleteRecursively(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // best effort: a temp directory
    }
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
