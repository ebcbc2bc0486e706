package dev.idempotency.server;

import dev.idempotency.contract.Ticker;
import dev.idempotency.server.store.RecordId;
import java.time.Duration;

/**
 * The guard's listener, called safely: an exception a listener throws is logged and otherwise
 * ignored, so it never changes a call's answer or stops a renewal. No listener (the default)
 * costs one comparison per event. This class is threadsafe if the listener is.
 */
final class Events implements IdempotencyListener {
  private static final System.Logger LOG = System.getLogger(IdempotencyGuard.class.getName());

  private final IdempotencyListener listener;
  private final boolean none;
  private final Ticker ticker;

  Events(IdempotencyListener listener, Ticker ticker) {
    this.listener = listener;
    this.none = listener == IdempotencyListener.NONE;
    this.ticker = ticker;
  }

  /** {@link #callEnded} for a call that started at {@code start} (ticker nanos). */
  /** Whether a listener hears the events: if not, no call needs the time it started. */
  boolean listening() {
    return !none;
  }

  void ended(RecordId id, CallOutcome outcome, long start) {
    if (none) return;
    callEnded(id, outcome, Duration.ofNanos(Math.max(0, ticker.read() - start)));
  }

  @Override
  public void callEnded(RecordId id, CallOutcome outcome, Duration elapsed) {
    if (none) return;
    try {
      listener.callEnded(id, outcome, elapsed);
    } catch (RuntimeException e) {
      threw(e);
    }
  }

  @Override
  public void executed(RecordId id) {
    if (none) return;
    try {
      listener.executed(id);
    } catch (RuntimeException e) {
      threw(e);
    }
  }

  @Override
  public void replayed(RecordId id) {
    if (none) return;
    try {
      listener.replayed(id);
    } catch (RuntimeException e) {
      threw(e);
    }
  }

  @Override
  public void inProgress(RecordId id) {
    if (none) return;
    try {
      listener.inProgress(id);
    } catch (RuntimeException e) {
      threw(e);
    }
  }

  @Override
  public void keyReused(RecordId id) {
    if (none) return;
    try {
      listener.keyReused(id);
    } catch (RuntimeException e) {
      threw(e);
    }
  }

  @Override
  public void storeUnavailable(RecordId id, RuntimeException cause, boolean ranUnguarded) {
    if (none) return;
    try {
      listener.storeUnavailable(id, cause, ranUnguarded);
    } catch (RuntimeException e) {
      threw(e);
    }
  }

  @Override
  public void leaseRenewed(RecordId id) {
    if (none) return;
    try {
      listener.leaseRenewed(id);
    } catch (RuntimeException e) {
      threw(e);
    }
  }

  @Override
  public void renewFailed(RecordId id, RuntimeException cause) {
    if (none) return;
    try {
      listener.renewFailed(id, cause);
    } catch (RuntimeException e) {
      threw(e);
    }
  }

  @Override
  public void leaseLost(RecordId id) {
    if (none) return;
    try {
      listener.leaseLost(id);
    } catch (RuntimeException e) {
      threw(e);
    }
  }

  @Override
  public void completeDeferred(RecordId id, RuntimeException cause) {
    if (none) return;
    try {
      listener.completeDeferred(id, cause);
    } catch (RuntimeException e) {
      threw(e);
    }
  }

  @Override
  public void completeRecovered(RecordId id) {
    if (none) return;
    try {
      listener.completeRecovered(id);
    } catch (RuntimeException e) {
      threw(e);
    }
  }

  @Override
  public void completeFailed(RecordId id, RuntimeException cause) {
    if (none) return;
    try {
      listener.completeFailed(id, cause);
    } catch (RuntimeException e) {
      threw(e);
    }
  }

  @Override
  public void failureStored(RecordId id, Throwable failure) {
    if (none) return;
    try {
      listener.failureStored(id, failure);
    } catch (RuntimeException e) {
      threw(e);
    }
  }

  @Override
  public void releaseFailed(RecordId id, RuntimeException cause) {
    if (none) return;
    try {
      listener.releaseFailed(id, cause);
    } catch (RuntimeException e) {
      threw(e);
    }
  }

  private static void threw(RuntimeException e) {
    LOG.log(System.Logger.Level.WARNING, "an IdempotencyListener threw; ignored", e);
  }
}
