package dev.idempotency.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.idempotency.contract.IdempotencyKey;
import dev.idempotency.contract.InvalidIdempotencyKeyException;
import dev.idempotency.server.store.ClaimResult;
import dev.idempotency.server.store.IdempotencyStore;
import dev.idempotency.server.store.RecordId;
import java.io.Closeable;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
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
 * <p>A call validates the key, then claims its record in the store (one round trip):
 *
 * <ul>
 *   <li>acquired: the supplier runs on the caller's thread while the lease is renewed in the
 *       background; its result is encoded by the codec and stored for the retention; returned;
 *   <li>completed with the same fingerprint: the stored result is decoded and returned (a replay);
 *       the supplier does not run;
 *   <li>in progress: {@link IdempotencyInProgressException}, or a bounded wait for the first call,
 *       as the {@link InProgressPolicy} says;
 *   <li>another fingerprint: {@link IdempotencyKeyReusedException};
 *   <li>the store fails: {@link IdempotencyStoreUnavailableException} and nothing runs (unless
 *       {@linkplain Builder#failOpen fail-open}).
 * </ul>
 *
 * <p><b>When the supplier throws</b>, the claim is released and the exception propagates
 * unchanged, so a retry with the same key runs the business code again; unless the
 * {@linkplain Builder#storeFailuresWhen failure policy} stores it, and repeats throw
 * {@link IdempotencyStoredFailureException}.
 *
 * <p><b>When storing the result fails</b> after the supplier ran (the store is down), the guard
 * tries twice more in line (50 ms, then 200 ms later) and then returns the value anyway: the
 * business effect happened and this caller gets its answer without waiting for the store. It does
 * NOT release the claim, since a release would let a retry run the business code a second time at
 * once. It reports {@link IdempotencyListener#completeDeferred} and keeps trying on its renewal
 * scheduler (the one thread shared by all calls, or the scheduler given to the builder), 100 ms
 * later, the delay doubling up to 1 s, renewing the lease as it falls due meanwhile; repeats are
 * told the call is in progress. The first try that gets through stores the result for the
 * retention ({@link IdempotencyListener#completeRecovered}, then {@code executed}) and repeats
 * replay it: a store outage shorter than what is left of the lease never runs the business code
 * twice (if the store keeps its records through the outage; a Redis restarted without persistence
 * has lost the claim, and completing then answers "not yours"). The guard gives up when the lease
 * has run out by its clock, measured from the last successful claim or renewal, and reports
 * {@link IdempotencyListener#completeFailed}: the store has freed the key by then, and a retry runs
 * the business code again. Renewals made while retrying extend the lease, but only within one lease
 * TTL after the hand-off, so a store that renews but never completes holds the key for about two
 * lease TTLs at most. If the lease was lost
 * (a renewal or a completion answers false), the result is not stored, nothing is tried again, and
 * {@link IdempotencyListener#leaseLost} is reported. A failure that the
 * {@linkplain Builder#storeFailuresWhen failure policy} stores takes the same path. {@link #close()}
 * gives the results still waiting one last try and reports those it cannot store; a JVM that exits
 * without closing the guard drops them silently, and their keys free when their leases end.
 *
 * <p>No exception message, log line or listener event of the guard contains a key, a scope or an
 * owner token verbatim (a {@link RecordId} prints digests of them): they may carry credentials.
 *
 * <p>This class is immutable and threadsafe. It owns one daemon thread for lease renewals and
 * deferred completions (unless given a scheduler), started on first use and ended when idle or on
 * {@link #close()}.
 */
public final class IdempotencyGuard implements Closeable {
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

  // Storing a result that cost a business effect deserves a few tries: 3 attempts, 50 then 200 ms
  // apart, ride out a failover or a dropped connection without holding the caller for long. A
  // result still not stored is then retried in the background while its lease lasts.
  private static final int STORE_ATTEMPTS = 3;
  private static final Duration STORE_RETRY_DELAY = Duration.ofMillis(50);

  // close() gives the results still waiting to be stored one last try each, for about this long.
  private static final Duration CLOSE_GRACE = Duration.ofSeconds(1);

  // Waiting for the first call: poll at 10 ms, doubling up to 500 ms: quick for fast calls, at
  // most two polls a second for slow ones.
  private static final Duration FIRST_POLL = Duration.ofMillis(10);
  private static final Duration MAX_POLL = Duration.ofMillis(500);

  // An idle renewal thread ends after this; the next call starts another.
  private static final long RENEWAL_THREAD_KEEP_ALIVE_SECONDS = 60;

  private static final System.Logger LOG = System.getLogger(IdempotencyGuard.class.getName());
  private static final AtomicInteger THREAD_IDS = new AtomicInteger();

  private static final ResultCodec<Void> VOID_CODEC =
      new ResultCodec<>() {
        @Override
        public byte[] encode(Void value) {
          return new byte[0];
        }

        @Override
        public Void decode(byte[] bytes) {
          return null;
        }
      };

  private final IdempotencyStore store;
  private final String namespace;
  private final Duration leaseTtl;
  private final Duration retention;
  private final Duration renewEvery;
  private final InProgressPolicy inProgressPolicy;
  private final Predicate<? super Throwable> storeFailuresWhen; // null: release on every failure
  private final boolean failOpen;
  private final IdempotencyListener listener;
  private final ObjectMapper objectMapper;
  private final Clock clock;
  private final Sleeper sleeper;
  private final ScheduledExecutorService scheduler;
  private final boolean ownsScheduler;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Set<DeferredCompletion> deferred = ConcurrentHashMap.newKeySet();
  private final LeaseRenewal.Renewer renewer;
  // One JSON codec per result class, built once: a codec holds an ObjectReader and an
  // ObjectWriter, and building them on every call cost about a tenth of a memory-store call.
  private final ClassValue<ResultCodec<?>> jsonCodecs =
      new ClassValue<>() {
        @Override
        protected ResultCodec<?> computeValue(Class<?> type) {
          return JsonResultCodec.of(type, objectMapper);
        }
      };

  private IdempotencyGuard(Builder b) {
    this.store = b.store;
    this.namespace = b.namespace;
    this.leaseTtl = b.leaseTtl;
    this.retention = b.retention;
    long renewNanos = (long) (b.leaseTtl.toNanos() * b.renewalFraction);
    this.renewEvery = Duration.ofNanos(Math.max(TimeUnit.MILLISECONDS.toNanos(1), renewNanos));
    this.inProgressPolicy = b.inProgressPolicy;
    this.storeFailuresWhen = b.storeFailuresWhen;
    this.failOpen = b.failOpen;
    this.listener = b.listener;
    this.objectMapper = b.objectMapper;
    this.clock = b.clock;
    this.sleeper = b.sleeper;
    if (b.scheduler != null) {
      this.scheduler = b.scheduler;
      this.ownsScheduler = false;
    } else {
      this.scheduler = newRenewalScheduler();
      this.ownsScheduler = true;
    }
    LeaseRenewal.Events renewalEvents =
        new LeaseRenewal.Events() {
          @Override
          public void leaseRenewed(RecordId id) {
            report(l -> l.leaseRenewed(id));
          }

          @Override
          public void leaseLost(RecordId id) {
            report(l -> l.leaseLost(id));
          }

          @Override
          public void renewFailed(RecordId id, RuntimeException cause) {
            report(l -> l.renewFailed(id, cause));
          }
        };
    this.renewer = new LeaseRenewal.Renewer(scheduler, renewEvery, store, leaseTtl, renewalEvents, clock);
  }

  /**
   * A fresh owner token: 128 random bits. It must be unique among the claims of a record, not
   * secret (it never leaves the server), so ThreadLocalRandom serves; UUID.randomUUID() draws from
   * SecureRandom behind one global lock, which every call, replays included, would pay.
   */
  private static String newOwnerToken() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    return new UUID(random.nextLong(), random.nextLong()).toString();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Runs {@code supplier} once for {@code key}; a repeat returns the stored result (JSON codec). */
  public <T> T execute(String key, Class<T> type, Supplier<? extends T> supplier) {
    return execute(IdempotentCall.of(Objects.requireNonNull(key, "key")), type, supplier);
  }

  /** Like {@link #execute(String, Class, Supplier)} with a scope and a fingerprint. */
  public <T> T execute(IdempotentCall call, Class<T> type, Supplier<? extends T> supplier) {
    Objects.requireNonNull(type, "type");
    @SuppressWarnings("unchecked") // jsonCodecs maps each class to a codec of that class
    ResultCodec<T> codec = (ResultCodec<T>) jsonCodecs.get(type);
    return execute(call, codec, supplier);
  }

  /** Runs {@code supplier} once for {@code key}; a repeat returns the result stored by {@code codec}. */
  public <T> T execute(String key, ResultCodec<T> codec, Supplier<? extends T> supplier) {
    return execute(IdempotentCall.of(Objects.requireNonNull(key, "key")), codec, supplier);
  }

  /** Runs {@code action} once for {@code key}; a repeat returns without running it. */
  public void execute(String key, Runnable action) {
    Objects.requireNonNull(action, "action");
    execute(
        key,
        VOID_CODEC,
        () -> {
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
   *     (nothing ran); {@link IdempotencyCapacityExceededException} if the store is full
   * @throws IdempotencyStoredFailureException if the first call failed and its failure was stored
   * @throws IllegalStateException if the guard is closed
   */
  public <T> T execute(IdempotentCall call, ResultCodec<T> codec, Supplier<? extends T> supplier) {
    return executeDetailed(call, codec, supplier).value();
  }

  /** Like {@link #execute(IdempotentCall, ResultCodec, Supplier)}, also telling whether it was a replay. */
  public <T> GuardedResult<T> executeDetailed(
      IdempotentCall call, ResultCodec<T> codec, Supplier<? extends T> supplier) {
    Objects.requireNonNull(call, "call");
    Objects.requireNonNull(codec, "codec");
    Objects.requireNonNull(supplier, "supplier");
    if (closed.get()) throw new IllegalStateException("the guard is closed");
    String key = IdempotencyKey.of(call.key()).value();
    RecordId id = new RecordId(namespace, call.scope(), key);
    String token = newOwnerToken();

    long waitUntil = inProgressPolicy.waits() ? deadlineAfter(inProgressPolicy.maxWait()) : 0;
    Duration poll = FIRST_POLL;
    while (true) {
      ClaimResult claim;
      long claimSentAt = clock.millis(); // the lease starts no earlier than this
      try {
        claim = store.claim(id, call.fingerprint(), token, leaseTtl);
      } catch (RuntimeException e) {
        IdempotencyStoreUnavailableException unavailable = unavailable(e);
        if (!failOpen) {
          report(l -> l.storeUnavailable(id, unavailable, false));
          throw unavailable;
        }
        report(l -> l.storeUnavailable(id, unavailable, true));
        return new GuardedResult<>(supplier.get(), false);
      }

      if (claim instanceof ClaimResult.Acquired) {
        return runClaimed(id, token, claimSentAt, codec, supplier);
      }
      if (claim instanceof ClaimResult.Completed completed) {
        byte[] stored = completed.result();
        int offset;
        try {
          offset = StoredOutcome.valueOffset(stored);
        } catch (IdempotencyStoredFailureException storedFailure) {
          report(l -> l.replayed(id));
          throw storedFailure;
        }
        T value = codec.decode(stored, offset, stored.length - offset);
        report(l -> l.replayed(id));
        return new GuardedResult<>(value, true);
      }
      if (claim instanceof ClaimResult.FingerprintMismatch) {
        report(l -> l.keyReused(id));
        throw new IdempotencyKeyReusedException(
            "this key was already used for a different request; use a new key for a new action");
      }
      Duration leaseRemaining = ((ClaimResult.InProgress) claim).leaseRemaining();
      long now = clock.millis();
      if (!inProgressPolicy.waits() || now >= waitUntil) {
        report(l -> l.inProgress(id));
        throw inProgress(leaseRemaining);
      }
      Duration sleep = min(poll, Duration.ofMillis(waitUntil - now));
      try {
        sleeper.sleep(sleep);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        report(l -> l.inProgress(id));
        throw inProgress(leaseRemaining);
      }
      poll = min(poll.multipliedBy(2), MAX_POLL);
    }
  }

  private <T> GuardedResult<T> runClaimed(
      RecordId id, String token, long claimSentAt, ResultCodec<T> codec, Supplier<? extends T> supplier) {
    LeaseRenewal renewal;
    try {
      renewal = LeaseRenewal.start(renewer, id, token, claimSentAt);
    } catch (RuntimeException e) { // rejected: the scheduler was shut down
      releaseQuietly(id, token);
      throw new IllegalStateException("the guard's renewal scheduler refused the call (closed?)", e);
    }
    T value;
    try {
      value = supplier.get();
    } catch (Throwable t) {
      renewal.stop();
      if (!renewal.lost()) settleFailure(id, token, renewal.grantedAt(), t);
      throw IdempotencyGuard.<RuntimeException>sneaky(t);
    }
    renewal.stop();
    byte[] stored;
    try {
      stored = StoredOutcome.value(codec, value);
    } catch (RuntimeException e) {
      if (!renewal.lost()) releaseQuietly(id, token);
      throw e;
    }
    if (!renewal.lost()) {
      completeOrDefer(id, token, renewal.grantedAt(), stored, () -> report(l -> l.executed(id)));
    }
    return new GuardedResult<>(value, false);
  }

  private void settleFailure(RecordId id, String token, long grantedAt, Throwable failure) {
    boolean store;
    try {
      store = storeFailuresWhen != null && storeFailuresWhen.test(failure);
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "storeFailuresWhen threw; releasing the claim", e);
      store = false;
    }
    if (store) {
      completeOrDefer(
          id, token, grantedAt, StoredOutcome.failure(failure), () -> report(l -> l.failureStored(id, failure)));
    } else {
      releaseQuietly(id, token);
    }
  }

  /**
   * Completes with a few tries, then hands the completion to the scheduler; never throws, never
   * releases, never blocks the caller beyond the in-line tries (see the class Javadoc).
   *
   * @param grantedAt when the lease was last granted (the claim or renewal's send time, by the clock)
   */
  private void completeOrDefer(RecordId id, String token, long grantedAt, byte[] stored, Runnable onStored) {
    Duration delay = STORE_RETRY_DELAY;
    for (int attempt = 1; ; attempt++) {
      boolean completed;
      try {
        completed = store.complete(id, token, stored, retention);
      } catch (RuntimeException e) {
        // Interrupted: stop holding the caller, as after the last try; the scheduler carries on.
        if (attempt == STORE_ATTEMPTS || !pause(delay)) {
          defer(id, token, grantedAt, stored, e, onStored);
          return;
        }
        delay = delay.multipliedBy(4);
        continue;
      }
      if (completed) onStored.run();
      else report(l -> l.leaseLost(id));
      return;
    }
  }

  private void defer(
      RecordId id, String token, long grantedAt, byte[] stored, RuntimeException failure, Runnable onStored) {
    report(l -> l.completeDeferred(id, failure));
    DeferredCompletion completion =
        new DeferredCompletion(
            store, id, token, stored, retention, leaseTtl, renewEvery, clock, scheduler, grantedAt, failure,
            new DeferredCompletion.Outcome() {
              @Override
              public void stored(DeferredCompletion c) {
                deferred.remove(c);
                report(l -> l.completeRecovered(id));
                onStored.run();
              }

              @Override
              public void leaseLost(DeferredCompletion c) {
                deferred.remove(c);
                report(l -> l.leaseLost(id));
              }

              @Override
              public void failed(DeferredCompletion c, RuntimeException cause) {
                deferred.remove(c);
                report(l -> l.completeFailed(id, cause));
              }
            });
    deferred.add(completion);
    // Added before reading closed, as close() sets closed before reading the set: either close()
    // ends this completion, or this call sees the guard closed and ends it (both is harmless).
    if (closed.get()) {
      completion.endForClose(false);
    } else {
      completion.begin();
    }
  }

  private void releaseQuietly(RecordId id, String token) {
    Duration delay = STORE_RETRY_DELAY;
    for (int attempt = 1; ; attempt++) {
      try {
        store.release(id, token); // false: the lease was lost already; nothing to free
        return;
      } catch (RuntimeException e) {
        if (attempt == STORE_ATTEMPTS || !pause(delay)) {
          report(l -> l.releaseFailed(id, e));
          return;
        }
        delay = delay.multipliedBy(4);
      }
    }
  }

  /** Sleeps; false if interrupted (the flag is set again). */
  private boolean pause(Duration d) {
    try {
      sleeper.sleep(d);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private long deadlineAfter(Duration d) {
    long now = clock.millis();
    long r = now + d.toMillis();
    return r < now ? Long.MAX_VALUE : r;
  }

  private static IdempotencyInProgressException inProgress(Duration leaseRemaining) {
    Duration retryAfter = leaseRemaining.isNegative() ? Duration.ZERO : min(leaseRemaining, MAX_IN_PROGRESS_RETRY_AFTER);
    return new IdempotencyInProgressException(
        "a call with this key is still running; retry with the same key later", retryAfter);
  }

  private static IdempotencyStoreUnavailableException unavailable(RuntimeException e) {
    if (e instanceof IdempotencyStoreUnavailableException u) return u;
    return new IdempotencyStoreUnavailableException("the idempotency store failed: " + e, e);
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  private void report(Consumer<IdempotencyListener> event) {
    try {
      event.accept(listener);
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "an IdempotencyListener threw; ignored", e);
    }
  }

  @SuppressWarnings("unchecked")
  private static <E extends Throwable> E sneaky(Throwable t) throws E {
    throw (E) t;
  }

  private static ScheduledExecutorService newRenewalScheduler() {
    ScheduledThreadPoolExecutor executor =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "idempotency-lease-renewal-" + THREAD_IDS.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    executor.setRemoveOnCancelPolicy(true); // the renewal task, cancelled when idle, leaves nothing behind
    executor.setKeepAliveTime(RENEWAL_THREAD_KEEP_ALIVE_SECONDS, TimeUnit.SECONDS);
    executor.allowCoreThreadTimeOut(true); // no thread while no call runs
    return executor;
  }

  /** The namespace of this guard's records. */
  public String namespace() {
    return namespace;
  }

  /** The lease TTL of a claim. */
  public Duration leaseTtl() {
    return leaseTtl;
  }

  /** How long a completed result is kept. */
  public Duration retention() {
    return retention;
  }

  /** How often a running call's lease is renewed. */
  public Duration renewEvery() {
    return renewEvery;
  }

  /**
   * Stops the guard's own renewal thread (not a scheduler given to the builder). Calls that are
   * running lose their renewals; new calls throw {@link IllegalStateException}. Idempotent.
   *
   * <p>Results still waiting to be stored (see the class Javadoc) are not dropped silently: each
   * gets one last try on the closing thread, for about a second in all (plus the time a store call
   * already in flight takes to answer or time out); each that is not stored then is reported to
   * {@link IdempotencyListener#completeFailed} (or {@link IdempotencyListener#leaseLost}), and its
   * key frees when its lease ends. A call still running when the guard closes, and whose result
   * its in-line tries cannot store, is reported the same way. Nothing is retried after {@code close()}.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) return;
    long graceEnd = System.nanoTime() + CLOSE_GRACE.toNanos();
    for (DeferredCompletion completion : deferred) {
      completion.endForClose(System.nanoTime() - graceEnd < 0);
    }
    if (ownsScheduler) scheduler.shutdownNow();
    else renewer.stopIfIdle(); // leave the given scheduler none of the guard's tasks
  }

  /** Pauses the calling thread; injectable so tests wait on a fake clock. */
  @FunctionalInterface
  public interface Sleeper {
    /** {@link Thread#sleep}. */
    Sleeper SYSTEM = d -> TimeUnit.NANOSECONDS.sleep(d.toNanos());

    void sleep(Duration duration) throws InterruptedException;
  }

  /**
   * Builds an {@link IdempotencyGuard}. Every setting but the store has a default. Not threadsafe;
   * the guard it builds is.
   */
  public static final class Builder {
    private IdempotencyStore store;
    private String namespace = DEFAULT_NAMESPACE;
    private Duration leaseTtl = DEFAULT_LEASE_TTL;
    private Duration retention = DEFAULT_RETENTION;
    private double renewalFraction = DEFAULT_RENEWAL_FRACTION;
    private InProgressPolicy inProgressPolicy = InProgressPolicy.failFast();
    private Predicate<? super Throwable> storeFailuresWhen;
    private boolean failOpen;
    private IdempotencyListener listener = IdempotencyListener.NONE;
    private ObjectMapper objectMapper = JsonResultCodec.defaultObjectMapper();
    private Clock clock = Clock.systemUTC();
    private Sleeper sleeper = Sleeper.SYSTEM;
    private ScheduledExecutorService scheduler;

    private Builder() {}

    /** Where records live. Required. */
    public Builder store(IdempotencyStore store) {
      this.store = Objects.requireNonNull(store, "store");
      return this;
    }

    /**
     * Separates this service's records from other services sharing the store. Default
     * {@value IdempotencyGuard#DEFAULT_NAMESPACE}.
     */
    public Builder namespace(String namespace) {
      Objects.requireNonNull(namespace, "namespace");
      if (namespace.isEmpty()) throw new IllegalArgumentException("namespace is empty");
      this.namespace = namespace;
      return this;
    }

    /**
     * How long a claim lives without renewal; it must outlast a stall of the worker (a GC pause)
     * but frees the key of a crashed one. Default {@link IdempotencyGuard#DEFAULT_LEASE_TTL} (30 s).
     */
    public Builder leaseTtl(Duration leaseTtl) {
      this.leaseTtl = positive(leaseTtl, "leaseTtl");
      return this;
    }

    /** How long a result is replayed. Default {@link IdempotencyGuard#DEFAULT_RETENTION} (24 h). */
    public Builder retention(Duration retention) {
      this.retention = positive(retention, "retention");
      return this;
    }

    /**
     * Renew a running call's lease every {@code fraction} of the lease TTL, between 0 and 1
     * (exclusive). Default {@link IdempotencyGuard#DEFAULT_RENEWAL_FRACTION} (1/3).
     */
    public Builder renewalFraction(double fraction) {
      if (!(fraction > 0 && fraction < 1)) {
        throw new IllegalArgumentException("renewal fraction must be in (0, 1): " + fraction);
      }
      this.renewalFraction = fraction;
      return this;
    }

    /** What a repeat does while the first call runs. Default {@link InProgressPolicy#failFast()}. */
    public Builder inProgressPolicy(InProgressPolicy policy) {
      this.inProgressPolicy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /**
     * Stores the failures {@code predicate} accepts (deterministic ones: a declined card, a
     * validation error) so that repeats throw {@link IdempotencyStoredFailureException} instead of
     * running again; the first call still gets its own exception. Default: none; every failure
     * releases the claim, so a retry runs the business code again.
     */
    public Builder storeFailuresWhen(Predicate<? super Throwable> predicate) {
      this.storeFailuresWhen = Objects.requireNonNull(predicate, "predicate");
      return this;
    }

    /**
     * If true, a claim that the store cannot answer runs the supplier unguarded (reported to the
     * listener); a repeat may then run twice. Default false: fail closed with
     * {@link IdempotencyStoreUnavailableException}, nothing runs.
     */
    public Builder failOpen(boolean failOpen) {
      this.failOpen = failOpen;
      return this;
    }

    /** Receives the guard's events. Default {@link IdempotencyListener#NONE}. */
    public Builder listener(IdempotencyListener listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /**
     * The mapper of the {@code execute(key, Class, supplier)} forms. Default: a plain
     * {@link ObjectMapper} with the Jackson modules found on the class path. Configure it before
     * passing it in.
     */
    public Builder objectMapper(ObjectMapper objectMapper) {
      this.objectMapper = Objects.requireNonNull(objectMapper, "objectMapper");
      return this;
    }

    /** The clock that bounds waits. Default {@link Clock#systemUTC()}. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** How the guard pauses (waiting, retrying the store). Default {@link Sleeper#SYSTEM}. */
    public Builder sleeper(Sleeper sleeper) {
      this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
      return this;
    }

    /**
     * Runs lease renewals, and the retries of results not yet stored, on {@code scheduler}, which
     * the guard never shuts down ({@link #close()} cancels the guard's own tasks on it). Default:
     * one daemon thread of the guard's own, shared by all its calls, ended by {@link #close()}.
     */
    public Builder renewalScheduler(ScheduledExecutorService scheduler) {
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
      return this;
    }

    /** @throws IllegalStateException if no store was set */
    public IdempotencyGuard build() {
      if (store == null) throw new IllegalStateException("store is required");
      return new IdempotencyGuard(this);
    }

    private static Duration positive(Duration d, String name) {
      Objects.requireNonNull(d, name);
      if (d.isNegative() || d.isZero()) throw new IllegalArgumentException(name + " must be positive: " + d);
      return d;
    }
  }
}
