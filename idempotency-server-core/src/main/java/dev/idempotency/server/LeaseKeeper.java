package dev.idempotency.server;

import dev.idempotency.contract.Sleeper;
import dev.idempotency.contract.Ticker;
import dev.idempotency.server.store.IdempotencyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Keeps the leases of the claims one guard owns: what every {@link OwnedClaim} shares (the store,
 * the TTLs, the time source, the listener, the scheduler), ONE periodic task that renews the claims
 * whose work is running, and the claims whose result is still being stored in the background.
 *
 * <p>One task for all running claims, not one per claim: most works end long before their first
 * renewal, and scheduling and cancelling a task per call (a lock, a heap insert and removal, often
 * a wake-up of the scheduler thread) cost about a tenth of a memory-store call. A call costs an add
 * to and a removal from a concurrent set; the task is scheduled when a claim registers while none
 * runs, and cancelled by a tick that finds no claim, so an idle guard has no task and its own
 * scheduler thread ends.
 *
 * <p>The task ticks every quarter of the renewal period (or of what the lease leaves after it, if
 * less), and renews each claim whose lease was granted a renewal period ago or more: every renewal
 * is sent at most a quarter period late, so before the lease ends even with a renewal fraction close
 * to 1. A renewal that fails is tried again at the next tick.
 *
 * <p>This class is threadsafe.
 */
final class LeaseKeeper implements Runnable {
  private static final System.Logger LOG = System.getLogger(IdempotencyGuard.class.getName());
  private static final long MIN_PERIOD_NANOS = TimeUnit.MICROSECONDS.toNanos(100);
  // An idle scheduler thread of the guard's own ends after this; the next call starts another.
  private static final long THREAD_KEEP_ALIVE_SECONDS = 60;
  private static final AtomicInteger THREAD_IDS = new AtomicInteger();
  private static final int MAX_STRIPES = 64;

  final IdempotencyStore store;
  final Duration leaseTtl;
  final long leaseNanos;
  final long renewEveryNanos;
  final Duration retention;
  final Ticker ticker;
  final Sleeper sleeper;
  final Events events;
  final ScheduledExecutorService scheduler;
  private final boolean ownsScheduler;
  private final long periodNanos;
  // The running claims, in stripes by the registering thread (see Stripe).
  private final Stripe[] stripes;
  private final int stripeMask;
  private final Set<OwnedClaim> deferred = ConcurrentHashMap.newKeySet();
  private final Object taskLock = new Object();
  // Whether the task is scheduled (or about to be); written under taskLock. A registration reads
  // it after linking its claim and a tick that stops writes it before reading the stripes, so either
  // the registration sees false and schedules the task, or the tick sees the claim and goes on
  // (each stripe is read under its monitor, which the registration released after linking).
  private volatile boolean ticking;
  // Set by close() before it ends the background completions: none is scheduled after it.
  private volatile boolean closed;
  private ScheduledFuture<?> task; // guarded by taskLock

  LeaseKeeper(
      IdempotencyStore store,
      Duration leaseTtl,
      long renewEveryNanos,
      Duration retention,
      Ticker ticker,
      Sleeper sleeper,
      Events events,
      ScheduledExecutorService scheduler) {
    this.store = store;
    this.leaseTtl = leaseTtl;
    this.leaseNanos = leaseTtl.toNanos();
    this.renewEveryNanos = renewEveryNanos;
    this.retention = retention;
    this.ticker = ticker;
    this.sleeper = sleeper;
    this.events = events;
    this.ownsScheduler = scheduler == null;
    this.scheduler = scheduler != null ? scheduler : newScheduler();
    long slack = Math.min(renewEveryNanos, leaseNanos - renewEveryNanos);
    this.periodNanos = Math.max(MIN_PERIOD_NANOS, slack / 4);
    // A power of two, four per processor (threads outnumber cores), at most MAX_STRIPES.
    int want = Math.min(MAX_STRIPES, 4 * Math.max(1, Runtime.getRuntime().availableProcessors()));
    int n = Integer.highestOneBit(want) < want ? Integer.highestOneBit(want) << 1 : want;
    this.stripes = new Stripe[n];
    for (int i = 0; i < n; i++) stripes[i] = new Stripe();
    this.stripeMask = n - 1;
  }

  /**
   * Some of the running claims: one in a slot of its own (the stripe's value), the others in a
   * doubly linked list through {@link OwnedClaim}'s own fields, guarded by the stripe's monitor. A
   * claim goes to the stripe of the thread that starts it, so two request threads rarely touch the
   * same stripe: a concurrent set's add and remove (a hash, a bin lock and its table line, a shared
   * size counter, a node) cost about a tenth of a memory-store call at two threads, and most of it
   * was lines written by both threads.
   *
   * <p>The slot takes the claim when it is free, which it is unless the thread runs a guarded call
   * inside another or another thread shares the stripe: starting a claim is then one
   * compare-and-set and stopping it another, where the list took a monitor for each and the
   * claim's own monitor a third (six locked instructions a call, each waiting for the writes before
   * it: about a tenth of a new key). A tick renews a claim in a slot with a handshake instead of
   * the claim's monitor alone: see {@link OwnedClaim#stopRenewing}.
   */
  @SuppressWarnings({"serial", "unused"}) // never serialized; the padding fields only take room
  static final class Stripe extends AtomicReference<OwnedClaim> {
    OwnedClaim head; // guarded by this
    // The stripes are made one after another: without these, several shared a cache line, and
    // two threads starting and stopping claims on their own stripes wrote it in turn on every call.
    long p0, p1, p2, p3, p4, p5, p6;

    synchronized void link(OwnedClaim claim) {
      claim.stripe = this;
      claim.next = head;
      if (head != null) head.prev = claim;
      head = claim;
    }

    synchronized void unlink(OwnedClaim claim) {
      if (claim.stripe != this) return; // unlinked already (lost, then stopped)
      if (claim.prev != null) claim.prev.next = claim.next;
      else head = claim.next;
      if (claim.next != null) claim.next.prev = claim.prev;
      claim.prev = null;
      claim.next = null;
      claim.stripe = null;
    }

    /** Adds the listed claims whose renewal is due at {@code now} to {@code due}. */
    synchronized void collectDue(long now, long renewEveryNanos, List<OwnedClaim> due) {
      for (OwnedClaim c = head; c != null; c = c.next) {
        if (c.renewalDue(now, renewEveryNanos)) due.add(c);
      }
    }

    /** Whether neither the slot nor the list holds a claim; the slot is read first. */
    boolean isEmpty() {
      if (get() != null) return false;
      synchronized (this) {
        return head == null;
      }
    }
  }

  /** How often the task ticks while claims run. */
  long periodNanos() {
    return periodNanos;
  }

  /**
   * Renews {@code claim} from now on, until {@link #stopRenewing}.
   *
   * @throws RejectedExecutionException if the scheduler was shut down
   */
  @SuppressWarnings("deprecation") // Thread.getId: threadId() is Java 19; the id only picks a stripe
  void startRenewing(OwnedClaim claim) {
    Stripe stripe = stripes[(int) Thread.currentThread().getId() & stripeMask];
    claim.slot = stripe; // before the compare-and-set publishes the claim to the tick
    if (stripe.get() != null || !stripe.compareAndSet(null, claim)) {
      claim.slot = null;
      stripe.link(claim);
    }
    if (ticking && !scheduler.isShutdown()) return;
    synchronized (taskLock) {
      try {
        if (scheduler.isShutdown()) throw new RejectedExecutionException("the scheduler is shut down");
        if (task == null) {
          task = scheduler.scheduleWithFixedDelay(this, periodNanos, periodNanos, TimeUnit.NANOSECONDS);
        }
        ticking = true;
      } catch (RuntimeException e) {
        stopRenewing(claim);
        throw e;
      }
    }
  }

  /** Takes {@code claim} out of its slot or its list; no renewal starts after this. */
  void stopRenewing(OwnedClaim claim) {
    Stripe slot = claim.slot; // written before the claim was published, by the thread that started it
    if (slot != null) {
      slot.compareAndSet(claim, null); // false: a tick that lost the lease took it out already
      return;
    }
    Stripe stripe = claim.stripe; // written by the thread that started it, or seen by the tick that lost it
    if (stripe != null) stripe.unlink(claim);
  }

  /** Whether no claim is running. */
  private boolean idle() {
    for (Stripe s : stripes) {
      if (!s.isEmpty()) return false;
    }
    return true;
  }

  /** A tick: renews the running claims that are due. */
  @Override
  public void run() {
    try {
      long now = ticker.read();
      // Collected under each stripe's lock, renewed outside it: a renewal is a store call.
      List<OwnedClaim> due = new ArrayList<>();
      for (Stripe s : stripes) {
        OwnedClaim inSlot = s.get();
        if (inSlot != null && inSlot.renewalDue(now, renewEveryNanos)) {
          try {
            inSlot.renewInSlot(s, now);
          } catch (RuntimeException | Error e) { // a bug: the task must go on for the other claims
            LOG.log(System.Logger.Level.WARNING, "renewing a lease failed", e);
          }
        }
        s.collectDue(now, renewEveryNanos, due);
      }
      for (OwnedClaim claim : due) {
        try {
          claim.renewIfDue(now);
        } catch (RuntimeException | Error e) { // a bug: the task must go on for the other claims
          LOG.log(System.Logger.Level.WARNING, "renewing a lease failed", e);
        }
      }
    } finally {
      if (idle()) stopIfIdle();
    }
  }

  /** Schedules {@code claim}'s next background attempt to store its result. */
  void scheduleAttempt(OwnedClaim claim, long delayNanos) {
    deferred.add(claim);
    // Added before reading closed, as close() sets closed before reading the set: either close()
    // ends this completion, or this call refuses it (both is harmless).
    if (closed) throw new RejectedExecutionException("the guard is closed");
    claim.scheduled(scheduler.schedule(claim, delayNanos, TimeUnit.NANOSECONDS));
  }

  /** {@code claim}'s result was stored, or given up on. */
  void ended(OwnedClaim claim) {
    deferred.remove(claim);
  }

  /**
   * Ends the keeper: each result still waiting to be stored gets one last try on this thread while
   * {@code grace} lasts, and is reported failed otherwise; then the guard's own scheduler stops (a
   * given one keeps none of the keeper's tasks).
   */
  void close(Duration grace) {
    closed = true;
    long graceEnd = ticker.read() + grace.toNanos();
    for (OwnedClaim claim : deferred) {
      claim.endForClose(ticker.read() - graceEnd < 0);
    }
    if (ownsScheduler) scheduler.shutdownNow();
    else stopIfIdle();
  }

  /**
   * Cancels the task if no claim runs (a tick does the same). A claim still running keeps the task
   * until it stops.
   */
  private void stopIfIdle() {
    synchronized (taskLock) {
      ticking = false;
      if (idle()) { // read after ticking is cleared: see ticking
        if (task != null) task.cancel(false);
        task = null;
      } else {
        ticking = true; // a claim registered meanwhile: keep ticking
      }
    }
  }

  private static ScheduledExecutorService newScheduler() {
    ScheduledThreadPoolExecutor executor =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "idempotency-lease-renewal-" + THREAD_IDS.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    executor.setRemoveOnCancelPolicy(true); // a cancelled task leaves nothing behind
    executor.setKeepAliveTime(THREAD_KEEP_ALIVE_SECONDS, TimeUnit.SECONDS);
    executor.allowCoreThreadTimeOut(true); // no thread while no call runs
    return executor;
  }
}
