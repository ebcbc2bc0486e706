package dev.idempotency.server.jdbc;

import dev.idempotency.contract.Ticker;
import dev.idempotency.server.CallOutcome;
import dev.idempotency.server.Claim;
import dev.idempotency.server.GuardedResult;
import dev.idempotency.server.IdempotencyExecutor;
import dev.idempotency.server.IdempotencyGuard;
import dev.idempotency.server.IdempotencyInProgressException;
import dev.idempotency.server.IdempotencyKeyReusedException;
import dev.idempotency.server.IdempotencyListener;
import dev.idempotency.server.IdempotentCall;
import dev.idempotency.server.IdempotentWork;
import dev.idempotency.server.ResultCodec;
import dev.idempotency.server.StorePolicy;
import dev.idempotency.server.StoredOutcome;
import dev.idempotency.server.store.ClaimResult;
import dev.idempotency.server.store.IdempotencyStoreUnavailableException;
import dev.idempotency.server.store.RecordId;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.time.Duration;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;
import javax.sql.DataSource;

/**
 * Exactly-once effects with PostgreSQL: the claim of a record, the work's own writes and the
 * stored answer share ONE database transaction, so they commit together or not at all. No lease
 * is involved: the uncommitted claim holds the record's row lock until the transaction ends.
 *
 * <pre>{@code
 * TransactionalIdempotencyGuard guard = TransactionalIdempotencyGuard.builder(store)
 *     .namespace("payments")
 *     .build();
 * // The guard begins, commits or rolls back a transaction on a connection of the store's DataSource:
 * GuardedResult<Receipt> r = guard.run(call, ResultCodec.json(Receipt.class), StorePolicy.storeEveryResult(),
 *     claim -> payments.insert(TransactionalClaim.connection(claim), order));
 * // Or in a transaction of the caller's (Spring's TransactionTemplate, @Transactional):
 * GuardedResult<Receipt> r = guard.run(DataSourceUtils.getConnection(dataSource), call, codec, policy, work);
 * }</pre>
 *
 * <ul>
 *   <li>A first call: the claim inserts the record (uncommitted), the work writes on the claim's
 *       {@link TransactionalClaim#connection() connection}, the answer is stored in the same
 *       transaction, and the transaction commits: effect and record both, or, if anything fails
 *       or the process dies before the commit, neither, and a retry runs again.
 *   <li>A repeat after the commit is a replay: one read.
 *   <li>A repeat while the first transaction is open waits for it at most
 *       {@link Builder#lockTimeout} (then {@link IdempotencyInProgressException}: nothing ran);
 *       if the first commits meanwhile, the repeat replays its answer; if it rolls back, the repeat
 *       runs. A worker paused mid-transaction keeps its row lock: repeats are answered "in
 *       progress" until its transaction ends, never run a second time.
 *   <li>The work throws: the transaction rolls back (its writes with it) and no record remains;
 *       the exception reaches the caller unchanged. A failure the {@link StorePolicy} stores is
 *       stored after the work's writes are rolled back to a savepoint taken before it (only when a
 *       failure rule is set): the record of the failure commits alone.
 *   <li>A result the policy does not store (an HTTP 5xx): the claim is deleted, the work's writes
 *       commit (the work chose to answer, not to throw).
 *   <li>The database fails before the work ran: {@link IdempotencyStoreUnavailableException},
 *       nothing ran. It fails at the commit: the transaction most likely rolled back (or committed
 *       and the answer was lost): {@link IdempotencyStoreUnavailableException} too, and a retry with
 *       the same key either replays the committed answer or runs again, once.
 * </ul>
 *
 * <p>In a transaction of the caller's ({@link #run(Connection, IdempotentCall, ResultCodec,
 * StorePolicy, IdempotentWork)}), the caller commits or rolls back; the guard never does. When the
 * work throws, the guard deletes its claim in that transaction before rethrowing, so no record
 * remains whether the caller then rolls back or commits. A repeat that waited out the lock
 * timeout has failed the caller's transaction (PostgreSQL aborts it): roll it back. The claim sets
 * the transaction's {@code lock_timeout} while it may wait for another's claim; the statement that
 * completes or releases the claim sets it back, so the work's own statements run under the
 * claim's timeout.
 *
 * <p>Expired rows (of the retention) are swept as {@link JdbcIdempotencyStore} sweeps them: in
 * {@link #run(IdempotentCall, ResultCodec, StorePolicy, IdempotentWork)} one call in the store's
 * {@code sweepEvery} that is not a replay (a replay adds no row) sweeps a batch before its
 * transaction begins; a caller that only uses its own transactions calls
 * {@link JdbcIdempotencyStore#deleteExpired()} periodically.
 *
 * <p>This class is immutable and threadsafe.
 */
public final class TransactionalIdempotencyGuard implements IdempotencyExecutor {
  /**
   * 2 s: a payment's transaction ends in milliseconds; a repeat that waited this long finds the
   * first one stuck (a paused worker, a long lock), and a 409 with {@code Retry-After} serves the
   * client better than a request thread held until the first ends.
   */
  public static final Duration DEFAULT_LOCK_TIMEOUT = Duration.ofSeconds(2);

  // SQLStates: lock_not_available (lock_timeout), serialization_failure, deadlock_detected.
  private static final String LOCK_NOT_AVAILABLE = "55P03";
  private static final String SERIALIZATION_FAILURE = "40001";
  private static final String DEADLOCK_DETECTED = "40P01";
  // A claim whose statement saw no row (a record committed after it began) runs again, as the
  // store's does; more than this and the record changes hands faster than a statement runs.
  private static final int CLAIM_ATTEMPTS = 5;
  private static final Duration IN_PROGRESS_RETRY_AFTER = Duration.ofSeconds(1);
  private static final System.Logger LOG = System.getLogger(TransactionalIdempotencyGuard.class.getName());

  private final JdbcIdempotencyStore store;
  private final String namespace;
  private final long retentionMillis;
  private final String lockTimeout; // as PostgreSQL reads an interval, e.g. "2000ms"
  private final Predicate<? super Throwable> storeFailuresWhen;
  private final IdempotencyListener listener;
  private final Ticker ticker;

  private TransactionalIdempotencyGuard(Builder b) {
    this.store = b.store;
    this.namespace = b.namespace;
    this.retentionMillis = b.retention.toMillis();
    this.lockTimeout = b.lockTimeout.toMillis() + "ms";
    this.storeFailuresWhen = b.storeFailuresWhen;
    this.listener = b.listener;
    this.ticker = b.ticker;
  }

  /** A builder over {@code store}: its data source, table, statement timeout and sweep. */
  public static Builder builder(JdbcIdempotencyStore store) {
    return new Builder(store);
  }

  @Override
  public String namespace() {
    return namespace;
  }

  /**
   * Runs {@code work} once for the call's record, in a transaction of the guard's own on a
   * connection of the store's data source: begun, and committed (or rolled back) before this
   * returns. The work writes on {@link TransactionalClaim#connection(Claim)}. A repeat of a
   * completed record is one read, outside any transaction.
   */
  @Override
  public <T> GuardedResult<T> run(
      IdempotentCall call, ResultCodec<T> codec, StorePolicy<T> policy, IdempotentWork<T> work) throws Exception {
    Call<T> c = new Call<>(call, codec, policy, work);
    Connection connection;
    boolean autoCommit;
    try {
      connection = store.dataSource().getConnection();
    } catch (SQLException e) {
      throw c.unavailable(e);
    }
    try {
      try {
        autoCommit = connection.getAutoCommit();
        if (!autoCommit) connection.setAutoCommit(true);
        // A replay needs no transaction: one read, by the primary key.
        byte[] completed = store.table().lookupCompleted(connection, store.timeoutSeconds(), c.key, c.fingerprint);
        if (completed != null) return c.replay(completed);
        // Only a call that may add a row sweeps (a replay adds none): the sweep keeps its rate per
        // row added, and a replay costs its one read and no second statement.
        store.sweepIfDue(connection);
        connection.setAutoCommit(false);
      } catch (SQLException e) {
        throw c.unavailable(e);
      }
      try {
        GuardedResult<T> result;
        try {
          result = c.runIn(connection);
        } catch (Throwable t) {
          // A stored failure commits alone (the work's writes were rolled back to the savepoint);
          // anything else rolls the whole transaction back, the claim with it.
          if (c.outcome == CallOutcome.FAILURE_STORED) commit(connection, c);
          else rollbackQuietly(connection, t);
          throw t;
        }
        commit(connection, c);
        return result;
      } finally {
        restoreAutoCommit(connection, autoCommit);
      }
    } finally {
      closeQuietly(connection);
    }
  }

  /** Commits the call's transaction and reports it; a failed commit is an unknown outcome. */
  private static void commit(Connection connection, Call<?> c) throws IdempotencyStoreUnavailableException {
    try {
      connection.commit();
    } catch (SQLException e) {
      rollbackQuietly(connection, e);
      // The work ran; whether its transaction committed is unknown (most likely not): a retry
      // with the same key replays it, or runs it again, once.
      c.ended(CallOutcome.STORE_UNAVAILABLE);
      throw JdbcIdempotencyStore.unavailable("commit", e);
    }
    c.committed();
  }

  /**
   * Runs {@code work} once for the call's record in the caller's transaction on {@code connection}
   * (autocommit off): the claim, the work's writes and the stored answer commit when the caller
   * commits. The guard never commits, rolls back or closes the connection.
   *
   * @throws IllegalStateException if {@code connection} is in autocommit
   */
  public <T> GuardedResult<T> run(Connection connection, IdempotentCall call, ResultCodec<T> codec,
      StorePolicy<T> policy, IdempotentWork<T> work) throws Exception {
    Objects.requireNonNull(connection, "connection");
    Call<T> c = new Call<>(call, codec, policy, work);
    boolean autoCommit;
    try {
      autoCommit = connection.getAutoCommit();
    } catch (SQLException e) {
      throw c.unavailable(e);
    }
    if (autoCommit) {
      throw new IllegalStateException("the connection is in autocommit: the transactional guard runs in a"
          + " transaction of the caller's (setAutoCommit(false), or a Spring-managed transaction)");
    }
    GuardedResult<T> result = c.runIn(connection);
    c.committed(); // as far as this guard can tell: the caller commits
    return result;
  }

  /** One call: its record, digests and token, and how it ends. Not threadsafe: one thread. */
  private final class Call<T> {
    final IdempotentCall call;
    final ResultCodec<T> codec;
    final StorePolicy<T> policy;
    final IdempotentWork<T> work;
    final RecordId id;
    final byte[] key;
    final byte[] fingerprint;
    String ownerToken; // drawn by the claim: a replay found by the read before it needs none
    byte[] token;
    final long start = ticker.read();
    CallOutcome outcome; // set once the transaction's part of the call is done
    Throwable storedFailure;

    Call(IdempotentCall call, ResultCodec<T> codec, StorePolicy<T> policy, IdempotentWork<T> work) {
      this.call = Objects.requireNonNull(call, "call");
      this.codec = Objects.requireNonNull(codec, "codec");
      this.policy = Objects.requireNonNull(policy, "policy");
      this.work = Objects.requireNonNull(work, "work");
      this.id = new RecordId(namespace, call.scope(), call.key().value());
      this.key = RecordDigest.of(id);
      this.fingerprint = RecordDigest.of(call.fingerprint());
    }

    /** The claim, the work and the stored answer, in the transaction on {@code c}. */
    GuardedResult<T> runIn(Connection c) throws Exception {
      RecordTable.TransactionClaim claim = claim(c);
      ClaimResult result = claim.result();
      if (result instanceof ClaimResult.Completed completed) return completed.read(this::replay);
      if (result instanceof ClaimResult.FingerprintMismatch) {
        report(() -> listener.keyReused(id));
        ended(CallOutcome.KEY_REUSED);
        throw new IdempotencyKeyReusedException(
            "this key was already used for a different request; use a new key for a new action");
      }
      if (result instanceof ClaimResult.InProgress) {
        // A claim committed by a lease-based guard sharing this table, and still within its lease.
        throw inProgress();
      }
      long fencingToken = ((ClaimResult.Acquired) result).fencingToken();
      String lockTimeoutBefore = claim.lockTimeoutBefore();
      boolean mayStoreFailure = storeFailuresWhen != null || policyStoresFailures();
      Savepoint beforeWork = mayStoreFailure ? c.setSavepoint() : null;
      T value;
      try {
        value = work.run(new Owned(c, fencingToken));
      } catch (Throwable t) {
        if (beforeWork != null && policy.stores(t, storeFailuresWhen)) {
          c.rollback(beforeWork); // the work's writes go; the record of its failure stays
          complete(c, storedFailureBytes(t), lockTimeoutBefore);
          storedFailure = t;
          outcome = CallOutcome.FAILURE_STORED;
        } else {
          releaseQuietly(c, lockTimeoutBefore, t);
          outcome = CallOutcome.FAILED;
          ended(outcome);
        }
        throw t;
      }
      byte[] stored;
      try {
        stored = policy.stores(value) ? storedValue(value) : null;
      } catch (RuntimeException e) {
        releaseQuietly(c, lockTimeoutBefore, e);
        ended(CallOutcome.FAILED);
        throw e;
      }
      if (stored == null) {
        release(c, lockTimeoutBefore);
        outcome = CallOutcome.EXECUTED_NOT_STORED;
      } else {
        complete(c, stored, lockTimeoutBefore);
        outcome = CallOutcome.EXECUTED;
      }
      return new GuardedResult<>(value, false);
    }

    private RecordTable.TransactionClaim claim(Connection c) {
      ThreadLocalRandom random = ThreadLocalRandom.current();
      ownerToken = new UUID(random.nextLong(), random.nextLong()).toString();
      token = RecordDigest.of(ownerToken);
      try {
        for (int attempt = 1; attempt <= CLAIM_ATTEMPTS; attempt++) {
          RecordTable.TransactionClaim claim = store.table().claimInTransaction(
              c, store.timeoutSeconds(), key, fingerprint, token, ownerToken, retentionMillis, lockTimeout);
          if (claim != null) return claim;
        }
        throw inProgress(); // the record changed hands faster than a statement runs
      } catch (SQLException e) {
        String state = e.getSQLState();
        if (LOCK_NOT_AVAILABLE.equals(state) || SERIALIZATION_FAILURE.equals(state)
            || DEADLOCK_DETECTED.equals(state)) {
          // Another transaction holds the record's claim (or committed it where this transaction's
          // snapshot cannot see it): it is in progress, as far as this call can know.
          throw inProgress();
        }
        throw unavailable(e);
      }
    }

    /** The store failed before the work ran: reported, and the exception to throw. */
    IdempotencyStoreUnavailableException unavailable(SQLException e) {
      IdempotencyStoreUnavailableException unavailable = JdbcIdempotencyStore.unavailable("claim", e);
      report(() -> listener.storeUnavailable(id, unavailable, false));
      ended(CallOutcome.STORE_UNAVAILABLE);
      return unavailable;
    }

    private IdempotencyInProgressException inProgress() {
      report(() -> listener.inProgress(id));
      ended(CallOutcome.IN_PROGRESS);
      return new IdempotencyInProgressException(
          "a call with this key is still running; retry with the same key later", IN_PROGRESS_RETRY_AFTER);
    }

    GuardedResult<T> replay(byte[] stored) {
      try {
        return new GuardedResult<>(StoredOutcome.decode(stored, codec), true);
      } finally {
        report(() -> listener.replayed(id));
        ended(CallOutcome.REPLAYED);
      }
    }

    private void complete(Connection c, byte[] stored, String lockTimeoutBefore) throws SQLException {
      if (!store.table().completeInTransaction(
          c, store.timeoutSeconds(), key, token, stored, retentionMillis, lockTimeoutBefore)) {
        // Only this transaction could have changed its uncommitted claim: a bug, not a race.
        throw new IllegalStateException("the transaction's own claim of " + id + " is gone");
      }
    }

    private void release(Connection c, String lockTimeoutBefore) throws SQLException {
      store.table().releaseInTransaction(c, store.timeoutSeconds(), key, token, lockTimeoutBefore);
    }

    private void releaseQuietly(Connection c, String lockTimeoutBefore, Throwable cause) {
      try {
        release(c, lockTimeoutBefore);
      } catch (SQLException e) {
        // The transaction is failing anyway (the work's own exception, often an SQL one): rolled
        // back, it leaves no claim; the caller who commits it regardless gets the database's error.
        cause.addSuppressed(e);
      }
    }

    /** The transaction committed (or, in the caller's, is the caller's to commit): report. */
    void committed() {
      if (outcome == CallOutcome.EXECUTED) report(() -> listener.executed(id));
      else if (outcome == CallOutcome.FAILURE_STORED) report(() -> listener.failureStored(id, storedFailure));
      if (outcome != null) ended(outcome);
    }

    void ended(CallOutcome how) {
      if (listener == IdempotencyListener.NONE) return;
      Duration elapsed = Duration.ofNanos(Math.max(0, ticker.read() - start));
      report(() -> listener.callEnded(id, how, elapsed));
    }

    private byte[] storedValue(T value) {
      return StoredOutcome.value(codec, value);
    }

    private boolean policyStoresFailures() {
      return policy.hasFailureRule();
    }
  }

  private static byte[] storedFailureBytes(Throwable t) {
    return StoredOutcome.failure(t);
  }

  /** The claim a transactional call won: its connection, in the transaction, and its fencing token. */
  private record Owned(Connection connection, long fencingToken) implements TransactionalClaim {}

  private static void rollbackQuietly(Connection c, Throwable cause) {
    try {
      c.rollback();
    } catch (SQLException e) {
      cause.addSuppressed(e);
    }
  }

  private static void closeQuietly(Connection c) {
    try {
      c.close();
    } catch (SQLException e) {
      LOG.log(System.Logger.Level.WARNING, "could not give a connection back", e);
    }
  }

  private static void restoreAutoCommit(Connection c, boolean autoCommit) {
    try {
      if (c.getAutoCommit() != autoCommit) c.setAutoCommit(autoCommit);
    } catch (SQLException e) {
      LOG.log(System.Logger.Level.WARNING, "could not give a connection back its autocommit setting", e);
    }
  }

  private void report(Runnable event) {
    if (listener == IdempotencyListener.NONE) return;
    try {
      event.run();
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "an IdempotencyListener threw; ignored", e);
    }
  }

  /**
   * Configures a {@link TransactionalIdempotencyGuard}. Not threadsafe; {@link #build} copies it.
   */
  public static final class Builder {
    private final JdbcIdempotencyStore store;
    private String namespace = IdempotencyGuard.DEFAULT_NAMESPACE;
    private Duration retention = IdempotencyGuard.DEFAULT_RETENTION;
    private Duration lockTimeout = DEFAULT_LOCK_TIMEOUT;
    private Predicate<? super Throwable> storeFailuresWhen;
    private IdempotencyListener listener = IdempotencyListener.NONE;
    private Ticker ticker = Ticker.system();

    private Builder(JdbcIdempotencyStore store) {
      this.store = Objects.requireNonNull(store, "store");
    }

    /** As {@code IdempotencyGuardBuilder.namespace}; default {@value IdempotencyGuard#DEFAULT_NAMESPACE}. */
    public Builder namespace(String namespace) {
      Objects.requireNonNull(namespace, "namespace");
      if (namespace.isEmpty()) throw new IllegalArgumentException("namespace is empty");
      this.namespace = namespace;
      return this;
    }

    /** How long a committed answer is replayed; default 24 h. */
    public Builder retention(Duration retention) {
      this.retention = positive(retention, "retention");
      return this;
    }

    /**
     * How long a repeat waits for the first call's transaction to end before it is answered "in
     * progress"; default {@link TransactionalIdempotencyGuard#DEFAULT_LOCK_TIMEOUT} (2 s), at least
     * 1 ms (PostgreSQL's {@code lock_timeout}, which reads 0 as "wait for ever").
     */
    public Builder lockTimeout(Duration lockTimeout) {
      Duration d = positive(lockTimeout, "lockTimeout");
      if (d.toMillis() < 1) throw new IllegalArgumentException("lockTimeout is under 1 ms: " + d);
      this.lockTimeout = d;
      return this;
    }

    /**
     * Stores the failures {@code predicate} accepts, as {@code IdempotencyGuardBuilder.storeFailuresWhen};
     * the work's writes are rolled back to a savepoint first. Default: none; a failure rolls the
     * transaction back and no record remains.
     */
    public Builder storeFailuresWhen(Predicate<? super Throwable> predicate) {
      this.storeFailuresWhen = Objects.requireNonNull(predicate, "predicate");
      return this;
    }

    /**
     * Receives the guard's events (callEnded, executed once committed, replayed, inProgress,
     * keyReused, storeUnavailable, failureStored); default none.
     */
    public Builder listener(IdempotencyListener listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /**
     * The time source of the calls' durations that {@code callEnded} reports (the only time the
     * guard reads: the record's expiry is the database's clock). Default {@link Ticker#system()}.
     */
    public Builder ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    public TransactionalIdempotencyGuard build() {
      return new TransactionalIdempotencyGuard(this);
    }

    private static Duration positive(Duration d, String name) {
      Objects.requireNonNull(d, name);
      if (d.isNegative() || d.isZero()) throw new IllegalArgumentException(name + " must be positive: " + d);
      return d;
    }
  }
}
