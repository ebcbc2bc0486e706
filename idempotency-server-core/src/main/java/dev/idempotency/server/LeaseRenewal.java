package dev.idempotency.server;

import dev.idempotency.server.store.IdempotencyStore;
import dev.idempotency.server.store.RecordId;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Renews one claim while its supplier runs, on the guard's shared scheduler. {@link #stop()}
 * waits for a renewal in flight, so that no renewal reaches the store after the guard completes
 * or releases the claim; once a renewal answers false the claim is lost and renewal stops for good.
 */
final class LeaseRenewal implements Runnable {
  private final IdempotencyStore store;
  private final RecordId id;
  private final String token;
  private final Duration leaseTtl;
  private final Events events;
  private final ReentrantLock lock = new ReentrantLock();
  private ScheduledFuture<?> future; // guarded by lock
  private boolean stopped; // guarded by lock
  private volatile boolean lost;

  private LeaseRenewal(IdempotencyStore store, RecordId id, String token, Duration leaseTtl, Events events) {
    this.store = store;
    this.id = id;
    this.token = token;
    this.leaseTtl = leaseTtl;
    this.events = events;
  }

  static LeaseRenewal start(
      ScheduledExecutorService scheduler,
      Duration every,
      IdempotencyStore store,
      RecordId id,
      String token,
      Duration leaseTtl,
      Events events) {
    LeaseRenewal renewal = new LeaseRenewal(store, id, token, leaseTtl, events);
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
      try {
        renewed = store.renew(id, token, leaseTtl);
      } catch (RuntimeException e) {
        events.renewFailed(id, e); // transient, perhaps: the next tick tries again
        return;
      }
      if (renewed) {
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
