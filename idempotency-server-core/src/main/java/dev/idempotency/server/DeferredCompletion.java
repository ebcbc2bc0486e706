package dev.idempotency.server;

import dev.idempotency.server.store.IdempotencyStore;
import dev.idempotency.server.store.RecordId;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Stores one result whose in-line tries failed, on the guard's shared scheduler (no thread of its
 * own): {@code complete} is tried again after 100 ms, the delay doubling up to 1 s, for as long as
 * the claim's lease lasts by the guard's clock, measured from the last successful claim or renewal.
 * After that the store has freed the key anyway, and a complete could only answer "not yours".
 *
 * <p>While {@code complete} fails, the lease is renewed as it falls due (every renewal period), so
 * a store that answers again keeps the claim even if storing the result still fails; renewals stop
 * one lease TTL after the hand-off, so a store that renews but never completes does not hold the
 * key for ever. When the store is back, the next attempt simply completes: completing stores the
 * result for the retention, whatever was left of the lease.
 *
 * <p>Each completion ends exactly once, with one of {@link Outcome}'s methods: stored, lease lost
 * ({@code complete} or a renewal answered false), or failed (the lease ran out, the scheduler
 * refused the next attempt, or the guard closed). Attempts and the end are serialized by a lock,
 * so no attempt reaches the store after the end.
 */
final class DeferredCompletion implements Runnable {
  static final Duration FIRST_RETRY_DELAY = Duration.ofMillis(100);
  static final Duration MAX_RETRY_DELAY = Duration.ofSeconds(1);

  private final IdempotencyStore store;
  private final RecordId id;
  private final String token;
  private final byte[] result;
  private final Duration retention;
  private final Duration leaseTtl;
  private final long renewEveryMillis;
  private final Clock clock;
  private final ScheduledExecutorService scheduler;
  private final Outcome outcome;
  private final long renewUntil; // millis by clock: no renewal after this
  private final ReentrantLock lock = new ReentrantLock();
  private ScheduledFuture<?> future; // guarded by lock
  private boolean done; // guarded by lock
  private long grantedAt; // guarded by lock; millis by clock, the send time of the last claim or renewal
  private long delayNanos = FIRST_RETRY_DELAY.toNanos(); // guarded by lock
  private RuntimeException lastFailure; // guarded by lock

  DeferredCompletion(
      IdempotencyStore store,
      RecordId id,
      String token,
      byte[] result,
      Duration retention,
      Duration leaseTtl,
      Duration renewEvery,
      Clock clock,
      ScheduledExecutorService scheduler,
      long grantedAt,
      RuntimeException failure,
      Outcome outcome) {
    this.store = store;
    this.id = id;
    this.token = token;
    this.result = result;
    this.retention = retention;
    this.leaseTtl = leaseTtl;
    this.renewEveryMillis = Math.max(1, renewEvery.toMillis());
    this.clock = clock;
    this.scheduler = scheduler;
    this.grantedAt = grantedAt;
    this.lastFailure = failure;
    this.outcome = outcome;
    this.renewUntil = saturatedAdd(clock.millis(), leaseTtl.toMillis());
  }

  /** Schedules the first retry; if the lease has run out already, or the scheduler refuses, fails. */
  void begin() {
    lock.lock();
    try {
      if (done) return;
      if (clock.millis() >= leaseEnd()) {
        end(Ending.FAILED, lastFailure);
      } else {
        scheduleNext();
      }
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void run() {
    lock.lock();
    try {
      if (done) return;
      attempt();
      if (!done) scheduleNext();
    } finally {
      lock.unlock();
    }
  }

  private void attempt() {
    if (clock.millis() >= leaseEnd()) {
      end(Ending.FAILED, lastFailure); // the store has freed the key, or is about to
      return;
    }
    try {
      end(store.complete(id, token, result, retention) ? Ending.STORED : Ending.LEASE_LOST, null);
      return;
    } catch (RuntimeException e) {
      lastFailure = e;
    }
    long now = clock.millis();
    if (now - grantedAt >= renewEveryMillis && now < renewUntil) {
      try {
        if (store.renew(id, token, leaseTtl)) {
          grantedAt = now;
        } else {
          end(Ending.LEASE_LOST, null);
        }
      } catch (RuntimeException stillDown) {
        // the next attempt tries again; the lease runs out on its own if the store stays down
      }
    }
  }

  /** The next attempt: after the backoff, a renewal period, or the lease's end, whichever is first. */
  private void scheduleNext() {
    long untilLeaseEnd = TimeUnit.MILLISECONDS.toNanos(Math.max(0, leaseEnd() - clock.millis()));
    long delay = Math.min(Math.min(delayNanos, untilLeaseEnd), TimeUnit.MILLISECONDS.toNanos(renewEveryMillis));
    delayNanos = Math.min(delayNanos * 2, MAX_RETRY_DELAY.toNanos());
    try {
      future = scheduler.schedule(this, delay, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) { // the scheduler was shut down
      end(Ending.FAILED, closed(lastFailure));
    }
  }

  /**
   * Ends this completion for a closing guard: waits for an attempt in flight; then, if
   * {@code tryOnce} and the lease lasts, makes one last attempt on the calling thread; otherwise,
   * or if that attempt fails, reports it failed. Does nothing if it has ended already.
   */
  void endForClose(boolean tryOnce) {
    lock.lock();
    try {
      if (done) return;
      if (future != null) future.cancel(false);
      if (tryOnce && clock.millis() < leaseEnd()) {
        try {
          end(store.complete(id, token, result, retention) ? Ending.STORED : Ending.LEASE_LOST, null);
          return;
        } catch (RuntimeException e) {
          lastFailure = e;
        }
      }
      end(Ending.FAILED, closed(lastFailure));
    } finally {
      lock.unlock();
    }
  }

  RecordId id() {
    return id;
  }

  private long leaseEnd() {
    return saturatedAdd(grantedAt, leaseTtl.toMillis());
  }

  private void end(Ending ending, RuntimeException cause) {
    done = true;
    if (future != null) future.cancel(false);
    switch (ending) {
      case STORED -> outcome.stored(this);
      case LEASE_LOST -> outcome.leaseLost(this);
      case FAILED -> outcome.failed(this, cause);
    }
  }

  private IllegalStateException closed(RuntimeException lastFailure) {
    return new IllegalStateException(
        "the guard closed before the result of " + id + " could be stored; the key frees when its lease ends",
        lastFailure);
  }

  private static long saturatedAdd(long a, long b) {
    long r = a + b;
    return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
  }

  private enum Ending {
    STORED,
    LEASE_LOST,
    FAILED
  }

  /** How a completion ended; exactly one is called, once, under the completion's lock. */
  interface Outcome {
    /** The result is stored: repeats get the replay. */
    void stored(DeferredCompletion completion);

    /** {@code complete} or a renewal answered false: another owner may hold the key. */
    void leaseLost(DeferredCompletion completion);

    /** Not stored: the lease ran out, or the guard closed. */
    void failed(DeferredCompletion completion, RuntimeException cause);
  }
}
