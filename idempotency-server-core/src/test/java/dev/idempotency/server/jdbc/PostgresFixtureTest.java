package dev.idempotency.server.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PostgresFixtureTest {

  @Test
  void aServerKeepsItsDataAcrossACleanRestartAndACrashOnTheSamePort() {
    try (PostgresServerProcess server = PostgresServerFixture.newServer()) {
      int port = server.port();
      String db = server.createDatabase("fixture");
      server.execute(db, "CREATE TABLE t (n int); INSERT INTO t VALUES (1)");

      server.stop();
      assertThat(server.isRunning()).isFalse();
      assertThatThrownBy(() -> server.dataSource(db).getConnection())
          .isInstanceOf(SQLException.class)
          .satisfies(e -> assertThat(((SQLException) e).getSQLState()).startsWith("08"));
      server.start();
      assertThat(server.port()).isEqualTo(port);
      server.execute(db, "INSERT INTO t VALUES (2)");

      server.kill(); // no checkpoint: the restart recovers the committed rows from the WAL
      server.start();
      assertThat(server.queryLong(db, "SELECT sum(n) FROM t")).isEqualTo(3);
    }
  }

  @Test
  void theSharedServerIsOnePerJvmAndListensOnLoopbackOnly() {
    PostgresServerProcess shared = PostgresServerFixture.shared();
    assertThat(PostgresServerFixture.shared()).isSameAs(shared);
    String db = shared.createDatabase("fixture");
    assertThat(shared.queryLong(db, "SELECT 1")).isEqualTo(1);
    assertThat(shared.queryString(db, "SHOW listen_addresses")).isEqualTo("127.0.0.1");
    assertThat(shared.queryString(db, "SHOW unix_socket_directories")).isEmpty();
    System.out.println("PostgreSQL " + shared.version() + " from " + shared.binarySource());
  }

  @Test
  void aReadOnlyDatabaseRefusesWritesInNewSessionsUntilWritableAgain() throws SQLException {
    PostgresServerProcess server = PostgresServerFixture.shared();
    String db = server.createDatabase("fixture");
    server.execute(db, "CREATE TABLE t (n int)");

    server.readOnly(db, true);
    try (Connection c = server.dataSource(db).getConnection(); Statement st = c.createStatement()) {
      assertThatThrownBy(() -> st.execute("INSERT INTO t VALUES (1)"))
          .isInstanceOf(SQLException.class)
          .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("25006"));
    }
    server.readOnly(db, false);
    server.execute(db, "INSERT INTO t VALUES (1)");
    assertThat(server.queryLong(db, "SELECT count(*) FROM t")).isEqualTo(1);
  }

  @Test
  void terminateEndsTheSessionsOfOneApplicationOnly() throws SQLException {
    PostgresServerProcess server = PostgresServerFixture.shared();
    String db = server.createDatabase("fixture");
    try (Connection victim = server.dataSource(db, "victim").getConnection();
        Connection bystander = server.dataSource(db, "bystander").getConnection()) {
      assertThat(server.terminate("victim")).isEqualTo(1);
      assertThatThrownBy(() -> victim.createStatement().execute("SELECT 1"))
          .isInstanceOf(SQLException.class);
      assertThat(bystander.createStatement().execute("SELECT 1")).isTrue();
    }
  }

  @Test
  void theBinariesAreTheEnvThenThePathThenDebianThenTheJar(@TempDir Path dir) throws IOException {
    Path onPath = tools(dir.resolve("path/bin"));
    Path debian = dir.resolve("debian");
    tools(debian.resolve("13/bin"));
    Path newest = tools(debian.resolve("15/bin"));
    Files.createDirectories(debian.resolve("9/bin")); // no tools: skipped
    Path empty = Files.createDirectories(dir.resolve("empty"));
    String path = empty + File.pathSeparator + onPath;

    assertThat(PostgresServerFixture.choose("/opt/pg/bin", path, debian)).isEqualTo(Path.of("/opt/pg/bin"));
    assertThat(PostgresServerFixture.choose("embedded", path, debian)).isNull();
    assertThat(PostgresServerFixture.choose(" EMBEDDED ", path, debian)).isNull();
    assertThat(PostgresServerFixture.choose("", path, debian)).isEqualTo(onPath);
    assertThat(PostgresServerFixture.choose(null, empty.toString(), debian)).isEqualTo(newest);
    assertThat(PostgresServerFixture.choose(null, null, dir.resolve("none"))).isNull();
  }

  private static Path tools(Path bin) throws IOException {
    Files.createDirectories(bin);
    for (String tool : new String[] {"pg_ctl", "initdb"}) {
      assertThat(Files.createFile(bin.resolve(tool)).toFile().setExecutable(true)).isTrue();
    }
    return bin;
  }

  /** The JDK-only path, run even where PostgreSQL is installed. */
  @Test
  void theEmbeddedBinariesRun() {
    try (PostgresServerProcess server = PostgresServerFixture.newServer(PostgresServerFixture.embedded())) {
      assertThat(server.version()).startsWith("14.");
      assertThat(server.queryLong(PostgresServerProcess.ADMIN_DATABASE, "SELECT 41 + 1")).isEqualTo(42);
    }
  }

  /**
   * A JVM killed outright (no shutdown hook) leaves no server behind: its watchdog stops the
   * server and deletes its directory when the JVM's end closes the pipe.
   */
  @Test
  void aKilledJvmLeavesNoServerBehind() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Child.class.getName())
        .redirectErrorStream(true)
        .start();
    int port;
    Path dir;
    try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      do {
        line = out.readLine();
        assertThat(line).as("the child's output ended before it started a server").isNotNull();
      } while (!line.startsWith("started "));
      String[] parts = line.split(" ");
      port = Integer.parseInt(parts[1]);
      dir = Path.of(parts[2]);
      assertThat(accepts(port)).isTrue();

      child.destroyForcibly();
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (accepts(port) || Files.exists(dir)) {
      assertThat(System.nanoTime()).as("server on %d or %s still there after 30 s", port, dir).isLessThan(deadline);
      Thread.sleep(50);
    }
  }

  private static boolean accepts(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(PostgresServerProcess.HOST, port), 1_000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** The child JVM: starts a server, says where, and waits to be killed. */
  static final class Child {
    public static void main(String[] args) throws Exception {
      PostgresServerProcess server = PostgresServerFixture.newServer();
      System.out.println("started " + server.port() + " " + server.directory());
      System.out.flush();
      Thread.sleep(TimeUnit.MINUTES.toMillis(5)); // bounded, should the parent die first
    }
  }
}
