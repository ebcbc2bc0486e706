package dev.idempotency.server;

import dev.idempotency.server.store.IdempotencyStore;
import dev.idempotency.server.store.RecordId;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Renews one claim while its supplier runs, on the guard's shared scheduler. {@link #stop()}
 * waits for a renewal in flight, so that no renewal reaches the store after the guard completes
 * or releases the claim; once a renewal answers false the claim is lost and renewal stops for good.
 *
 * <p>It also remembers when the lease was last granted (by the guard's clock, read before the
 * renewal was sent, so never later than the store's own start of the lease): the guard keeps
 * trying to store a result only until that lease must have ended.
 */
final class LeaseRenewal implements Runnable {
  private final IdempotencyStore store;
  private final RecordId id;
  private final String token;
  private final Duration leaseTtl;
  private final Events events;
  private final Clock clock;
  private final ReentrantLock lock = new ReentrantLock();
  private ScheduledFuture<?> future; // guarded by lock
  private boolean stopped; // guarded by lock
  private volatile boolean lost;
  private volatile long grantedAt; // millis by clock: when the last successful claim or renewal was sent

  private LeaseRenewal(
      IdempotencyStore store, RecordId id, String token, Duration leaseTtl, Events events, Clock clock, long claimedAt) {
    this.store = store;
    this.id = id;
    this.token = token;
    this.leaseTtl = leaseTtl;
    this.events = events;
    this.clock = clock;
    this.grantedAt = claimedAt;
  }

  /**
   * Starts renewing a claim acquired by a claim call sent at {@code claimedAt} (millis by
   * {@code clock}).
   */
  static LeaseRenewal start(
      ScheduledExecutorService scheduler,
      Duration every,
      IdempotencyStore store,
      RecordId id,
      String token,
      Duration leaseTtl,
      Events events,
      Clock clock,
      long claimedAt) {
    LeaseRenewal renewal = new LeaseRenewal(store, id, token, leaseTtl, events, clock, claimedAt);
    long nanos = every.toNanos();
    renewal.lock.lock();
    try {
      renewal.future = scheduler.scheduleWithFixedDelay(renewal, nanos, nanos, TimeUnit.NANOSECONDS);
    } finally {
      renewal.lock.unlock();
    }
    return renewal;
  }

  @Override
  public void run() {
    lock.lock();
    try {
      if (stopped) return;
      boolean renewed;
      long sentAt = clock.millis();
      try {
        renewed = store.renew(id, token, leaseTtl);
      } catch (RuntimeException e) {
        events.renewFailed(id, e); // transient, perhaps: the next tick tries again
        return;
      }
      if (renewed) {
        grantedAt = sentAt;
        events.leaseRenewed(id);
      } else {
        lost = true;
        stopped = true;
        future.cancel(false);
        events.leaseLost(id);
      }
    } finally {
      lock.unlock();
    }
  }

  /** Stops renewing; returns once no renewal is in flight. */
  void stop() {
    lock.lock();
    try {
      stopped = true;
      future.cancel(false);
    } finally {
      lock.unlock();
    }
  }

  /**
   * When the lease was last granted, in millis by the clock: the claim's time, or the send time of
   * the last renewal that succeeded. The lease lasts at least until this plus the lease TTL.
   */
  long grantedAt() {
    return grantedAt;
  }

  /** Whether a renewal found the claim gone. */
  boolean lost() {
    return lost;
  }

  /** The listener events a renewal reports, safely called. */
  interface Events {
    void leaseRenewed(RecordId id);

    void leaseLost(RecordId id);

    void renewFailed(RecordId id, RuntimeException cause);
  }
}
