package dev.idempotency.server.jdbc;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * One real PostgreSQL cluster: a data directory of its own, served on one loopback port. It can
 * be stopped (cleanly or as a crash) and started again on the same port with the same data, made
 * read-only, and have its sessions terminated: the outages a store must survive.
 *
 * <p>{@code pg_ctl} runs the server in the background, so it is not this JVM's child: besides
 * the fixture's shutdown hook, each server has a watchdog, a small shell started with the server
 * whose standard input is a pipe from this JVM. When the JVM ends, however it ends (even killed),
 * the pipe closes and the watchdog stops the server and deletes its directory.
 *
 * <p>Started by {@link PostgresServerFixture}. Its methods are synchronized: threadsafe.
 */
public final class PostgresServerProcess implements AutoCloseable {
  static final String HOST = "127.0.0.1";
  /** The superuser that initdb creates; trusted from 127.0.0.1, no password. */
  public static final String USER = "postgres";
  /** The database every cluster has, for administration. */
  public static final String ADMIN_DATABASE = "postgres";

  // Generous for a shared 2-core machine: initdb takes about 1 s there, a start well under 1 s.
  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);
  private static final Pattern DATABASE_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
  private static final AtomicInteger DATABASES = new AtomicInteger();

  private final PostgresServerFixture.Binaries binaries;
  private final int port;
  private final Path dir;
  private final Path data;
  private final Path log;
  private Process watchdog;
  private boolean running;

  PostgresServerProcess(PostgresServerFixture.Binaries binaries, int port, Path dir) {
    this.binaries = binaries;
    this.port = port;
    this.dir = dir;
    this.data = dir.resolve("data");
    this.log = dir.resolve("postgres.log");
  }

  public int port() {
    return port;
  }

  /** The server's own directory: its data, its log. */
  public Path directory() {
    return dir;
  }

  /** Where the binaries came from: {@code IDEM_POSTGRES}, PATH, Debian or the jar. */
  public String binarySource() {
    return binaries.source();
  }

  public synchronized boolean isRunning() {
    return running;
  }

  /**
   * Starts the server (again: same port, same data) and waits until it accepts connections. The
   * first start creates the cluster.
   */
  public synchronized void start() {
    if (running) return;
    if (!Files.exists(data.resolve("PG_VERSION"))) initdb();
    PostgresServerFixture.track(this);
    if (watchdog == null || !watchdog.isAlive()) watchdog = startWatchdog();
    int exit = run(List.of(tool("pg_ctl"), "-D", data.toString(), "-l", log.toString(),
        "-w", "-t", Long.toString(COMMAND_TIMEOUT.getSeconds()), "start"));
    if (exit != 0) {
      throw new IllegalStateException("pg_ctl start exited with " + exit + " on port " + port + ":\n" + tail());
    }
    running = true;
  }

  /** Stops the server cleanly (fast shutdown: sessions ended, a checkpoint) and waits until it is gone. */
  public synchronized void stop() {
    pgCtlStop("fast");
  }

  /**
   * Stops the server as a crash would (immediate shutdown: no checkpoint; the next start
   * recovers from the write-ahead log) and waits until it is gone.
   */
  public synchronized void kill() {
    pgCtlStop("immediate");
  }

  private void pgCtlStop(String mode) {
    if (!running) return;
    int exit = run(List.of(tool("pg_ctl"), "-D", data.toString(), "-m", mode,
        "-w", "-t", Long.toString(COMMAND_TIMEOUT.getSeconds()), "stop"));
    if (exit != 0) throw new IllegalStateException("pg_ctl stop exited with " + exit + ":\n" + tail());
    running = false;
  }

  /** Stops the server and deletes its directory. */
  @Override
  public synchronized void close() {
    try {
      if (running) kill(); // the data goes too: no checkpoint to wait for
    } finally {
      endWatchdog();
      PostgresServerFixture.untrack(this);
      deleteRecursively(dir);
    }
  }

  /** Stops the server and deletes its directory, best effort: for the JVM's shutdown hook. */
  synchronized void destroy() {
    try {
      if (running) run(List.of(tool("pg_ctl"), "-D", data.toString(), "-m", "immediate", "-w", "stop"));
    } catch (RuntimeException ignored) {
      // the watchdog stops it when this JVM's end closes its pipe
    }
    running = false;
    deleteRecursively(dir);
  }

  /** {@code jdbc:postgresql://127.0.0.1:<port>/<database>?user=postgres}. */
  public String jdbcUrl(String database) {
    return "jdbc:postgresql://" + HOST + ":" + port + "/" + database + "?user=" + USER;
  }

  /**
   * A data source of {@code database} that opens a new connection for each
   * {@code getConnection()}, as the driver's own does: no pool to hide an outage or a recovery.
   */
  public DataSource dataSource(String database) {
    return dataSource(database, "idem-test");
  }

  /** {@link #dataSource(String)}, its sessions named {@code applicationName} (see {@link #terminate}). */
  public DataSource dataSource(String database, String applicationName) {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setServerNames(new String[] {HOST});
    ds.setPortNumbers(new int[] {port});
    ds.setDatabaseName(database);
    ds.setUser(USER);
    ds.setApplicationName(applicationName);
    ds.setConnectTimeout(5);
    ds.setSocketTimeout(60); // a backstop: tests that wait on the server use statement timeouts
    return ds;
  }

  /** Creates a database of its own for the caller, named {@code <prefix>_<n>}; its name. */
  public String createDatabase(String prefix) {
    String name = prefix + "_" + DATABASES.incrementAndGet();
    if (!DATABASE_NAME.matcher(name).matches()) throw new IllegalArgumentException("database name " + name);
    execute(ADMIN_DATABASE, "CREATE DATABASE " + name);
    return name;
  }

  /** Runs {@code sql} on a new connection to {@code database}. */
  public void execute(String database, String sql) {
    admin(database, c -> {
      try (Statement st = c.createStatement()) {
        st.execute(sql);
      }
      return null;
    });
  }

  /** The first column of the first row of {@code sql} as a long, run on a new connection. */
  public long queryLong(String database, String sql, Object... parameters) {
    return admin(database, c -> {
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        for (int i = 0; i < parameters.length; i++) ps.setObject(i + 1, parameters[i]);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) throw new SQLException("no row: " + sql);
          return rs.getLong(1);
        }
      }
    });
  }

  /** The first column of the first row of {@code sql} as a string, run on a new connection. */
  public String queryString(String database, String sql) {
    return admin(database, c -> {
      try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
        if (!rs.next()) throw new SQLException("no row: " + sql);
        return rs.getString(1);
      }
    });
  }

  /** A function of a connection, for {@link #admin}. */
  @FunctionalInterface
  public interface SqlFunction<T> {
    T apply(Connection c) throws SQLException;
  }

  /** Runs {@code action} on a new connection to {@code database}, closed after. */
  public <T> T admin(String database, SqlFunction<T> action) {
    try (Connection c = dataSource(database, "idem-test-admin").getConnection()) {
      return action.apply(c);
    } catch (SQLException e) {
      throw new IllegalStateException("admin on " + database + " failed: " + e.getMessage(), e);
    }
  }

  /**
   * Terminates every session named {@code applicationName} (pg_terminate_backend), as an
   * administrator or a failover would; how many there were. Their statements fail at once.
   */
  public int terminate(String applicationName) {
    return (int) queryLong(ADMIN_DATABASE,
        "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity"
            + " WHERE application_name = ? AND pid <> pg_backend_pid()",
        applicationName);
  }

  /**
   * Makes {@code database} read-only (every new session's transactions read-only, as on a hot
   * standby) or writable again. Sessions already open keep what they had.
   */
  public void readOnly(String database, boolean readOnly) {
    if (!DATABASE_NAME.matcher(database).matches()) throw new IllegalArgumentException("database name " + database);
    execute(ADMIN_DATABASE, "ALTER DATABASE " + database
        + (readOnly ? " SET default_transaction_read_only = on" : " RESET default_transaction_read_only"));
  }

  /** The server's version, e.g. {@code 15.18 (Debian 15.18-0+deb12u1)}. */
  public String version() {
    return queryString(ADMIN_DATABASE, "SHOW server_version");
  }

  @Override
  public String toString() {
    return "postgres@" + HOST + ":" + port + " (" + binaries.source() + ")";
  }

  private void initdb() {
    int exit = run(List.of(tool("initdb"), "-D", data.toString(), "-U", USER, "-A", "trust",
        "-E", "UTF8", "--locale=C", "--no-sync"));
    if (exit != 0) throw new IllegalStateException("initdb exited with " + exit + ":\n" + tail());
    try {
      // Only TCP on loopback, trusted: no socket file, no other address.
      Files.writeString(data.resolve("pg_hba.conf"), "host all all 127.0.0.1/32 trust\n", StandardCharsets.UTF_8,
          StandardOpenOption.TRUNCATE_EXISTING);
      Files.writeString(data.resolve("postgresql.conf"), String.join("\n",
          "",
          "# the test fixture's settings",
          "port = " + port,
          "listen_addresses = '" + HOST + "'",
          "unix_socket_directories = ''",
          // Speed: nothing is flushed to disk. A kill() is a crash of the server only, not of the
          // machine: committed transactions survive it in the OS's cache, as the restart tests need.
          "fsync = off",
          "full_page_writes = off",
          // 32 threads of a contract test, each on a connection of its own, plus administration.
          "max_connections = 100",
          ""), StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A shell, run as the server's user, that reads its standard input (a pipe from this JVM) to
   * its end and then stops the server at once and deletes the directory. The end comes when
   * {@link #close()} closes the pipe, or when this JVM exits, however it exits.
   */
  private Process startWatchdog() {
    List<String> command = new ArrayList<>(binaries.launcher());
    command.addAll(List.of("sh", "-c",
        "cat >/dev/null; \"$0\" -D \"$1\" -m immediate -w stop; rm -rf \"$2\"",
        tool("pg_ctl"), data.toString(), dir.toString()));
    try {
      return new ProcessBuilder(command)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .redirectError(ProcessBuilder.Redirect.DISCARD)
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + command, e);
    }
  }

  private void endWatchdog() {
    if (watchdog == null) return;
    try {
      watchdog.getOutputStream().close();
      if (!watchdog.waitFor(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) watchdog.destroyForcibly();
    } catch (IOException e) {
      watchdog.destroyForcibly();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      watchdog.destroyForcibly();
    }
    watchdog = null;
  }

  private String tool(String name) {
    return binaries.tool(name).toString();
  }

  /** Runs a binary as the server's user, its output appended to the log; its exit code. */
  private int run(List<String> args) {
    List<String> command = new ArrayList<>(binaries.launcher());
    command.addAll(args);
    try {
      Process p = new ProcessBuilder(command)
          .directory(dir.toFile())
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("commands.log").toFile()))
          .start();
      p.getOutputStream().close();
      if (!p.waitFor(COMMAND_TIMEOUT.toSeconds() + 10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException(command + " did not end in " + COMMAND_TIMEOUT + ":\n" + tail());
      }
      return p.exitValue();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + command, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted running " + command, e);
    }
  }

  private String tail() {
    StringBuilder out = new StringBuilder();
    for (Path file : List.of(dir.resolve("commands.log"), log)) {
      try {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        out.append("== ").append(file.getFileName()).append('\n')
            .append(String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()))).append('\n');
      } catch (IOException e) {
        out.append("(no ").append(file.getFileName()).append(")\n");
      }
    }
    return out.toString();
  }

  static void deleteRecursively(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // best effort: a temp directory
    }
  }
}
