package dev.idempotency.benchmarks;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.idempotency.server.GuardedResult;
import dev.idempotency.server.IdempotencyGuard;
import dev.idempotency.server.IdempotentCall;
import dev.idempotency.server.ResultCodec;
import dev.idempotency.server.StorePolicy;
import dev.idempotency.server.jdbc.JdbcIdempotencyStore;
import dev.idempotency.server.jdbc.TransactionalClaim;
import dev.idempotency.server.jdbc.TransactionalIdempotencyGuard;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * The PostgreSQL guards against the business code's own statements on the same database, over
 * the same connection pool (HikariCP, as the demo uses it).
 *
 * <ul>
 *   <li>New key: the business code is one {@code INSERT} of the payment (its receipt's JSON in a
 *       {@code bytea} column) and its {@code COMMIT}; under the {@link TransactionalIdempotencyGuard}
 *       (DataSource mode) it runs on the claim's connection, in the claim's transaction, and the
 *       guard commits; under an {@link IdempotencyGuard} over a {@link JdbcIdempotencyStore} (lease
 *       mode) it borrows a connection and commits on its own, between the claim and the complete.
 *   <li>Replay: the baseline is one {@code SELECT} of the payment by its primary key and a Jackson
 *       decode of its JSON; the guards replay keys completed before the measurement, with business
 *       code that throws if it runs.
 * </ul>
 *
 * <p>The server is started by {@link BenchmarkDriver} (the server-core test fixture: a real
 * PostgreSQL, {@code fsync} off) and named by the system properties {@value #PORT_PROPERTY} and
 * {@value #DATABASE_PROPERTY}. Every row is paired (see {@link Pairs}).
 */
public class PostgresBenchmarks {
  /** Calls per side and thread in one block of a pair. */
  public static final int PAIR_BLOCK = 20;

  /** Invocations of a pair per iteration. */
  public static final int PAIR_BATCH = 10;

  static final String PORT_PROPERTY = "bench.postgres.port";
  static final String DATABASE_PROPERTY = "bench.postgres.database";

  /** Enough connections that no benchmark thread waits for one. */
  static final int POOL_SIZE = 8;

  static final int PREWARM_CALLS = 3_000;
  static final Duration PREWARM_QUIET = Duration.ofSeconds(1);
  static final Duration PREWARM_LIMIT = Duration.ofSeconds(10);

  /** Keys replayed; a power of two. */
  static final int REPLAY_KEYS = 1024;

  /** The business table: one row per payment, its receipt's JSON with it. */
  static final String PAYMENTS_DDL = "CREATE TABLE IF NOT EXISTS payments ("
      + " id text PRIMARY KEY, order_id text NOT NULL, amount_minor bigint NOT NULL,"
      + " currency text NOT NULL, receipt bytea NOT NULL)";
  static final String INSERT = "INSERT INTO payments (id, order_id, amount_minor, currency, receipt)"
      + " VALUES (?, ?, ?, ?, ?)";
  static final String SELECT = "SELECT receipt FROM payments WHERE id = ?";

  static final ResultCodec<Receipt> CODEC = ResultCodec.json(Receipt.class);

  /** The pool, the business table, both guards, and the keys completed before the measurement. */
  @State(Scope.Benchmark)
  public static class Database {
    HikariDataSource pool;
    JdbcIdempotencyStore store;
    TransactionalIdempotencyGuard transactional;
    IdempotencyGuard leased;
    final String[] replayKeys = new String[REPLAY_KEYS]; // completed by both guards, and in payments

    @Setup(Level.Trial)
    public void connect(BenchmarkParams params) throws Exception {
      pool = newPool();
      try (Connection c = pool.getConnection(); Statement st = c.createStatement()) {
        st.execute(PAYMENTS_DDL);
      }
      store = JdbcIdempotencyStore.builder(pool).createSchemaIfMissing(true).build();
      transactional = TransactionalIdempotencyGuard.builder(store).namespace("payments").build();
      // The two guards share the table; a namespace each, so neither replays the other's records.
      leased = IdempotencyGuard.builder().store(store).namespace("payments-leased").build();
      Keys keys = new Keys();
      for (int i = 0; i < REPLAY_KEYS; i++) {
        replayKeys[i] = keys.next();
        newKeyTransactional(this, replayKeys[i]);
        leased.execute(replayKeys[i], Receipt.class, Receipt.CHARGE);
      }
      // Statistics, as a table in service has them: plans cached while the table was nearly empty
      // would stay a scan of the whole table (the sweep's among them) until autovacuum's first
      // ANALYZE, a minute or more away, longer than a fork runs.
      try (Connection c = pool.getConnection(); Statement st = c.createStatement()) {
        st.execute("ANALYZE payments, idempotency_records");
      }
      String benchmark = params.getBenchmark();
      Keys warmKeys = new Keys();
      int[] n = {0};
      // The measured operations, both sides in turn, by count and then until the compiler is idle.
      Prewarm.runUntilCompiled(PREWARM_CALLS, PREWARM_QUIET, PREWARM_LIMIT, () -> {
        boolean guardTurn = (n[0]++ & 1) == 0;
        String replayKey = replayKeys[n[0] & (REPLAY_KEYS - 1)];
        if (benchmark.endsWith(".transactionalNewKeyPair")) {
          return guardTurn ? newKeyTransactional(this, warmKeys.next()) : newKeyBaseline(this, warmKeys.next());
        }
        if (benchmark.endsWith(".transactionalReplayPair")) {
          return guardTurn ? replayTransactional(this, replayKey) : select(this, replayKey);
        }
        if (benchmark.endsWith(".storeNewKeyPair")) {
          return guardTurn ? newKeyLeased(this, warmKeys.next()) : newKeyBaseline(this, warmKeys.next());
        }
        return guardTurn ? replayLeased(this, replayKey) : select(this, replayKey);
      });
    }

    @TearDown(Level.Trial)
    public void close() {
      leased.close();
      pool.close();
    }
  }

  /** A pool on the driver's server, as an application would size it for its threads. */
  static HikariDataSource newPool() {
    String port = System.getProperty(PORT_PROPERTY);
    String database = System.getProperty(DATABASE_PROPERTY);
    if (port == null || database == null) {
      throw new IllegalStateException("no PostgreSQL: set -D" + PORT_PROPERTY + " and -D" + DATABASE_PROPERTY);
    }
    return newPool(Integer.parseInt(port), database);
  }

  static HikariDataSource newPool(int port, String database) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl("jdbc:postgresql://127.0.0.1:" + port + "/" + database);
    config.setUsername("postgres");
    config.setMaximumPoolSize(POOL_SIZE);
    config.setMinimumIdle(POOL_SIZE);
    config.setPoolName("bench");
    return new HikariDataSource(config);
  }

  @State(Scope.Thread)
  public static class ThreadKeys {
    final Keys keys = new Keys();
    int replay = (int) (Thread.currentThread().getId() * 977);

    String replayKey(Database db) {
      return db.replayKeys[replay++ & (REPLAY_KEYS - 1)];
    }
  }

  /** The business code's write: the payment row, its receipt's JSON in it. */
  static Receipt insert(Connection c, String key) throws SQLException {
    Receipt receipt = Receipt.charge();
    try (PreparedStatement ps = c.prepareStatement(INSERT)) {
      ps.setString(1, key);
      ps.setString(2, receipt.orderId());
      ps.setLong(3, receipt.amountMinor());
      ps.setString(4, receipt.currency());
      ps.setBytes(5, Receipt.encode(receipt));
      ps.executeUpdate();
    }
    return receipt;
  }

  /** The baseline of a new key: the business INSERT and its COMMIT, no guard. */
  static Receipt newKeyBaseline(Database db, String key) throws SQLException {
    try (Connection c = db.pool.getConnection()) {
      c.setAutoCommit(false);
      try {
        Receipt receipt = insert(c, key);
        c.commit();
        return receipt;
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      } finally {
        c.setAutoCommit(true);
      }
    }
  }

  /** The baseline of a replay: one SELECT by the primary key and the decode of its JSON. */
  static Receipt select(Database db, String key) throws SQLException {
    try (Connection c = db.pool.getConnection(); PreparedStatement ps = c.prepareStatement(SELECT)) {
      ps.setString(1, key);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) throw new IllegalStateException("no payment " + key);
        return Receipt.decode(rs.getBytes(1));
      }
    }
  }

  static Receipt newKeyTransactional(Database db, String key) throws Exception {
    GuardedResult<Receipt> r = db.transactional.run(IdempotentCall.of(key), CODEC, StorePolicy.storeEveryResult(),
        claim -> insert(TransactionalClaim.connection(claim), key));
    if (r.replayed()) throw new IllegalStateException("a new key was replayed");
    return r.value();
  }

  static Receipt replayTransactional(Database db, String key) throws Exception {
    GuardedResult<Receipt> r = db.transactional.run(IdempotentCall.of(key), CODEC, StorePolicy.storeEveryResult(),
        claim -> Receipt.MUST_NOT_RUN.get());
    if (!r.replayed()) throw new IllegalStateException("a replay ran");
    return r.value();
  }

  /** Lease mode: the business INSERT and COMMIT of its own between the claim and the complete. */
  static Receipt newKeyLeased(Database db, String key) {
    return db.leased.execute(key, Receipt.class, () -> {
      try {
        return newKeyBaseline(db, key);
      } catch (SQLException e) {
        throw new IllegalStateException(e);
      }
    });
  }

  static Receipt replayLeased(Database db, String key) {
    return db.leased.execute(key, Receipt.class, Receipt.MUST_NOT_RUN);
  }

  @Benchmark
  @BenchmarkMode(Mode.SingleShotTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  public void transactionalNewKeyPair(Database db, ThreadKeys thread, MemoryGuardBenchmarks.PairTimes times,
      MemoryGuardBenchmarks.Lockstep step, Blackhole bh) throws Exception {
    Pairs.run(times, step, bh, PAIR_BLOCK,
        () -> newKeyTransactional(db, thread.keys.next()),
        () -> newKeyBaseline(db, thread.keys.next()));
  }

  @Benchmark
  @BenchmarkMode(Mode.SingleShotTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  public void transactionalReplayPair(Database db, ThreadKeys thread, MemoryGuardBenchmarks.PairTimes times,
      MemoryGuardBenchmarks.Lockstep step, Blackhole bh) throws Exception {
    Pairs.run(times, step, bh, PAIR_BLOCK,
        () -> replayTransactional(db, thread.replayKey(db)),
        () -> select(db, thread.replayKey(db)));
  }

  @Benchmark
  @BenchmarkMode(Mode.SingleShotTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  public void storeNewKeyPair(Database db, ThreadKeys thread, MemoryGuardBenchmarks.PairTimes times,
      MemoryGuardBenchmarks.Lockstep step, Blackhole bh) throws Exception {
    Pairs.run(times, step, bh, PAIR_BLOCK,
        () -> newKeyLeased(db, thread.keys.next()),
        () -> newKeyBaseline(db, thread.keys.next()));
  }

  @Benchmark
  @BenchmarkMode(Mode.SingleShotTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  public void storeReplayPair(Database db, ThreadKeys thread, MemoryGuardBenchmarks.PairTimes times,
      MemoryGuardBenchmarks.Lockstep step, Blackhole bh) throws Exception {
    Pairs.run(times, step, bh, PAIR_BLOCK,
        () -> replayLeased(db, thread.replayKey(db)),
        () -> select(db, thread.replayKey(db)));
  }
}
