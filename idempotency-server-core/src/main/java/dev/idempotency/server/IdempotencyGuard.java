package dev.idempotency.server;

import dev.idempotency.contract.IdempotencyKey;
import dev.idempotency.contract.InvalidIdempotencyKeyException;
import dev.idempotency.contract.Sleeper;
import dev.idempotency.contract.Ticker;
import dev.idempotency.server.store.ClaimResult;
import dev.idempotency.server.store.IdempotencyCapacityExceededException;
import dev.idempotency.server.store.IdempotencyStore;
import dev.idempotency.server.store.IdempotencyStoreUnavailableException;
import dev.idempotency.server.store.RecordId;
import java.io.Closeable;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Runs business code at most once per key and answers every repeat with the first result:
 *
 * <pre>{@code
 * IdempotencyGuard guard = IdempotencyGuard.builder()
 *     .store(new InMemoryIdempotencyStore())
 *     .namespace("payments")
 *     .build();
 * Receipt r = guard.execute(key, Receipt.class, () -> payments.charge(order));
 * }</pre>
 *
 * <p>A call claims its record in the store (one round trip), then, as the claim answers:
 *
 * <ul>
 *   <li>acquired: the work runs on the caller's thread under an owned {@link Claim}, whose lease is
 *       renewed in the background; its end is stored, or the claim released, as the
 *       {@link StorePolicy} says (by default every result is stored and every failure releases);
 *   <li>completed with the same fingerprint: the stored result is decoded and returned (a replay),
 *       or the stored failure thrown ({@link IdempotencyStoredFailureException}); nothing runs;
 *   <li>in progress: {@link IdempotencyInProgressException}, or a bounded wait for the first call,
 *       as the {@link InProgressPolicy} says;
 *   <li>another fingerprint: {@link IdempotencyKeyReusedException};
 *   <li>the store fails: {@link IdempotencyStoreUnavailableException} and nothing runs (unless
 *       {@linkplain IdempotencyGuardBuilder#failOpen fail-open}).
 * </ul>
 *
 * <p>Once the work ran, its end is this caller's answer whatever the store does next: storing a
 * result that fails is retried in line and then in the background while the lease lasts, never
 * released, so a store outage shorter than the lease left never runs the work twice (if the store
 * keeps its records through the outage). The README, section "server", tells the whole story;
 * {@link IdempotencyListener} hears each step.
 *
 * <p>This class is immutable and threadsafe. It owns one daemon thread for lease renewals and
 * background completions (unless given a scheduler), started on first use and ended when idle or
 * on {@link #close()}.
 */
public final class IdempotencyGuard implements IdempotencyExecutor, Closeable {
  /** The namespace when none is set. Set one per service that shares a store. */
  public static final String DEFAULT_NAMESPACE = "default";

  /**
   * 30 s: renewed every 10 s, so two renewals in a row can fail (a GC pause, a slow store) before
   * the claim is lost, while a crashed worker's key is free again within half a minute.
   */
  public static final Duration DEFAULT_LEASE_TTL = Duration.ofSeconds(30);

  /** 24 h, as the contract says: covers a client's retries and a user's retry the next morning. */
  public static final Duration DEFAULT_RETENTION = Duration.ofHours(24);

  /** Renew at a third of the lease: two renewals may fail before the lease ends. */
  public static final double DEFAULT_RENEWAL_FRACTION = 1.0 / 3;

  // Retry-After for a call in progress is the lease remaining, at most this: most guarded calls
  // end within a second, the lease only bounds a crashed worker and is a poor hint for a live one.
  private static final Duration MAX_IN_PROGRESS_RETRY_AFTER = Duration.ofSeconds(1);

  // close() gives the results still waiting to be stored one last try each, for about this long.
  private static final Duration CLOSE_GRACE = Duration.ofSeconds(1);

  // Waiting for the first call: poll at 10 ms, doubling up to 500 ms: quick for fast calls, at
  // most two polls a second for slow ones.
  private static final long FIRST_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
  private static final long MAX_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

  private final IdempotencyStore store;
  private final String namespace;
  private final Duration renewEvery;
  private final InProgressPolicy inProgressPolicy;
  private final Predicate<? super Throwable> storeFailuresWhen; // null: release on every failure
  private final boolean failOpen;
  private final Events events;
  private final Ticker ticker;
  private final Sleeper sleeper;
  private final LeaseKeeper keeper;
  // Whether the store reports when each lease began by this guard's ticker (see
  // IdempotencyStore.leaseTicker): the guard then reads no time of its own for a call.
  private final boolean storeTimesLeases;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final JsonCodecCache jsonCodecs;

  IdempotencyGuard(IdempotencyGuardBuilder b) {
    this.store = b.store;
    this.namespace = b.namespace;
    long renewNanos = (long) (b.leaseTtl.toNanos() * b.renewalFraction);
    this.renewEvery = Duration.ofNanos(Math.max(TimeUnit.MILLISECONDS.toNanos(1), renewNanos));
    this.inProgressPolicy = b.inProgressPolicy;
    this.storeFailuresWhen = b.storeFailuresWhen;
    this.failOpen = b.failOpen;
    this.events = new Events(b.listener, b.ticker);
    this.ticker = b.ticker;
    this.sleeper = b.sleeper;
    this.storeTimesLeases = store.leaseTicker() == ticker;
    this.keeper =
        new LeaseKeeper(store, b.leaseTtl, renewEvery.toNanos(), b.retention, ticker, sleeper, events, b.scheduler);
    this.jsonCodecs = new JsonCodecCache(b.objectMapper);
  }

  /** A builder with the defaults; only the store must be set. */
  public static IdempotencyGuardBuilder builder() {
    return new IdempotencyGuardBuilder();
  }

  /** Runs {@code supplier} once for {@code key}; a repeat returns the stored result (JSON codec). */
  public <T> T execute(String key, Class<T> type, Supplier<? extends T> supplier) {
    RecordId id = anonymous(key); // the key first, as IdempotentCall.of(key) checks it
    return value(id, "", jsonCodecs.of(type), supplier);
  }

  /** Like {@link #execute(String, Class, Supplier)} with a scope and a fingerprint. */
  public <T> T execute(IdempotentCall call, Class<T> type, Supplier<? extends T> supplier) {
    return execute(call, jsonCodecs.of(type), supplier);
  }

  /** Runs {@code supplier} once for {@code key}; a repeat returns the result stored by {@code codec}. */
  public <T> T execute(String key, ResultCodec<T> codec, Supplier<? extends T> supplier) {
    return value(anonymous(key), "", codec, supplier);
  }

  /** The record of {@code IdempotentCall.of(key)}, without the call's and the key's objects. */
  private RecordId anonymous(String key) {
    return new RecordId(namespace, "", IdempotencyKey.of(Objects.requireNonNull(key, "key")).value());
  }

  /** Runs {@code action} once for {@code key}; a repeat returns without running it. */
  public void execute(String key, Runnable action) {
    Objects.requireNonNull(action, "action");
    execute(key, ResultCodec.none(), () -> {
      action.run();
      return null;
    });
  }

  /**
   * Runs {@code supplier} once for the call's record (namespace, scope, key); a repeat with the same
   * fingerprint returns the stored result.
   *
   * @throws InvalidIdempotencyKeyException if the key breaks the contract's syntax (nothing ran)
   * @throws IdempotencyInProgressException if the first call is still running (nothing ran)
   * @throws IdempotencyKeyReusedException if the key was used with another fingerprint (nothing ran)
   * @throws IdempotencyStoreUnavailableException if the store failed and the guard fails closed
   *     (nothing ran), or is full
   * @throws IdempotencyStoredFailureException if the first call failed and its failure was stored
   * @throws IllegalStateException if the guard is closed
   */
  public <T> T execute(IdempotentCall call, ResultCodec<T> codec, Supplier<? extends T> supplier) {
    Objects.requireNonNull(call, "call");
    return value(recordId(call), call.fingerprint(), codec, supplier);
  }

  /** The supplier's value or the stored one, with no {@link GuardedResult}; what it threw, unchecked. */
  private <T> T value(RecordId id, String fingerprint, ResultCodec<T> codec, Supplier<? extends T> supplier) {
    Objects.requireNonNull(supplier, "supplier");
    try {
      @SuppressWarnings("unchecked") // not detailed: the value itself
      T value = (T) guarded(id, fingerprint, codec, StorePolicy.storeEveryResult(), claim -> supplier.get(), false);
      return value;
    } catch (Exception e) { // only what the supplier threw, unchecked
      throw IdempotencyGuard.<RuntimeException>sneaky(e);
    }
  }

  /** Like {@link #execute(IdempotentCall, ResultCodec, Supplier)}, also telling whether it was a replay. */
  public <T> GuardedResult<T> executeDetailed(
      IdempotentCall call, ResultCodec<T> codec, Supplier<? extends T> supplier) {
    Objects.requireNonNull(supplier, "supplier");
    try {
      return run(call, codec, StorePolicy.storeEveryResult(), claim -> supplier.get());
    } catch (Exception e) { // only what the supplier threw, unchecked
      throw IdempotencyGuard.<RuntimeException>sneaky(e);
    }
  }

  /**
   * The general form: runs {@code work} once for the call's record, under the {@link Claim} it won,
   * and stores its end as {@code policy} says. A repeat with the same fingerprint returns the stored
   * result, or throws the stored failure.
   *
   * @throws Exception what {@code work} threw, unchanged, after its claim was released or its
   *     failure stored; or one of the exceptions of {@link #execute(IdempotentCall, ResultCodec,
   *     Supplier)}, before anything ran
   */
  @Override
  public <T> GuardedResult<T> run(
      IdempotentCall call, ResultCodec<T> codec, StorePolicy<T> policy, IdempotentWork<T> work)
      throws Exception {
    Objects.requireNonNull(call, "call");
    @SuppressWarnings("unchecked") // detailed: a GuardedResult
    GuardedResult<T> result = (GuardedResult<T>) guarded(recordId(call), call.fingerprint(), codec, policy, work, true);
    return result;
  }

  private RecordId recordId(IdempotentCall call) {
    return new RecordId(namespace, call.scope(), call.key().value());
  }

  /**
   * {@link #run}'s work, for the call's record id and fingerprint: returns a {@link GuardedResult}
   * if {@code detailed}, else the value alone (the common {@code execute} saves the object).
   */
  private <T> Object guarded(RecordId id, String fingerprint, ResultCodec<T> codec, StorePolicy<T> policy,
      IdempotentWork<T> work, boolean detailed) throws Exception {
    Objects.requireNonNull(codec, "codec");
    Objects.requireNonNull(policy, "policy");
    Objects.requireNonNull(work, "work");
    if (closed.get()) throw new IllegalStateException("the guard is closed");
    String token = newOwnerToken();
    // Read only if needed: by the listener (the call's duration), the wait for a first call, or a
    // lease the store does not time by this guard's ticker (it starts no earlier than sentAt).
    boolean waits = inProgressPolicy.waits();
    long start = events.listening() || waits || !storeTimesLeases ? ticker.read() : 0;
    long waitUntil = waits ? start + inProgressPolicy.maxWait().toNanos() : 0;
    long poll = FIRST_POLL_NANOS;
    for (long sentAt = start; ; sentAt = ticker.read()) {
      ClaimResult claim;
      try {
        claim = store.claim(id, fingerprint, token, keeper.leaseTtl);
      } catch (RuntimeException e) {
        IdempotencyStoreUnavailableException unavailable = unavailable(e);
        events.storeUnavailable(id, unavailable, failOpen);
        if (!failOpen) {
          boolean full = unavailable instanceof IdempotencyCapacityExceededException;
          events.ended(id, full ? CallOutcome.CAPACITY_EXCEEDED : CallOutcome.STORE_UNAVAILABLE, start);
          throw unavailable;
        }
        try {
          T value = work.run(Claim.UNGUARDED);
          return detailed ? new GuardedResult<>(value, false) : value;
        } finally {
          events.ended(id, CallOutcome.RAN_UNGUARDED, start);
        }
      }
      if (claim instanceof ClaimResult.Acquired acquired) {
        long grantedAt = storeTimesLeases ? acquired.grantedAt() : sentAt;
        OwnedClaim owned = new OwnedClaim(keeper, id, token, acquired.fencingToken(), grantedAt);
        T value = owned.run(work, codec, policy, storeFailuresWhen, start);
        return detailed ? new GuardedResult<>(value, false) : value;
      }
      if (claim instanceof ClaimResult.Completed completed) {
        try {
          T value = replay(id, completed, codec);
          return detailed ? new GuardedResult<>(value, true) : value;
        } finally {
          events.ended(id, CallOutcome.REPLAYED, start);
        }
      }
      if (claim instanceof ClaimResult.FingerprintMismatch) {
        events.keyReused(id);
        events.ended(id, CallOutcome.KEY_REUSED, start);
        throw new IdempotencyKeyReusedException(
            "this key was already used for a different request; use a new key for a new action");
      }
      Duration leaseRemaining = ((ClaimResult.InProgress) claim).leaseRemaining();
      long waitLeft = inProgressPolicy.waits() ? waitUntil - ticker.read() : 0;
      if (waitLeft <= 0 || !pause(Math.min(poll, waitLeft))) {
        events.inProgress(id);
        events.ended(id, CallOutcome.IN_PROGRESS, start);
        throw inProgress(leaseRemaining);
      }
      poll = Math.min(poll * 2, MAX_POLL_NANOS);
    }
  }

  private <T> T replay(RecordId id, ClaimResult.Completed completed, ResultCodec<T> codec) {
    T value;
    try {
      value = completed.read(stored -> StoredOutcome.decode(stored, codec)); // in place, no copy
    } catch (IdempotencyStoredFailureException storedFailure) {
      events.replayed(id);
      throw storedFailure;
    }
    events.replayed(id);
    return value;
  }

  /**
   * A fresh owner token, 64 random bits in hex: unique among one record's claims (odds of 2^-64),
   * not secret (it never leaves the server), so ThreadLocalRandom serves, without the global lock
   * of UUID.randomUUID()'s SecureRandom that every call would pay.
   */
  private static String newOwnerToken() {
    return Long.toHexString(ThreadLocalRandom.current().nextLong());
  }

  /** Sleeps; false if interrupted (the flag is set again). */
  private boolean pause(long nanos) {
    try {
      sleeper.sleep(Duration.ofNanos(nanos));
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static IdempotencyInProgressException inProgress(Duration leaseRemaining) {
    Duration retryAfter = leaseRemaining.isNegative() ? Duration.ZERO
        : leaseRemaining.compareTo(MAX_IN_PROGRESS_RETRY_AFTER) < 0 ? leaseRemaining : MAX_IN_PROGRESS_RETRY_AFTER;
    return new IdempotencyInProgressException(
        "a call with this key is still running; retry with the same key later", retryAfter);
  }

  private static IdempotencyStoreUnavailableException unavailable(RuntimeException e) {
    if (e instanceof IdempotencyStoreUnavailableException u) return u;
    return new IdempotencyStoreUnavailableException("the idempotency store failed: " + e, e);
  }

  /** Throws {@code t} unchanged, checked or not, where the compiler sees an {@code E}. */
  @SuppressWarnings("unchecked")
  static <E extends Throwable> E sneaky(Throwable t) throws E {
    throw (E) t;
  }

  /** The namespace of this guard's records. */
  @Override
  public String namespace() {
    return namespace;
  }

  /** The lease TTL of a claim. */
  public Duration leaseTtl() {
    return keeper.leaseTtl;
  }

  /** How long a completed result is kept. */
  public Duration retention() {
    return keeper.retention;
  }

  /** How often a running call's lease is renewed. */
  public Duration renewEvery() {
    return renewEvery;
  }

  /** How often the renewal task ticks while claims run; for tests. */
  long renewalTickNanos() {
    return keeper.periodNanos();
  }

  /**
   * Stops the guard's own renewal thread (not a scheduler given to the builder). Calls that are
   * running lose their renewals; new calls throw {@link IllegalStateException}. Idempotent.
   *
   * <p>Results still waiting to be stored are not dropped silently: each gets one last try on the
   * closing thread, for about a second in all (plus the time a store call already in flight takes
   * to answer or time out); each that is not stored then is reported to
   * {@link IdempotencyListener#completeFailed} (or {@link IdempotencyListener#leaseLost}), and its
   * key frees when its lease ends. Nothing is retried after {@code close()}.
   */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) keeper.close(CLOSE_GRACE);
  }
}
