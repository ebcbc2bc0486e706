package dev.idempotency.server.redis;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import redis.embedded.core.ExecutableProvider;
import redis.embedded.model.OsArchitecture;

/**
 * Real {@code redis-server} processes for tests, on free loopback ports.
 *
 * <p>The binary is the one named by the environment variable {@code REDIS_SERVER}, else
 * {@code redis-server} on the PATH, else the one shipped in the
 * {@code com.github.codemonstur:embedded-redis} jar (Redis 6.2), extracted to a temp file: so a
 * machine with only a JDK runs the tests, and CI, which installs Debian's {@code redis-server},
 * runs them against Redis 7.
 *
 * <p>{@link #standalone()} and {@link #cluster()} are started once per JVM, on first use, and
 * shared by every test class; a test flushes them before use. {@link #newStandalone()} gives a
 * test a server of its own (to stop and restart). Every process still running when the JVM
 * exits is killed.
 */
public final class RedisServerFixture {
  /** The environment variable that names the redis-server binary to use. */
  public static final String REDIS_SERVER_ENV = "REDIS_SERVER";

  // Cluster nodes also listen on port + 10000 (the cluster bus, fixed in Redis 6.2), so ports are
  // drawn below the Linux ephemeral range (32768-60999) and checked free together with that one.
  private static final int MIN_PORT = 20000;
  private static final int MAX_PORT = 30000;
  private static final int CLUSTER_BUS_OFFSET = 10000;
  private static final int START_ATTEMPTS = 5;
  private static final int CLUSTER_MASTERS = 3;

  private static final Set<RedisServerProcess> RUNNING = ConcurrentHashMap.newKeySet();
  private static Path binary;
  private static String binarySource;
  private static RedisServerProcess standalone;
  private static LocalRedisCluster cluster;

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      for (RedisServerProcess p : RUNNING) p.destroy();
    }, "redis-fixture-shutdown"));
  }

  private RedisServerFixture() {}

  /** The shared standalone server of this JVM, started on first use. Flush it before use. */
  public static synchronized RedisServerProcess standalone() {
    if (standalone == null || !standalone.isRunning()) {
      standalone = newStandalone();
    }
    return standalone;
  }

  /** The shared 3-master cluster of this JVM, formed on first use. Flush it before use. */
  public static synchronized LocalRedisCluster cluster() {
    if (cluster == null) {
      cluster = newCluster(CLUSTER_MASTERS);
    }
    return cluster;
  }

  /**
   * A new standalone server of the caller's own, started; the caller closes it. {@code settings}
   * are redis-server command line arguments that come after the fixture's own and so override
   * them, e.g. {@code "--maxmemory-policy", "allkeys-lru"} or {@code "--appendonly", "yes"}.
   */
  public static RedisServerProcess newStandalone(String... settings) {
    return startNode(binary(), false, List.of(settings));
  }

  /** A new standalone server of {@code binary}, with {@code settings}, started; the caller closes it. */
  static RedisServerProcess newStandalone(Path binary, String... settings) {
    return startNode(binary, false, List.of(settings));
  }

  /** A new cluster of {@code masters} masters, formed; the caller closes it. */
  public static LocalRedisCluster newCluster(int masters) {
    List<RedisServerProcess> nodes = new ArrayList<>();
    try {
      for (int i = 0; i < masters; i++) nodes.add(startNode(binary(), true, List.of()));
      return LocalRedisCluster.form(nodes);
    } catch (RuntimeException e) {
      for (RedisServerProcess node : nodes) node.close();
      throw e;
    }
  }

  /** The redis-server binary the fixture runs. */
  public static synchronized Path binary() {
    if (binary == null) {
      String env = System.getenv(REDIS_SERVER_ENV);
      binary = choose(env, System.getenv("PATH"));
      if (binary != null) {
        binarySource = env != null && !env.isBlank() ? REDIS_SERVER_ENV : "PATH";
      } else {
        binary = extractEmbedded();
        binarySource = "embedded-redis jar";
      }
    }
    return binary;
  }

  /**
   * The binary named by {@code env} (the value of {@code REDIS_SERVER}), else {@code redis-server}
   * in one of the directories of {@code path}; null if neither, for the embedded one.
   */
  static Path choose(String env, String path) {
    if (env != null && !env.isBlank()) return Path.of(env);
    return onPath("redis-server", path);
  }

  /** Where {@link #binary()} came from: {@code REDIS_SERVER}, {@code PATH} or the jar. */
  public static synchronized String binarySource() {
    binary();
    return binarySource;
  }

  private static RedisServerProcess startNode(Path binary, boolean clusterNode, List<String> settings) {
    IllegalStateException last = null;
    for (int attempt = 0; attempt < START_ATTEMPTS; attempt++) {
      int port = freePort(clusterNode);
      Path dir;
      try {
        dir = Files.createTempDirectory("redis-" + port + "-");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      List<String> args = new ArrayList<>(clusterNode ? LocalRedisCluster.nodeArgs(dir) : List.of());
      args.addAll(settings);
      RedisServerProcess server = new RedisServerProcess(binary, port, dir, args);
      try {
        server.start();
        return server;
      } catch (IllegalStateException e) {
        // Most likely someone took the port between the check and the bind: try another.
        server.close();
        last = e;
      }
    }
    throw last;
  }

  private static int freePort(boolean withClusterBus) {
    for (int i = 0; i < 1000; i++) {
      int port = ThreadLocalRandom.current().nextInt(MIN_PORT, MAX_PORT);
      if (isFree(port) && (!withClusterBus || isFree(port + CLUSTER_BUS_OFFSET))) return port;
    }
    throw new IllegalStateException("no free port in " + MIN_PORT + "-" + MAX_PORT);
  }

  private static boolean isFree(int port) {
    try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getByName(RedisServerProcess.HOST))) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static Path onPath(String name, String path) {
    if (path == null) return null;
    for (String dir : path.split(File.pathSeparator)) {
      if (dir.isEmpty()) continue;
      // Not resolved further: Debian's redis-server is a symlink whose name selects the program.
      Path candidate = Path.of(dir, name);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) return candidate;
    }
    return null;
  }

  /** Extracts the redis-server that the embedded-redis jar ships for this OS and architecture. */
  static Path extractEmbedded() {
    String resource = ExecutableProvider.newProvidedVersionsMap().get(OsArchitecture.detectOSandArchitecture());
    if (resource == null) {
      throw new IllegalStateException("no redis-server on the PATH and none in embedded-redis for "
          + System.getProperty("os.name") + "/" + System.getProperty("os.arch") + ": set " + REDIS_SERVER_ENV);
    }
    try (InputStream in = ExecutableProvider.class.getResourceAsStream(resource)) {
      if (in == null) throw new IllegalStateException("embedded-redis jar lacks " + resource);
      Path file = Files.createTempFile("redis-server-", "");
      Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
      if (!file.toFile().setExecutable(true, true)) {
        throw new IllegalStateException("cannot make " + file + " executable");
      }
      file.toFile().deleteOnExit();
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot extract " + resource, e);
    }
  }

  static void track(RedisServerProcess process) {
    RUNNING.add(process);
  }

  static void untrack(RedisServerProcess process) {
    RUNNING.remove(process);
  }
}
