package dev.idempotency.server.jdbc;

import static dev.idempotency.server.store.ClaimAssertions.fencingToken;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idempotency.server.IdempotencyGuard;
import dev.idempotency.server.store.ClaimResult;
import dev.idempotency.server.store.IdempotencyStoreUnavailableException;
import dev.idempotency.server.store.RecordId;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The database stops, crashes, turns read-only, stalls, or ends the store's session mid-call:
 * the store fails closed (the guard runs nothing) and works again, without a restart, once the
 * database does. Over the driver's data source, a new connection per call, as a pool that drops
 * broken connections would give.
 */
class JdbcOutageTest {
  private static final Duration LEASE = Duration.ofMinutes(1);
  private static final Duration RETENTION = Duration.ofMinutes(10);
  private static final String PASSWORD = "s3cret-Passw0rd";

  /** A server of this class's own, to stop and start; the other tests use the shared one. */
  private static PostgresServerProcess own;
  private static String ownDatabase;
  private final AtomicInteger runs = new AtomicInteger();

  @BeforeAll
  static void startOwnServer() {
    own = PostgresServerFixture.newServer();
    ownDatabase = own.createDatabase("outage");
  }

  @AfterAll
  static void stopOwnServer() {
    own.close();
  }

  @BeforeEach
  void running() {
    own.start();
  }

  private static RecordId id(String key) {
    return new RecordId("payments", "alice", key);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private String charge(String key) {
    runs.incrementAndGet();
    return "charged " + key;
  }

  private static void assertUnavailable(ThrowingCallable call, String sqlStatePrefix) {
    assertThatThrownBy(call)
        .isInstanceOf(IdempotencyStoreUnavailableException.class)
        .hasCauseInstanceOf(SQLException.class)
        .hasMessageContaining("SQLState " + sqlStatePrefix)
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(PASSWORD, "jdbc:"));
  }

  @Test
  void whileTheDatabaseIsDownNothingRunsAndWhenItIsBackTheSameStoreWorksAndRemembers() {
    PGSimpleDataSource dataSource = (PGSimpleDataSource) own.dataSource(ownDatabase);
    dataSource.setPassword(PASSWORD); // trust ignores it; no message may show it
    JdbcIdempotencyStore store = JdbcIdempotencyStore.builder(dataSource).createSchemaIfMissing(true).build();
    try (IdempotencyGuard guard = IdempotencyGuard.builder().store(store).namespace("payments").build()) {
      assertThat(guard.execute("before", String.class, () -> charge("before"))).isEqualTo("charged before");
      assertThat(store.claim(id("held"), "fp", "holder", LEASE)).isInstanceOf(ClaimResult.Acquired.class);

      own.stop();

      assertUnavailable(() -> guard.execute("during", String.class, () -> charge("during")), "08");
      assertUnavailable(() -> guard.execute("before", String.class, () -> charge("before")), "08");
      assertUnavailable(() -> store.claim(id("new"), "fp", "owner", LEASE), "08");
      assertUnavailable(() -> store.complete(id("held"), "holder", bytes("answer"), RETENTION), "08");
      assertUnavailable(() -> store.renew(id("held"), "holder", LEASE), "08");
      assertUnavailable(() -> store.release(id("held"), "holder"), "08");
      assertUnavailable(store::deleteExpired, "08");
      assertThat(runs).as("nothing ran while the database was down").hasValue(1);

      own.start();

      assertThat(guard.execute("before", String.class, () -> charge("before again"))).isEqualTo("charged before");
      assertThat(guard.execute("during", String.class, () -> charge("during"))).isEqualTo("charged during");
      assertThat(runs).hasValue(2);
      assertThat(store.complete(id("held"), "holder", bytes("answer"), RETENTION)).as("the claim outlived the outage").isTrue();
    }
  }

  @Test
  void fencingTokensKeepIncreasingAcrossACrashOfTheDatabase() {
    JdbcIdempotencyStore store = JdbcIdempotencyStore.builder(own.dataSource(ownDatabase)).createSchemaIfMissing(true).build();
    RecordId id = id("fenced-" + System.nanoTime());
    long before = fencingToken(store.claim(id, "fp", "owner-1", LEASE));
    assertThat(store.release(id, "owner-1")).isTrue();

    own.kill(); // no checkpoint: the sequence comes back from the write-ahead log
    own.start();

    long after = fencingToken(store.claim(id, "fp", "owner-2", LEASE));
    assertThat(after).isGreaterThan(before);
  }

  @Test
  void aReadOnlyDatabaseIsUnavailableEvenForReplaysUntilWritableAgain() {
    PostgresServerProcess server = PostgresServerFixture.shared();
    String db = server.createDatabase("read_only");
    JdbcIdempotencyStore store = JdbcIdempotencyStore.builder(server.dataSource(db)).createSchemaIfMissing(true).build();
    try (IdempotencyGuard guard = IdempotencyGuard.builder().store(store).namespace("payments").build()) {
      assertThat(guard.execute("done", String.class, () -> charge("done"))).isEqualTo("charged done");
      store.claim(id("held"), "fp", "holder", LEASE);

      server.readOnly(db, true);
      try {
        assertUnavailable(() -> guard.execute("new", String.class, () -> charge("new")), "25006");
        assertUnavailable(() -> guard.execute("done", String.class, () -> charge("done")), "25006");
        assertUnavailable(() -> store.complete(id("held"), "holder", bytes("answer"), RETENTION), "25006");
        assertUnavailable(() -> store.renew(id("held"), "holder", LEASE), "25006");
        assertUnavailable(() -> store.release(id("held"), "holder"), "25006");
        assertThat(runs).hasValue(1);
      } finally {
        server.readOnly(db, false);
      }

      assertThat(guard.execute("done", String.class, () -> charge("done"))).isEqualTo("charged done");
      assertThat(guard.execute("new", String.class, () -> charge("new"))).isEqualTo("charged new");
      assertThat(store.complete(id("held"), "holder", bytes("answer"), RETENTION)).isTrue();
      assertThat(runs).hasValue(2);
    }
  }

  @Test
  void aStatementPastItsTimeoutIsUnavailableAndChangesNothing() throws Exception {
    PostgresServerProcess server = PostgresServerFixture.shared();
    String db = server.createDatabase("timeout");
    JdbcIdempotencyStore store = JdbcIdempotencyStore.builder(server.dataSource(db))
        .createSchemaIfMissing(true).statementTimeout(Duration.ofMillis(1)).build(); // 1 s: whole seconds
    store.claim(id("k"), "fp", "owner", LEASE);

    withRowLocked(server, db, id("k"), locked -> {
      // A repeat reads the row without waiting for its lock.
      assertThat(store.claim(id("k"), "fp", "other", LEASE)).isInstanceOf(ClaimResult.InProgress.class);
      assertUnavailable(() -> store.complete(id("k"), "owner", bytes("answer"), RETENTION), "57014");
    });

    assertThat(store.claim(id("k"), "fp", "other", LEASE)).as("not completed").isInstanceOf(ClaimResult.InProgress.class);
    assertThat(store.complete(id("k"), "owner", bytes("answer"), RETENTION)).isTrue();
  }

  @Test
  void aSessionTerminatedMidCallIsUnavailableAndTheNextCallWorks() throws Exception {
    PostgresServerProcess server = PostgresServerFixture.shared();
    String db = server.createDatabase("terminated");
    String application = "store-" + System.nanoTime();
    JdbcIdempotencyStore store = JdbcIdempotencyStore.builder(server.dataSource(db, application))
        .createSchemaIfMissing(true).build();
    store.claim(id("k"), "fp", "owner", LEASE);

    withRowLocked(server, db, id("k"), locked -> {
      CompletableFuture<Boolean> blocked =
          CompletableFuture.supplyAsync(() -> store.complete(id("k"), "owner", bytes("answer"), RETENTION));
      awaitWaitingOnALock(server, application);
      assertThat(server.terminate(application)).isEqualTo(1);
      assertThatThrownBy(() -> blocked.get(30, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .cause().isInstanceOf(IdempotencyStoreUnavailableException.class).hasMessageContaining("SQLState 57P01");
    });

    assertThat(store.complete(id("k"), "owner", bytes("answer"), RETENTION)).isTrue();
    assertThat(((ClaimResult.Completed) store.claim(id("k"), "fp", "x", LEASE)).result()).isEqualTo(bytes("answer"));
  }

  /** Runs {@code whileLocked} while another session holds the record's row lock (FOR UPDATE). */
  private static void withRowLocked(PostgresServerProcess server, String db, RecordId id, Consumer<Connection> whileLocked)
      throws SQLException {
    try (Connection c = server.dataSource(db, "locker").getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT 1 FROM " + JdbcIdempotencyStore.DEFAULT_TABLE_NAME + " WHERE id = ? FOR UPDATE")) {
        ps.setBytes(1, RecordDigest.of(id));
        assertThat(ps.executeQuery().next()).isTrue();
      }
      try {
        whileLocked.accept(c);
      } finally {
        c.rollback();
      }
    }
  }

  /** Waits until a session of {@code application} waits for a lock: the call is in the database. */
  private static void awaitWaitingOnALock(PostgresServerProcess server, String application) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (server.queryLong(PostgresServerProcess.ADMIN_DATABASE,
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = ? AND wait_event_type = 'Lock'", application) == 0) {
      assertThat(System.nanoTime()).as("no session of %s waits on a lock after 30 s", application).isLessThan(deadline);
      Thread.onSpinWait();
    }
  }

  @Test
  void unavailableNamesTheOperationAndTheConditionButNoRowDetail() {
    SQLException e = new SQLException("ERROR: new row violates check constraint\n  Detail: Failing row contains (\\x73656372)", "23514");
    assertThat(JdbcIdempotencyStore.unavailable("complete", e))
        .hasMessage("PostgreSQL failed on complete (SQLState 23514): ERROR: new row violates check constraint")
        .hasCause(e);
    assertThat(JdbcIdempotencyStore.unavailable("claim", new SQLException((String) null)))
        .hasMessage("PostgreSQL failed on claim (SQLState null): ");
    assertThat(List.of(JdbcIdempotencyStore.unavailable("claim", new SQLException("x".repeat(500))).getMessage()))
        .singleElement().asString().hasSizeLessThan(260);
  }
}
