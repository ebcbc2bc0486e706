package dev.idempotency.server.jdbc;

import dev.idempotency.server.store.ClaimResult;
import dev.idempotency.server.store.IdempotencyStore;
import dev.idempotency.server.store.IdempotencyStoreUnavailableException;
import dev.idempotency.server.store.RecordId;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;

/**
 * An {@link IdempotencyStore} in a PostgreSQL table, shared by every server instance that uses
 * the same database. It takes any {@link DataSource} (a pool such as HikariCP, or the driver's
 * own): the driver, the pool, its credentials and its connect and socket timeouts are the
 * caller's. The store borrows a connection for each call and gives it back; it never closes the
 * data source.
 *
 * <pre>{@code
 * IdempotencyStore store = JdbcIdempotencyStore.builder(dataSource).build();
 * }</pre>
 *
 * <p>The table is created by the schema file {@code db/idempotency/V1__idempotency_records.sql}
 * on the class path (Flyway and Liquibase take it as it is), or by {@link Builder#createSchemaIfMissing}. Each
 * transition is ONE SQL statement in autocommit, so it is atomic and costs one round trip: a claim
 * answers acquired, in progress (with the lease left), completed (with the stored bytes) or
 * mismatch by itself, and complete, renew and release change the row only while the caller's owner
 * token holds an unexpired lease. A claim that races another's insert of the same record may run
 * its statement once more (a second round trip, only in that race). Time is the database's
 * ({@code clock_timestamp()}), never the instances'. Keys, scopes, fingerprints and owner tokens
 * are kept as SHA-256 digests; the stored answer is {@code bytea}, byte for byte.
 *
 * <p>Expired rows are absent to every statement and deleted in batches: one claim in
 * {@link Builder#sweepEvery sweepEvery} (16) deletes up to {@link Builder#sweepBatchSize
 * sweepBatchSize} (100) expired rows, oldest first, in a second statement on the same connection,
 * so the table holds at most the live records plus a few batches; {@link #deleteExpired()} does
 * the same on demand, for a periodic job.
 *
 * <p>Every failure of the database or the driver (unreachable, read-only, timed out, the session
 * terminated, the table missing) is thrown as {@link IdempotencyStoreUnavailableException} naming
 * the operation and the SQLState, with the {@link SQLException} as its cause; nothing is reported
 * acquired unless the claim's statement committed. The next call borrows a connection again, so
 * the store works again without a restart when the database is back.
 *
 * <p>This class is threadsafe.
 */
public final class JdbcIdempotencyStore implements IdempotencyStore {
  /** The default table, {@value}, the one the schema file creates. */
  public static final String DEFAULT_TABLE_NAME = RecordTable.DEFAULT_NAME;

  /**
   * The default statement timeout, 5 s. Every statement of this store reads or writes one row (a
   * sweep, a batch) and waits on another's row lock for milliseconds at most; past seconds the
   * database is in trouble, and a 503 serves the caller better than a request thread held until
   * the lease runs out (30 s by the guard's default).
   */
  public static final Duration DEFAULT_STATEMENT_TIMEOUT = Duration.ofSeconds(5);

  /** The default sweep batch, 100 rows: a short DELETE through the index, locks held briefly. */
  public static final int DEFAULT_SWEEP_BATCH_SIZE = 100;

  /**
   * The default sweep interval, one claim in 16: with batches of 100 the claims can delete six
   * times as many expired rows as they add, so the table stays bounded, and 15 claims in 16 pay
   * for no sweep at all.
   */
  public static final int DEFAULT_SWEEP_EVERY = 16;

  // Matches the other stores: longer TTLs are mistakes.
  private static final long MAX_TTL_MILLIS = Duration.ofDays(36_525).toMillis();
  // A claim answers no row only when another claim committed the record after this one's
  // statement began (see RecordTable.claimSql); the next run sees it. More runs than this mean the
  // record changes hands faster than a statement runs: unavailable rather than a guess.
  private static final int CLAIM_ATTEMPTS = 5;
  private static final int MAX_SWEEP_BATCH_SIZE = 10_000;
  private static final int MAX_MESSAGE_LENGTH = 200;

  private final DataSource dataSource;
  private final RecordTable table;
  private final int timeoutSeconds;
  private final int sweepBatchSize;
  private final int sweepEvery;
  private final AtomicLong claims = new AtomicLong();
  private final AtomicLong claimReruns = new AtomicLong();

  private JdbcIdempotencyStore(Builder builder) {
    this.dataSource = builder.dataSource;
    this.table = builder.table;
    this.timeoutSeconds = builder.timeoutSeconds;
    this.sweepBatchSize = builder.sweepBatchSize;
    this.sweepEvery = builder.sweepEvery;
  }

  /** A builder over {@code dataSource}, which the store borrows connections from and never closes. */
  public static Builder builder(DataSource dataSource) {
    return new Builder(dataSource);
  }

  /** The table's name, as configured. */
  public String tableName() {
    return table.name();
  }

  /**
   * One statement; a second one in one claim of {@code sweepEvery}, and in a race (see above). An
   * acquired claim's fencing token is drawn from the table's sequence by the claim's statement, so
   * it is strictly greater than every token drawn before it, across lease expiries, releases and
   * restarts of the database.
   */
  @Override
  public ClaimResult claim(RecordId id, String fingerprint, String ownerToken, Duration leaseTtl) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(fingerprint, "fingerprint");
    Objects.requireNonNull(ownerToken, "ownerToken");
    long lease = millis(leaseTtl, "leaseTtl");
    byte[] key = RecordDigest.of(id);
    byte[] fp = RecordDigest.of(fingerprint);
    byte[] token = RecordDigest.of(ownerToken);
    boolean sweep = sweepEvery > 0 && claims.incrementAndGet() % sweepEvery == 0;
    return run("claim", c -> {
      ClaimResult answer = claimOnce(c, key, fp, token, ownerToken, lease);
      if (sweep) sweepQuietly(c);
      return answer;
    });
  }

  private ClaimResult claimOnce(Connection c, byte[] key, byte[] fp, byte[] token,
      String ownerToken, long lease) throws SQLException {
    SQLException conflict = null;
    for (int attempt = 1; attempt <= CLAIM_ATTEMPTS; attempt++) {
      try {
        ClaimResult answer = table.claim(c, timeoutSeconds, key, fp, token, ownerToken, lease);
        if (answer != null) return answer;
      } catch (SQLException e) {
        if (!isSerializationFailure(e)) throw e;
        conflict = e; // a stricter isolation level's way of saying the same race: run it again
      }
      claimReruns.incrementAndGet();
    }
    SQLException e = new SQLTransientException(
        "the record changed under " + CLAIM_ATTEMPTS + " claims in a row", "40001");
    if (conflict != null) e.addSuppressed(conflict);
    throw e;
  }

  DataSource dataSource() {
    return dataSource;
  }

  RecordTable table() {
    return table;
  }

  int timeoutSeconds() {
    return timeoutSeconds;
  }

  /** One call in {@code sweepEvery} sweeps a batch, as a claim of this store does; quietly. */
  void sweepIfDue(Connection c) {
    if (sweepEvery > 0 && claims.incrementAndGet() % sweepEvery == 0) sweepQuietly(c);
  }

  /** How many times a claim's statement was run again because of a race: for tests. */
  long claimReruns() {
    return claimReruns.get();
  }

  // Maintenance on the side of a claim that already has its answer: a failure here must not turn
  // that answer into an error. deleteExpired() reports its failures.
  private void sweepQuietly(Connection c) {
    try {
      table.deleteExpired(c, timeoutSeconds, sweepBatchSize);
    } catch (SQLException ignored) {
      // the next sweep, or a periodic deleteExpired(), deletes these rows
    }
  }

  /** One statement. */
  @Override
  public boolean complete(RecordId id, String ownerToken, byte[] result, Duration retention) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(ownerToken, "ownerToken");
    Objects.requireNonNull(result, "result");
    long ttl = millis(retention, "retention");
    byte[] key = RecordDigest.of(id);
    byte[] token = RecordDigest.of(ownerToken);
    byte[] copy = result.clone(); // bound as it is now, whatever the caller does with its array
    return run("complete", c -> table.complete(c, timeoutSeconds, key, token, copy, ttl));
  }

  /** One statement. */
  @Override
  public boolean renew(RecordId id, String ownerToken, Duration leaseTtl) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(ownerToken, "ownerToken");
    long lease = millis(leaseTtl, "leaseTtl");
    byte[] key = RecordDigest.of(id);
    byte[] token = RecordDigest.of(ownerToken);
    return run("renew", c -> table.renew(c, timeoutSeconds, key, token, lease));
  }

  /** One statement. */
  @Override
  public boolean release(RecordId id, String ownerToken) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(ownerToken, "ownerToken");
    byte[] key = RecordDigest.of(id);
    byte[] token = RecordDigest.of(ownerToken);
    return run("release", c -> table.release(c, timeoutSeconds, key, token));
  }

  /**
   * Deletes every expired row now, in batches of {@code sweepBatchSize}, each batch its own
   * statement (so no lock is held for long), until a batch finds fewer: for a periodic job, when
   * claims are rare or {@link Builder#sweepEvery sweepEvery} is 0. Safe to run on several
   * instances at once: batches skip the rows another one holds.
   *
   * @return the number of rows deleted
   * @throws IdempotencyStoreUnavailableException if the database fails; the batches before the
   *     failure stay deleted
   */
  public long deleteExpired() {
    return run("deleteExpired", c -> {
      long total = 0;
      int deleted;
      do {
        deleted = table.deleteExpired(c, timeoutSeconds, sweepBatchSize);
        total += deleted;
      } while (deleted == sweepBatchSize);
      return total;
    });
  }

  @Override
  public String toString() {
    return "JdbcIdempotencyStore{table=" + table.name() + "}";
  }

  @FunctionalInterface
  private interface SqlCall<T> {
    T apply(Connection c) throws SQLException;
  }

  /**
   * Runs {@code call} on a connection borrowed for it, in autocommit whatever the pool's default,
   * and gives the connection back as it found it.
   */
  private <T> T run(String operation, SqlCall<T> call) {
    try (Connection c = dataSource.getConnection()) {
      boolean autoCommit = c.getAutoCommit();
      if (!autoCommit) c.setAutoCommit(true);
      try {
        return call.apply(c);
      } finally {
        if (!autoCommit) c.setAutoCommit(false);
      }
    } catch (SQLException e) {
      throw unavailable(operation, e);
    }
  }

  /**
   * The operation, the SQLState and the first line of the driver's message (the server's primary
   * message, or the driver's "connection refused"), which name the condition; not the lines after
   * it, whose details can quote a row's values. The whole exception is the cause.
   */
  static IdempotencyStoreUnavailableException unavailable(String operation, SQLException e) {
    String message = e.getMessage() == null ? "" : e.getMessage().lines().findFirst().orElse("").strip();
    if (message.length() > MAX_MESSAGE_LENGTH) message = message.substring(0, MAX_MESSAGE_LENGTH) + "...";
    return new IdempotencyStoreUnavailableException(
        "PostgreSQL failed on " + operation + " (SQLState " + e.getSQLState() + "): " + message, e);
  }

  private static boolean isSerializationFailure(SQLException e) {
    return "40001".equals(e.getSQLState()) || "40P01".equals(e.getSQLState());
  }

  /** A positive duration as whole milliseconds, rounded up so a sub-millisecond TTL still lives. */
  private static long millis(Duration ttl, String name) {
    Objects.requireNonNull(ttl, name);
    if (ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException(name + " must be positive: " + ttl);
    }
    long ms;
    try {
      ms = ttl.plusNanos(999_999).toMillis();
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException(name + " is too long: " + ttl, e);
    }
    if (ms > MAX_TTL_MILLIS) throw new IllegalArgumentException(name + " is too long: " + ttl);
    return ms;
  }

  /**
   * Configures a {@link JdbcIdempotencyStore}. Not threadsafe; {@link #build} copies the settings,
   * so the built store never changes.
   */
  public static final class Builder {
    private final DataSource dataSource;
    private RecordTable table = RecordTable.named(DEFAULT_TABLE_NAME);
    private boolean createSchemaIfMissing;
    private int timeoutSeconds = (int) DEFAULT_STATEMENT_TIMEOUT.getSeconds();
    private int sweepBatchSize = DEFAULT_SWEEP_BATCH_SIZE;
    private int sweepEvery = DEFAULT_SWEEP_EVERY;

    private Builder(DataSource dataSource) {
      this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    }

    /**
     * The table, {@code table} or {@code schema.table}; default {@value
     * JdbcIdempotencyStore#DEFAULT_TABLE_NAME}. Letters, digits and underscores, not starting with
     * a digit; the table at most 52 characters, the schema at most 63. Taken as written (quoted),
     * so {@code Idem} and {@code idem} are two tables. Without a schema, the connection's
     * {@code search_path} finds it. Its sequence and index are named after it:
     * {@code <table>_fence_seq}, {@code <table>_expires_at}.
     *
     * @throws IllegalArgumentException if the name is not one
     */
    public Builder tableName(String tableName) {
      this.table = RecordTable.named(tableName);
      return this;
    }

    /**
     * Whether {@link #build} creates the table, its sequence and its index when they are missing
     * (and the schema, if the name has one), with the DDL of the schema file; default false: the
     * schema is the application's, created by its migrations. Harmless when they exist; safe when
     * several instances start at once.
     */
    public Builder createSchemaIfMissing(boolean createSchemaIfMissing) {
      this.createSchemaIfMissing = createSchemaIfMissing;
      return this;
    }

    /**
     * How long one statement may run before the driver cancels it and the call fails as
     * unavailable (JDBC's query timeout, in whole seconds: rounded up); default 5 s;
     * {@link Duration#ZERO} for none. Reaching the database is bounded by the data source's own
     * connect timeout, and a database that vanishes mid-statement by its socket timeout.
     *
     * @throws IllegalArgumentException if negative or over {@link Integer#MAX_VALUE} seconds
     */
    public Builder statementTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "statementTimeout");
      if (timeout.isNegative()) throw new IllegalArgumentException("statementTimeout is negative: " + timeout);
      long seconds = timeout.getSeconds() + (timeout.getNano() > 0 ? 1 : 0);
      if (seconds > Integer.MAX_VALUE) throw new IllegalArgumentException("statementTimeout is too long: " + timeout);
      this.timeoutSeconds = (int) seconds;
      return this;
    }

    /**
     * The most expired rows one sweep statement deletes; default 100, at most 10,000.
     *
     * @throws IllegalArgumentException if not in 1..10,000
     */
    public Builder sweepBatchSize(int rows) {
      if (rows < 1 || rows > MAX_SWEEP_BATCH_SIZE) {
        throw new IllegalArgumentException("sweepBatchSize must be 1 to " + MAX_SWEEP_BATCH_SIZE + ": " + rows);
      }
      this.sweepBatchSize = rows;
      return this;
    }

    /**
     * One claim in {@code claims} (counted by this store) also deletes a batch of expired rows;
     * default 16; 0 for never, when a periodic job calls {@link JdbcIdempotencyStore#deleteExpired}.
     *
     * @throws IllegalArgumentException if negative
     */
    public Builder sweepEvery(int claims) {
      if (claims < 0) throw new IllegalArgumentException("sweepEvery is negative: " + claims);
      this.sweepEvery = claims;
      return this;
    }

    /**
     * The store. With {@link #createSchemaIfMissing(boolean) createSchemaIfMissing}, creates what
     * is missing first.
     *
     * @throws IdempotencyStoreUnavailableException if creating the schema fails
     */
    public JdbcIdempotencyStore build() {
      JdbcIdempotencyStore store = new JdbcIdempotencyStore(this);
      if (createSchemaIfMissing) {
        store.run("createSchemaIfMissing", c -> {
          store.table.createIfMissing(c, store.timeoutSeconds);
          return null;
        });
      }
      return store;
    }
  }
}
