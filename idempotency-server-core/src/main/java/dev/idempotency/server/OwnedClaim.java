package dev.idempotency.server;

import dev.idempotency.server.store.RecordId;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.function.Predicate;

/**
 * A claim the guard won, as one object: its record, owner token and fencing token, and its lease.
 * It runs the work ({@link #run}), renewing itself meanwhile (through the guard's
 * {@link LeaseKeeper}), then completes or releases itself as the {@link StorePolicy} says; it
 * never throws a store failure at its caller.
 *
 * <p><b>Completing</b> ({@link #complete}) tries the store three times in line, 50 then 200 ms
 * apart. If all fail, the caller goes on with its answer and the claim is completed in the
 * background: tried again 100 ms later, the delay doubling up to 1 s, and renewed as it falls due
 * meanwhile, for as long as its lease lasts by the ticker, measured from the last claim or renewal
 * that succeeded. The claim is never released then: a release would let a retry run the work a
 * second time at once. Renewals while completing stop one lease TTL after the hand-off, so a store
 * that renews but never completes holds the key for about two lease TTLs at most. A background
 * completion ends exactly once, stored, lease lost or failed, each reported to the listener.
 *
 * <p><b>Renewal exists once</b>, in {@link #renewIfDue}: the keeper's tick calls it while the work
 * runs, a background attempt after a failed complete. A renewal answered false means the lease was
 * lost (another owner may hold the key): nothing is completed or released after that.
 *
 * <p>Renewals, the end of renewing and background attempts hold this object's lock, so no
 * renewal reaches the store after the work ended and no attempt after the completion ended.
 */
final class OwnedClaim implements Claim, Runnable {
  // Storing a result that cost a business effect deserves a few tries: 3 attempts, 50 then 200 ms
  // apart, ride out a failover or a dropped connection without holding the caller for long.
  private static final int IN_LINE_ATTEMPTS = 3;
  private static final Duration IN_LINE_DELAY = Duration.ofMillis(50);
  static final long FIRST_RETRY_NANOS = Duration.ofMillis(100).toNanos();
  static final long MAX_RETRY_NANOS = Duration.ofSeconds(1).toNanos();

  private final LeaseKeeper keeper;
  private final RecordId id;
  private final String token;
  private final long fencingToken;
  private volatile long grantedAt; // ticker nanos: when the last successful claim or renewal was sent
  private volatile boolean lost;
  private boolean renewing = true; // guarded by this; for a claim in the keeper's list
  // The keeper's stripe whose slot took this claim, or null if it went to the stripe's list (see
  // LeaseKeeper.Stripe); written before the claim is published to the tick.
  LeaseKeeper.Stripe slot;
  // Set by a tick while it renews this claim from a slot (see stopRenewing).
  private volatile boolean renewingNow;
  // The keeper's list of running claims (LeaseKeeper.Stripe): the stripe this claim is linked
  // into, null once unlinked, and its neighbours, guarded by the stripe.
  volatile LeaseKeeper.Stripe stripe;
  OwnedClaim prev;
  OwnedClaim next;

  // The background completion, null unless the store failed every in-line try; guarded by this.
  // An object of its own: every call makes an OwnedClaim, almost none a background completion.
  private Background background;

  /** What a background completion keeps between its attempts; guarded by the claim. */
  private static final class Background {
    final byte[] result; // the bytes to store
    final Throwable storedFailure; // the failure those bytes stand for, or null for a value
    final long renewUntil;
    long retryNanos = FIRST_RETRY_NANOS;
    RuntimeException lastFailure;
    ScheduledFuture<?> attempt;
    boolean ended;

    Background(byte[] result, Throwable storedFailure, long renewUntil, RuntimeException lastFailure) {
      this.result = result;
      this.storedFailure = storedFailure;
      this.renewUntil = renewUntil;
      this.lastFailure = lastFailure;
    }
  }

  /**
   * A claim whose lease began no earlier than {@code grantedAt} (ticker nanos): when its claim was
   * sent, or when the store says the lease began (see IdempotencyStore.leaseTicker).
   */
  OwnedClaim(LeaseKeeper keeper, RecordId id, String token, long fencingToken, long grantedAt) {
    this.keeper = keeper;
    this.id = id;
    this.token = token;
    this.fencingToken = fencingToken;
    this.grantedAt = grantedAt;
  }

  @Override
  public long fencingToken() {
    return fencingToken;
  }

  RecordId id() {
    return id;
  }

  /**
   * Runs {@code work} under this claim, renewed meanwhile, then stores its end or releases the
   * claim as {@code policy} says (a failure is stored only if {@code storeFailuresWhen}, the
   * guard's, or the policy's own says so), and reports the call's outcome, timed from {@code start}.
   *
   * @throws Exception what {@code work} threw, unchanged, once its end was stored or released
   */
  <T> T run(IdempotentWork<T> work, ResultCodec<T> codec, StorePolicy<T> policy,
      Predicate<? super Throwable> storeFailuresWhen, long start) throws Exception {
    try {
      keeper.startRenewing(this);
    } catch (RuntimeException e) { // rejected: the scheduler was shut down
      release();
      throw new IllegalStateException("the guard's renewal scheduler refused the call (closed?)", e);
    }
    Events events = keeper.events;
    T value;
    try {
      value = work.run(this);
    } catch (Throwable t) {
      stopRenewing();
      boolean store = policy.stores(t, storeFailuresWhen);
      if (store) complete(StoredOutcome.failure(t), t);
      else release();
      events.ended(id, store ? CallOutcome.FAILURE_STORED : CallOutcome.FAILED, start);
      throw IdempotencyGuard.<Exception>sneaky(t);
    }
    stopRenewing();
    byte[] stored;
    try {
      stored = policy.stores(value) ? StoredOutcome.value(codec, value) : null;
    } catch (RuntimeException e) { // a codec or a result predicate failed: nothing to store
      release();
      events.ended(id, CallOutcome.FAILED, start);
      throw e;
    }
    if (stored == null) release();
    else complete(stored, null);
    CallOutcome outcome = lost ? CallOutcome.LEASE_LOST
        : stored == null ? CallOutcome.EXECUTED_NOT_STORED : CallOutcome.EXECUTED;
    events.ended(id, outcome, start);
    return value;
  }

  /** Whether a renewal or the completion found the claim gone. */
  boolean lost() {
    return lost;
  }

  /**
   * Stops renewing; returns once no renewal is in flight, and none starts after.
   *
   * <p>A claim in its stripe's slot: a handshake with the tick, two volatile writes each followed
   * by a read of the other's (Dekker's). This takes the claim out of the slot, then reads
   * {@link #renewingNow}; a tick sets that, then reads the slot under this claim's monitor before
   * it renews. So either the tick finds the slot empty and renews nothing, or this call sees the
   * tick at work and waits for its monitor, which the tick holds while it renews: if the tick has
   * not taken it yet, it finds the slot empty once it does.
   */
  void stopRenewing() {
    if (slot != null) {
      keeper.stopRenewing(this); // empties the slot (a compare-and-set: a full fence)
      if (renewingNow) {
        synchronized (this) { // waits for the renewal in flight, if the tick holds the monitor
          renewing = false;
        }
      }
      return;
    }
    synchronized (this) {
      renewing = false;
    }
    keeper.stopRenewing(this);
  }

  /** The tick's renewal of a claim in {@code inSlot}: see {@link #stopRenewing}. */
  void renewInSlot(LeaseKeeper.Stripe inSlot, long now) {
    renewingNow = true;
    try {
      if (inSlot.get() == this) renewIfDue(now); // read again under the monitor there
    } finally {
      renewingNow = false;
    }
  }

  /** Whether the work still runs: in the slot, or not stopped in the list. Under the monitor. */
  private boolean running() {
    LeaseKeeper.Stripe inSlot = slot;
    return inSlot != null ? inSlot.get() == this : renewing;
  }

  /** Whether a renewal period has passed since the lease was last granted (the tick's filter). */
  boolean renewalDue(long now, long renewEveryNanos) {
    return !lost && now - grantedAt - renewEveryNanos >= 0;
  }

  /**
   * Renews the lease if a renewal period has passed since it was last granted: while the work
   * runs, or while a result is being completed in the background (then only until
   * {@code renewUntil}).
   */
  synchronized void renewIfDue(long now) {
    if (lost || now - grantedAt - keeper.renewEveryNanos < 0) return;
    Background b = background;
    boolean completing = b != null;
    if (completing ? b.ended || now - b.renewUntil >= 0 : !running()) return;
    boolean renewed;
    try {
      renewed = keeper.store.renew(id, token, keeper.leaseTtl);
    } catch (RuntimeException e) {
      // Transient, perhaps: the next try may succeed. The listener hears of the renewals of a
      // running call; those of a background completion are part of completing it.
      if (!completing) keeper.events.renewFailed(id, e);
      return;
    }
    if (renewed) {
      grantedAt = now;
      if (!completing) keeper.events.leaseRenewed(id);
    } else {
      lose();
    }
  }

  /**
   * Stores {@code stored} for the retention: in line, or in the background if the store fails
   * (see the class documentation). Reports {@code executed} (or {@code failureStored} when
   * {@code failure} is not null) once stored. Nothing if the lease was lost.
   */
  void complete(byte[] stored, Throwable failure) {
    if (lost) return;
    Duration delay = IN_LINE_DELAY;
    for (int attempt = 1; ; attempt++) {
      try {
        if (keeper.store.completeHandingOver(id, token, stored, keeper.retention)) {
          reportStored(failure);
        } else {
          lose();
        }
        return;
      } catch (RuntimeException e) {
        // Interrupted: stop holding the caller, as after the last try; the background goes on.
        if (attempt == IN_LINE_ATTEMPTS || !pause(delay)) {
          defer(stored, failure, e);
          return;
        }
        delay = delay.multipliedBy(4);
      }
    }
  }

  /** Frees the key for a retry, with the same in-line tries; a failure is reported, not thrown. */
  void release() {
    if (lost) return;
    Duration delay = IN_LINE_DELAY;
    for (int attempt = 1; ; attempt++) {
      try {
        keeper.store.release(id, token); // false: the lease was lost already; nothing to free
        return;
      } catch (RuntimeException e) {
        if (attempt == IN_LINE_ATTEMPTS || !pause(delay)) {
          keeper.events.releaseFailed(id, e);
          return;
        }
        delay = delay.multipliedBy(4);
      }
    }
  }

  private synchronized void defer(byte[] stored, Throwable failure, RuntimeException cause) {
    keeper.events.completeDeferred(id, cause);
    background = new Background(stored, failure, keeper.ticker.read() + keeper.leaseNanos, cause);
    scheduleNext();
  }

  /** A background attempt: complete, or renew if due, or give up when the lease is over. */
  @Override
  public synchronized void run() {
    Background b = background;
    if (b.ended) return;
    long now = keeper.ticker.read();
    if (leaseOver(now)) {
      end(b.lastFailure); // the store has freed the key, or is about to
      return;
    }
    try {
      if (keeper.store.completeHandingOver(id, token, b.result, keeper.retention)) {
        end(null);
        keeper.events.completeRecovered(id);
        reportStored(b.storedFailure);
      } else {
        end(null);
        lose();
      }
      return;
    } catch (RuntimeException e) {
      b.lastFailure = e;
    }
    renewIfDue(now);
    if (lost) {
      end(null);
      return;
    }
    scheduleNext();
  }

  /** The next attempt: after the backoff, a renewal period, or the lease's end, whichever is first. */
  private void scheduleNext() {
    Background b = background;
    long now = keeper.ticker.read();
    if (leaseOver(now)) {
      end(b.lastFailure);
      return;
    }
    long untilLeaseEnd = grantedAt + keeper.leaseNanos - now;
    long delay = Math.min(Math.min(b.retryNanos, untilLeaseEnd), keeper.renewEveryNanos);
    b.retryNanos = Math.min(b.retryNanos * 2, MAX_RETRY_NANOS);
    try {
      keeper.scheduleAttempt(this, delay);
    } catch (RejectedExecutionException e) { // the scheduler was shut down
      end(closed(b.lastFailure));
    }
  }

  synchronized void scheduled(ScheduledFuture<?> next) {
    background.attempt = next;
  }

  /**
   * Ends a background completion for a closing guard: waits for an attempt in flight; then, if
   * {@code tryOnce} and the lease lasts, makes one last attempt on the calling thread; otherwise,
   * or if that attempt fails, reports it failed.
   */
  synchronized void endForClose(boolean tryOnce) {
    Background b = background;
    if (b.ended) return;
    if (tryOnce && !leaseOver(keeper.ticker.read())) {
      try {
        boolean stored = keeper.store.completeHandingOver(id, token, b.result, keeper.retention);
        end(null);
        if (stored) {
          keeper.events.completeRecovered(id);
          reportStored(b.storedFailure);
        } else {
          lose();
        }
        return;
      } catch (RuntimeException e) {
        b.lastFailure = e;
      }
    }
    end(closed(b.lastFailure));
  }

  /** Ends the background completion; reports {@code completeFailed} if {@code failure} is given. */
  private void end(RuntimeException failure) {
    Background b = background;
    b.ended = true;
    if (b.attempt != null) b.attempt.cancel(false);
    keeper.ended(this);
    if (failure != null) keeper.events.completeFailed(id, failure);
  }

  private boolean leaseOver(long now) {
    return now - grantedAt - keeper.leaseNanos >= 0;
  }

  private void lose() {
    lost = true;
    keeper.stopRenewing(this);
    keeper.events.leaseLost(id);
  }

  private void reportStored(Throwable failure) {
    if (failure == null) keeper.events.executed(id);
    else keeper.events.failureStored(id, failure);
  }

  private IllegalStateException closed(RuntimeException cause) {
    return new IllegalStateException(
        "the guard closed before the result of " + id + " could be stored; the key frees when its lease ends",
        cause);
  }

  /** Sleeps; false if interrupted (the flag is set again). */
  private boolean pause(Duration d) {
    try {
      keeper.sleeper.sleep(d);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
