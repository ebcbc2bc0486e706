package dev.idempotency.server.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idempotency.contract.FakeTime;
import dev.idempotency.server.CallOutcome;
import dev.idempotency.server.GuardedResult;
import dev.idempotency.server.IdempotencyInProgressException;
import dev.idempotency.server.IdempotencyKeyReusedException;
import dev.idempotency.server.IdempotencyListener;
import dev.idempotency.server.IdempotencyStoredFailureException;
import dev.idempotency.server.IdempotentCall;
import dev.idempotency.server.IdempotentWork;
import dev.idempotency.server.ResultCodec;
import dev.idempotency.server.StorePolicy;
import dev.idempotency.server.http.HttpRequestView;
import dev.idempotency.server.http.HttpResponseView;
import dev.idempotency.server.http.IdempotencyHttpLayer;
import dev.idempotency.server.store.IdempotencyStoreUnavailableException;
import dev.idempotency.server.store.RecordId;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The transactional mode on a real PostgreSQL: the claim, the work's writes and the stored answer
 * commit together or not at all. Effects are counted in the database (a payments table), not by
 * calls: a test passes when the payment row exists exactly once, whatever the code ran.
 */
class TransactionalIdempotencyGuardTest {
  private static final Duration LOCK_TIMEOUT = Duration.ofMillis(500);
  private static PostgresServerProcess server;
  private static String database;
  private static SimplePool pool;

  private final AtomicInteger runs = new AtomicInteger();
  private final List<CallOutcome> outcomes = new CopyOnWriteArrayList<>();
  private final IdempotencyListener listener = new IdempotencyListener() {
    @Override
    public void callEnded(RecordId id, CallOutcome outcome, Duration elapsed) {
      outcomes.add(outcome);
    }
  };
  private CountingDataSource counting;
  private JdbcIdempotencyStore store;
  private TransactionalIdempotencyGuard guard;

  @BeforeAll
  static void createDatabase() {
    server = PostgresServerFixture.shared();
    database = server.createDatabase("tx");
    pool = new SimplePool(server.dataSource(database, "idem-tx"));
    server.execute(database, "CREATE TABLE payments (action text PRIMARY KEY, amount int NOT NULL)");
  }

  @AfterAll
  static void closePool() {
    pool.close();
  }

  @BeforeEach
  void freshTables() {
    server.execute(database, "TRUNCATE payments");
    counting = new CountingDataSource(pool);
    store = JdbcIdempotencyStore.builder(counting).createSchemaIfMissing(true).build();
    server.execute(database, "TRUNCATE idempotency_records");
    guard = TransactionalIdempotencyGuard.builder(store).namespace("payments").lockTimeout(LOCK_TIMEOUT)
        .listener(listener).build();
  }

  private static IdempotentCall call(String key) {
    return IdempotentCall.of(key).withScope("alice");
  }

  /** The business code: one payment row, in the claim's transaction. */
  private IdempotentWork<String> pay(String action, int amount) {
    return claim -> {
      runs.incrementAndGet();
      try (PreparedStatement ps = TransactionalClaim.connection(claim)
          .prepareStatement("INSERT INTO payments (action, amount) VALUES (?, ?)")) {
        ps.setString(1, action);
        ps.setInt(2, amount);
        ps.executeUpdate();
      }
      return "paid " + action;
    };
  }

  private long payments() {
    return server.queryLong(database, "SELECT count(*) FROM payments");
  }

  private long records() {
    return server.queryLong(database, "SELECT count(*) FROM idempotency_records");
  }

  private GuardedResult<String> run(String key, IdempotentWork<String> work) throws Exception {
    return guard.run(call(key), ResultCodec.utf8(), StorePolicy.storeEveryResult(), work);
  }

  /** The duration callEnded reports is read from the guard's ticker, as the lease-based guard's is. */
  @Test
  void theCallsDurationComesFromTheInjectedTicker() throws Exception {
    FakeTime time = new FakeTime();
    List<Duration> durations = new CopyOnWriteArrayList<>();
    TransactionalIdempotencyGuard timed = TransactionalIdempotencyGuard.builder(store).namespace("payments")
        .ticker(time)
        .listener(new IdempotencyListener() {
          @Override
          public void callEnded(RecordId id, CallOutcome outcome, Duration elapsed) {
            durations.add(elapsed);
          }
        })
        .build();
    IdempotentWork<String> pay = pay("a-timed", 100);
    timed.run(call("k-timed"), ResultCodec.utf8(), StorePolicy.storeEveryResult(), claim -> {
      time.advance(Duration.ofSeconds(7));
      return pay.run(claim);
    });
    timed.run(call("k-timed"), ResultCodec.utf8(), StorePolicy.storeEveryResult(), pay);
    assertThat(durations).containsExactly(Duration.ofSeconds(7), Duration.ZERO);
    assertThat(payments()).isEqualTo(1);
  }

  @Test
  void aFirstCallCommitsTheEffectAndTheRecordTogether_aRepeatIsAReplayInOneStatement() throws Exception {
    assertThat(run("k1", pay("a1", 100))).isEqualTo(new GuardedResult<>("paid a1", false));
    assertThat(payments()).isEqualTo(1);
    assertThat(records()).isEqualTo(1);

    int before = counting.statements.get();
    assertThat(run("k1", pay("a1", 100))).isEqualTo(new GuardedResult<>("paid a1", true));
    assertThat(counting.statements.get() - before).as("a replay is one statement").isEqualTo(1);
    assertThat(runs).hasValue(1);
    assertThat(payments()).isEqualTo(1);
    assertThat(outcomes).containsExactly(CallOutcome.EXECUTED, CallOutcome.REPLAYED);

    assertThatThrownBy(() -> guard.run(call("k1").withFingerprint("another request"), ResultCodec.utf8(),
        StorePolicy.storeEveryResult(), pay("a1", 100))).isInstanceOf(IdempotencyKeyReusedException.class);
  }

  @Test
  void workThatThrowsLeavesNeitherEffectNorRecord_andARetryRunsOnce() throws Exception {
    IllegalStateException crash = new IllegalStateException("the card network timed out");
    assertThatThrownBy(() -> run("k1", claim -> {
      pay("a1", 100).run(claim); // written, then the work fails
      throw crash;
    })).isSameAs(crash);
    assertThat(payments()).isZero();
    assertThat(records()).isZero();

    assertThat(run("k1", pay("a1", 100)).replayed()).isFalse();
    assertThat(payments()).isEqualTo(1);
    assertThat(outcomes).containsExactly(CallOutcome.FAILED, CallOutcome.EXECUTED);
  }

  /**
   * A repeat while the first call's transaction is open waits for it: here past the lock timeout
   * (the first is paused), so it is answered "in progress" and runs nothing; once the first
   * commits, a retry replays it.
   */
  @Test
  void aRepeatWhileTheFirstTransactionIsOpenIsInProgressAfterTheLockTimeout_neverASecondRun() throws Exception {
    CountDownLatch inWork = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    CompletableFuture<GuardedResult<String>> first = CompletableFuture.supplyAsync(() -> call(() -> run("k1", claim -> {
      String paid = pay("a1", 100).run(claim);
      inWork.countDown();
      await(release); // a paused worker: its transaction, and its claim's row lock, stay open
      return paid;
    })));
    await(inWork);

    assertThatThrownBy(() -> run("k1", pay("a1", 100))).isInstanceOf(IdempotencyInProgressException.class);
    assertThat(runs).as("the repeat ran nothing").hasValue(1);

    release.countDown();
    assertThat(first.get(30, TimeUnit.SECONDS).replayed()).isFalse();
    assertThat(run("k1", pay("a1", 100)).replayed()).isTrue();
    assertThat(runs).hasValue(1);
    assertThat(payments()).isEqualTo(1);
  }

  /** A repeat that is waiting when the first commits replays the first's answer. */
  @Test
  void aRepeatWaitingWhenTheFirstCommitsReplaysIt() throws Exception {
    TransactionalIdempotencyGuard patient = TransactionalIdempotencyGuard.builder(store).namespace("payments")
        .lockTimeout(Duration.ofSeconds(30)).build();
    CountDownLatch inWork = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    CompletableFuture<GuardedResult<String>> first = CompletableFuture.supplyAsync(() -> call(() -> run("k1", claim -> {
      String paid = pay("a1", 100).run(claim);
      inWork.countDown();
      await(release);
      return paid;
    })));
    await(inWork);
    CompletableFuture<GuardedResult<String>> repeat = CompletableFuture.supplyAsync(() -> call(() ->
        patient.run(call("k1"), ResultCodec.utf8(), StorePolicy.storeEveryResult(), pay("a1", 100))));
    awaitLockWaiters(1);

    release.countDown();
    assertThat(first.get(30, TimeUnit.SECONDS).replayed()).isFalse();
    assertThat(repeat.get(30, TimeUnit.SECONDS)).isEqualTo(new GuardedResult<>("paid a1", true));
    assertThat(runs).hasValue(1);
    assertThat(payments()).isEqualTo(1);
  }

  /** A repeat that is waiting when the first rolls back takes the record and runs: once in all. */
  @Test
  void aRepeatWaitingWhenTheFirstRollsBackRunsItOnce() throws Exception {
    TransactionalIdempotencyGuard patient = TransactionalIdempotencyGuard.builder(store).namespace("payments")
        .lockTimeout(Duration.ofSeconds(30)).build();
    CountDownLatch inWork = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    CompletableFuture<GuardedResult<String>> first = CompletableFuture.supplyAsync(() -> call(() -> run("k1", claim -> {
      pay("a1", 100).run(claim);
      inWork.countDown();
      await(release);
      throw new IllegalStateException("declined after all");
    })));
    await(inWork);
    CompletableFuture<GuardedResult<String>> repeat = CompletableFuture.supplyAsync(() -> call(() ->
        patient.run(call("k1"), ResultCodec.utf8(), StorePolicy.storeEveryResult(), pay("a1", 100))));
    awaitLockWaiters(1);

    release.countDown();
    assertThatThrownBy(() -> first.get(30, TimeUnit.SECONDS)).hasRootCauseMessage("declined after all");
    assertThat(repeat.get(30, TimeUnit.SECONDS)).isEqualTo(new GuardedResult<>("paid a1", false));
    assertThat(payments()).as("the first's payment rolled back, the repeat's committed").isEqualTo(1);
    assertThat(records()).isEqualTo(1);
  }

  /**
   * The worker's session dies mid-transaction (its process died, or its connection was cut):
   * PostgreSQL rolls the transaction back, so neither the payment nor the record remains, and a
   * retry pays once.
   */
  @Test
  void aSessionKilledMidTransactionLeavesNeitherEffectNorRecord() throws Exception {
    try (SimplePool killable = new SimplePool(server.dataSource(database, "idem-tx-killed"))) {
      JdbcIdempotencyStore killableStore = JdbcIdempotencyStore.builder(killable).build();
      TransactionalIdempotencyGuard dying = TransactionalIdempotencyGuard.builder(killableStore)
          .namespace("payments").build();
      assertThatThrownBy(() -> dying.run(call("k1"), ResultCodec.utf8(), StorePolicy.storeEveryResult(), claim -> {
        pay("a1", 100).run(claim);
        assertThat(server.terminate("idem-tx-killed")).isEqualTo(1);
        try (Statement st = TransactionalClaim.connection(claim).createStatement()) {
          st.execute("SELECT 1"); // the session is gone
        }
        return "unreachable";
      })).isInstanceOf(SQLException.class);
    }
    assertThat(payments()).isZero();
    assertThat(records()).isZero();
    assertThat(run("k1", pay("a1", 100)).replayed()).isFalse();
    assertThat(payments()).isEqualTo(1);
  }

  @Test
  void inTheCallersTransactionTheCallerCommits_orRollsBackBoth() throws Exception {
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(false);
      assertThat(guard.run(c, call("k1"), ResultCodec.utf8(), StorePolicy.storeEveryResult(), pay("a1", 100))
          .replayed()).isFalse();
      assertThat(payments()).as("not committed yet").isZero();
      c.rollback();
      assertThat(payments()).isZero();
      assertThat(records()).isZero();

      assertThat(guard.run(c, call("k1"), ResultCodec.utf8(), StorePolicy.storeEveryResult(), pay("a1", 100))
          .replayed()).isFalse();
      c.commit();
      assertThat(payments()).isEqualTo(1);
      assertThat(records()).isEqualTo(1);

      assertThat(guard.run(c, call("k1"), ResultCodec.utf8(), StorePolicy.storeEveryResult(), pay("a1", 100))
          .replayed()).isTrue();
      c.commit();
      c.setAutoCommit(true);
    }
    assertThat(runs).hasValue(2); // the rolled-back run, then the committed one
    assertThat(payments()).isEqualTo(1);
  }

  /** The work throws and the caller commits anyway: the claim was deleted, so no record remains. */
  @Test
  void workThatThrowsInTheCallersTransactionLeavesNoRecordEvenIfTheCallerCommits() throws Exception {
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(false);
      assertThatThrownBy(() -> guard.run(c, call("k1"), ResultCodec.utf8(), StorePolicy.storeEveryResult(),
          claim -> {
            throw new IllegalArgumentException("bad amount");
          })).isInstanceOf(IllegalArgumentException.class);
      c.commit();
      c.setAutoCommit(true);
    }
    assertThat(records()).isZero();
    assertThat(run("k1", pay("a1", 100)).replayed()).isFalse();
  }

  @Test
  void theCallersLockTimeoutIsGivenBack_andAnAutocommitConnectionIsRefused() throws Exception {
    try (Connection c = pool.getConnection()) {
      assertThatThrownBy(() -> guard.run(c, call("k1"), ResultCodec.utf8(), StorePolicy.storeEveryResult(), pay("a1", 1)))
          .isInstanceOf(IllegalStateException.class).hasMessageContaining("autocommit");
      c.setAutoCommit(false);
      try (Statement st = c.createStatement()) {
        st.execute("SET LOCAL lock_timeout = '7s'");
        guard.run(c, call("k1"), ResultCodec.utf8(), StorePolicy.storeEveryResult(), claim -> {
          try (ResultSet rs = TransactionalClaim.connection(claim).createStatement().executeQuery("SHOW lock_timeout")) {
            rs.next();
            return "during the work: " + rs.getString(1);
          }
        });
        try (ResultSet rs = st.executeQuery("SHOW lock_timeout")) {
          rs.next();
          assertThat(rs.getString(1)).isEqualTo("7s");
        }
      }
      c.rollback();
      c.setAutoCommit(true);
    }
    assertThat(runs).hasValue(0);
  }

  /**
   * A failure the guard stores: the work's writes roll back to a savepoint, the failure is
   * recorded and committed alone; a repeat gets the stored failure and runs nothing.
   */
  @Test
  void aStoredFailureCommitsWithoutTheWorksWrites() throws Exception {
    TransactionalIdempotencyGuard storing = TransactionalIdempotencyGuard.builder(store).namespace("payments")
        .storeFailuresWhen(e -> e instanceof IllegalArgumentException).build();
    assertThatThrownBy(() -> storing.run(call("k1"), ResultCodec.utf8(), StorePolicy.storeEveryResult(), claim -> {
      pay("a1", 100).run(claim);
      throw new IllegalArgumentException("card declined");
    })).hasMessage("card declined");
    assertThat(payments()).isZero();
    assertThat(records()).isEqualTo(1);
    assertThatThrownBy(() -> storing.run(call("k1"), ResultCodec.utf8(), StorePolicy.storeEveryResult(), pay("a1", 100)))
        .isInstanceOf(IdempotencyStoredFailureException.class).hasMessageContaining("card declined");
    assertThat(runs).hasValue(1);
  }

  /** An answer the policy does not store releases the claim; the work's writes commit. */
  @Test
  void aResultThePolicyDoesNotStoreReleasesTheClaim() throws Exception {
    StorePolicy<String> onlyPaid = StorePolicy.storeResultsWhen(r -> r.startsWith("paid"));
    assertThat(guard.run(call("k1"), ResultCodec.utf8(), onlyPaid, claim -> {
      runs.incrementAndGet();
      return "try later";
    }).value()).isEqualTo("try later");
    assertThat(records()).isZero();
    assertThat(guard.run(call("k1"), ResultCodec.utf8(), onlyPaid, pay("a1", 100)).replayed()).isFalse();
    assertThat(outcomes).containsExactly(CallOutcome.EXECUTED_NOT_STORED, CallOutcome.EXECUTED);
  }

  /**
   * The HTTP layer over the transactional guard: the business rows and the stored answer in one
   * commit; a repeat replays the answer, a 5xx answer is not stored.
   */
  @Test
  void theHttpLayerStoresItsFirstAnswerInTheSameTransaction() throws Exception {
    IdempotencyHttpLayer layer = IdempotencyHttpLayer.builder(guard).build();
    String key = UUID.randomUUID().toString();
    HttpRequestView request = new HttpRequestView("POST", "/payments", Map.of("Idempotency-Key", List.of(key)),
        "{\"amount\":100}".getBytes(StandardCharsets.UTF_8), "alice");
    HttpResponseView first = layer.handle(request, (r, claim) -> {
      pay("a1", 100).run(claim);
      return new HttpResponseView(201, Map.of("Content-Type", List.of("application/json")),
          "{\"id\":\"a1\"}".getBytes(StandardCharsets.UTF_8));
    });
    HttpResponseView again = layer.handle(request, (r, claim) -> {
      throw new AssertionError("a repeat must not run the business code");
    });
    assertThat(first.status()).isEqualTo(201);
    assertThat(again.body()).isEqualTo(first.body());
    assertThat(again.headerValues("Idempotent-Replayed")).containsExactly("true");
    assertThat(payments()).isEqualTo(1);

    HttpRequestView other = new HttpRequestView("POST", "/payments", Map.of("Idempotency-Key", List.of(key + "-2")),
        new byte[0], "alice");
    assertThat(layer.handle(other, (r, claim) -> new HttpResponseView(503, Map.of(), new byte[0])).status()).isEqualTo(503);
    assertThat(records()).as("the 5xx was not stored").isEqualTo(1);
  }

  @Test
  void aDatabaseThatIsDownIsUnavailableAndNothingRuns() {
    PostgresServerProcess own = PostgresServerFixture.newServer();
    try {
      String db = own.createDatabase("txdown");
      JdbcIdempotencyStore downStore = JdbcIdempotencyStore.builder(own.dataSource(db)).createSchemaIfMissing(true).build();
      TransactionalIdempotencyGuard down = TransactionalIdempotencyGuard.builder(downStore).build();
      own.stop();
      assertThatThrownBy(() -> down.run(call("k1"), ResultCodec.utf8(), StorePolicy.storeEveryResult(), pay("a1", 1)))
          .isInstanceOf(IdempotencyStoreUnavailableException.class);
      assertThat(runs).hasValue(0);
      own.start();
      assertThat(call(() -> down.run(call("k1"), ResultCodec.utf8(), StorePolicy.storeEveryResult(),
          claim -> "ran " + runs.incrementAndGet())).value()).isEqualTo("ran 1");
    } finally {
      own.close();
    }
  }

  /** Waits until {@code n} sessions wait on a lock (a repeat waiting for the first's claim). */
  private static void awaitLockWaiters(int n) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (server.queryLong(database, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        + " AND datname = current_database()") < n) {
      if (System.nanoTime() > deadline) throw new AssertionError("no session waits on a lock after 30 s");
      Thread.onSpinWait();
    }
  }

  private static void await(CountDownLatch latch) {
    try {
      if (!latch.await(30, TimeUnit.SECONDS)) throw new AssertionError("latch not released in 30 s");
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  @FunctionalInterface
  private interface Body<T> {
    T run() throws Exception;
  }

  private static <T> T call(Body<T> body) {
    try {
      return body.run();
    } catch (Exception e) {
      throw new java.util.concurrent.CompletionException(e);
    }
  }

  /** A data source that counts the statements run on its connections (prepared, or plain). */
  static final class CountingDataSource extends DelegatingDataSource {
    final AtomicInteger statements = new AtomicInteger();

    CountingDataSource(DataSource delegate) {
      super(delegate);
    }

    @Override
    public Connection getConnection() throws SQLException {
      Connection real = delegate.getConnection();
      return (Connection) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class},
          (proxy, method, args) -> {
            if (method.getName().equals("prepareStatement") || method.getName().equals("createStatement")) {
              statements.incrementAndGet();
            }
            try {
              return method.invoke(real, args);
            } catch (java.lang.reflect.InvocationTargetException e) {
              throw e.getCause();
            }
          });
    }
  }

  /** A data source handing on to another. */
  abstract static class DelegatingDataSource implements DataSource {
    final DataSource delegate;

    DelegatingDataSource(DataSource delegate) {
      this.delegate = delegate;
    }

    @Override
    public Connection getConnection(String user, String password) throws SQLException {
      throw new SQLException("not supported");
    }

    @Override
    public java.io.PrintWriter getLogWriter() throws SQLException {
      return delegate.getLogWriter();
    }

    @Override
    public void setLogWriter(java.io.PrintWriter out) throws SQLException {
      delegate.setLogWriter(out);
    }

    @Override
    public void setLoginTimeout(int seconds) throws SQLException {
      delegate.setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() throws SQLException {
      return delegate.getLoginTimeout();
    }

    @Override
    public java.util.logging.Logger getParentLogger() {
      return java.util.logging.Logger.getGlobal();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
      return delegate.unwrap(iface);
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) throws SQLException {
      return delegate.isWrapperFor(iface);
    }
  }
}
