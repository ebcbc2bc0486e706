package dev.idempotency.server;

import dev.idempotency.server.store.IdempotencyStore;
import dev.idempotency.server.store.RecordId;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Renews one claim while its supplier runs, from the guard's one {@link Renewer}. {@link #stop()}
 * waits for a renewal in flight, so that no renewal reaches the store after the guard completes
 * or releases the claim; once a renewal answers false the claim is lost and renewal stops for good.
 *
 * <p>It also remembers when the lease was last granted (by the guard's clock, read before the
 * renewal was sent, so never later than the store's own start of the lease): the guard keeps
 * trying to store a result only until that lease must have ended.
 */
final class LeaseRenewal {
  private final Renewer renewer;
  private final RecordId id;
  private final String token;
  // Its own hash: the renewer's set hashes every claim that starts, and an identity hash is drawn
  // and installed in the object header on first use, which costs more than this.
  private final int hash = ThreadLocalRandom.current().nextInt();
  private boolean stopped; // guarded by this
  private volatile boolean lost;
  private volatile long grantedAt; // millis by clock: when the last successful claim or renewal was sent
  // Read and written by the renewer's task only (its runs are ordered, and the concurrent set
  // publishes the object): whether a tick has seen this claim, and when its renewal falls due then,
  // by System.nanoTime.
  private boolean seen;
  private long nextRenewalNanos;

  private LeaseRenewal(Renewer renewer, RecordId id, String token, long claimedAt) {
    this.renewer = renewer;
    this.id = id;
    this.token = token;
    this.grantedAt = claimedAt;
  }

  /**
   * Starts renewing a claim acquired by a claim call sent at {@code claimedAt} (millis by the
   * renewer's clock): the first renewal falls due one renewal period after the renewer's first
   * tick that sees it (so a call does not read the time to start, see {@link Renewer}).
   *
   * @throws RejectedExecutionException if the renewer's scheduler was shut down
   */
  static LeaseRenewal start(Renewer renewer, RecordId id, String token, long claimedAt) {
    LeaseRenewal renewal = new LeaseRenewal(renewer, id, token, claimedAt);
    renewer.register(renewal);
    return renewal;
  }

  /** Renews if due; called by the renewer's task only. */
  private void renewIfDue(long now) {
    if (!seen) {
      seen = true;
      nextRenewalNanos = now + renewer.everyNanos;
      return;
    }
    if (now - nextRenewalNanos < 0) return;
    synchronized (this) {
      if (stopped) return;
      Renewer r = renewer;
      boolean renewed;
      long sentAt = r.clock.millis();
      // As a task at a fixed delay did: the next try one period after this one, whatever it answers.
      nextRenewalNanos = System.nanoTime() + r.everyNanos;
      try {
        renewed = r.store.renew(id, token, r.leaseTtl);
      } catch (RuntimeException e) {
        r.events.renewFailed(id, e); // transient, perhaps: the next try may succeed
        return;
      }
      if (renewed) {
        grantedAt = sentAt;
        r.events.leaseRenewed(id);
      } else {
        lost = true;
        stopped = true;
        r.unregister(this);
        r.events.leaseLost(id);
      }
    }
  }

  /** Stops renewing; returns once no renewal is in flight. */
  void stop() {
    synchronized (this) {
      stopped = true;
    }
    renewer.unregister(this);
  }

  @Override
  public int hashCode() {
    return hash;
  }

  @Override
  public boolean equals(Object o) {
    return o == this;
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

  /**
   * Renews all the running claims of a guard with ONE periodic task on its scheduler, instead of
   * one task per claim: most suppliers end long before their first renewal, and scheduling and
   * cancelling a task per call (a lock, a heap insert and removal, often a wake-up of the scheduler
   * thread) cost about a tenth of a memory-store call. A call now costs an add to and a removal
   * from a concurrent set; the task is scheduled when a claim registers while none runs, and
   * cancelled by a tick that finds no claim, so an idle guard has no task and its own scheduler
   * thread ends.
   *
   * <p>The task runs every {@code period}: a quarter of the renewal period, or of what the lease
   * leaves after it if that is less. A claim is renewed when one renewal period has passed since
   * the first tick that saw it, or since its last try, at the first tick after that. The first
   * renewal is thus at most two periods late (a call does not read the time when it starts: a
   * time read is a tenth of what the renewal costs a quick call), so within 1.5 renewal periods
   * of the claim (15 s of the default 30 s lease), and the later ones at most one period late;
   * every renewal comes before the lease ends (the renewal period plus half of what the lease
   * leaves after it), even when the renewal fraction is close to 1. Ticks are cheap (a scan of
   * the claims running, usually none or a few), four per renewal period while any claim runs.
   */
  static final class Renewer implements Runnable {
    private static final System.Logger LOG = System.getLogger(LeaseRenewal.class.getName());
    private static final long MIN_PERIOD_NANOS = TimeUnit.MICROSECONDS.toNanos(100);

    private final ScheduledExecutorService scheduler;
    private final IdempotencyStore store;
    private final Duration leaseTtl;
    private final Events events;
    private final Clock clock;
    private final long everyNanos;
    private final long periodNanos;
    private final Set<LeaseRenewal> active = ConcurrentHashMap.newKeySet();
    private final Object taskLock = new Object();
    // Whether the task is scheduled (or about to be); written under taskLock. A registration reads
    // it after adding its claim and a tick that stops writes it before reading the set, so either
    // the registration sees false and schedules the task, or the tick sees the claim and goes on.
    private volatile boolean running;
    private ScheduledFuture<?> task; // guarded by taskLock

    Renewer(
        ScheduledExecutorService scheduler,
        Duration every,
        IdempotencyStore store,
        Duration leaseTtl,
        Events events,
        Clock clock) {
      this.scheduler = scheduler;
      this.store = store;
      this.leaseTtl = leaseTtl;
      this.events = events;
      this.clock = clock;
      this.everyNanos = every.toNanos();
      long slack = Math.min(everyNanos, leaseTtl.toNanos() - everyNanos);
      this.periodNanos = Math.max(MIN_PERIOD_NANOS, slack / 4);
    }

    /** How often the task runs while claims are registered. */
    long periodNanos() {
      return periodNanos;
    }

    private void register(LeaseRenewal renewal) {
      active.add(renewal);
      if (running && !scheduler.isShutdown()) return;
      synchronized (taskLock) {
        try {
          if (scheduler.isShutdown()) throw new RejectedExecutionException("the scheduler is shut down");
          if (task == null) task = scheduler.scheduleWithFixedDelay(this, periodNanos, periodNanos, TimeUnit.NANOSECONDS);
          running = true;
        } catch (RuntimeException e) {
          active.remove(renewal);
          throw e;
        }
      }
    }

    private void unregister(LeaseRenewal renewal) {
      active.remove(renewal);
    }

    @Override
    public void run() {
      try {
        long now = System.nanoTime();
        for (LeaseRenewal renewal : active) {
          try {
            renewal.renewIfDue(now);
          } catch (RuntimeException | Error e) { // a bug: the task must go on for the other claims
            LOG.log(System.Logger.Level.WARNING, "renewing a lease failed", e);
          }
        }
      } finally {
        if (active.isEmpty()) stopIfIdle();
      }
    }

    /**
     * Cancels the task if no claim is registered (a tick does the same); the guard's close() calls
     * it so that a scheduler given to the guard keeps none of its tasks. A claim still running keeps
     * the task until it stops, as it kept a task of its own before.
     */
    void stopIfIdle() {
      synchronized (taskLock) {
        running = false;
        if (active.isEmpty()) { // read after running is cleared: see running
          if (task != null) task.cancel(false);
          task = null;
        } else {
          running = true; // a claim registered meanwhile: keep ticking
        }
      }
    }
  }
}
