package dev.idempotency.server;

import dev.idempotency.server.store.RecordId;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * {@link IdempotencyListener#composite}: tells each listener every event, in order; what one
 * throws is logged and the next still hears the event. Immutable; threadsafe if the listeners are.
 */
final class CompositeListener implements IdempotencyListener {
  private static final System.Logger LOG = System.getLogger(IdempotencyGuard.class.getName());

  private final IdempotencyListener[] listeners;

  private CompositeListener(IdempotencyListener[] listeners) {
    this.listeners = listeners;
  }

  static IdempotencyListener of(IdempotencyListener... listeners) {
    Objects.requireNonNull(listeners, "listeners");
    IdempotencyListener[] copy = listeners.clone();
    for (int i = 0; i < copy.length; i++) Objects.requireNonNull(copy[i], "listeners[" + i + "]");
    if (copy.length == 0) return NONE;
    if (copy.length == 1) return copy[0];
    return new CompositeListener(copy);
  }

  private void each(Consumer<IdempotencyListener> event) {
    for (IdempotencyListener l : listeners) {
      try {
        event.accept(l);
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "an IdempotencyListener threw; ignored", e);
      }
    }
  }

  @Override
  public void callEnded(RecordId id, CallOutcome outcome, Duration elapsed) {
    each(l -> l.callEnded(id, outcome, elapsed));
  }

  @Override
  public void executed(RecordId id) {
    each(l -> l.executed(id));
  }

  @Override
  public void replayed(RecordId id) {
    each(l -> l.replayed(id));
  }

  @Override
  public void inProgress(RecordId id) {
    each(l -> l.inProgress(id));
  }

  @Override
  public void keyReused(RecordId id) {
    each(l -> l.keyReused(id));
  }

  @Override
  public void storeUnavailable(RecordId id, RuntimeException cause, boolean ranUnguarded) {
    each(l -> l.storeUnavailable(id, cause, ranUnguarded));
  }

  @Override
  public void leaseRenewed(RecordId id) {
    each(l -> l.leaseRenewed(id));
  }

  @Override
  public void renewFailed(RecordId id, RuntimeException cause) {
    each(l -> l.renewFailed(id, cause));
  }

  @Override
  public void leaseLost(RecordId id) {
    each(l -> l.leaseLost(id));
  }

  @Override
  public void completeDeferred(RecordId id, RuntimeException cause) {
    each(l -> l.completeDeferred(id, cause));
  }

  @Override
  public void completeRecovered(RecordId id) {
    each(l -> l.completeRecovered(id));
  }

  @Override
  public void completeFailed(RecordId id, RuntimeException cause) {
    each(l -> l.completeFailed(id, cause));
  }

  @Override
  public void failureStored(RecordId id, Throwable failure) {
    each(l -> l.failureStored(id, failure));
  }

  @Override
  public void releaseFailed(RecordId id, RuntimeException cause) {
    each(l -> l.releaseFailed(id, cause));
  }
}
