package dev.idempotency.client;

import dev.idempotency.contract.IdempotencyKey;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;
import okhttp3.Request;

/**
 * {@link IdempotencyListener#composite}: tells each listener every event, in order; what one
 * throws is logged and the next still hears the event. Immutable; threadsafe if the listeners are.
 */
final class CompositeListener implements IdempotencyListener {
  private static final System.Logger LOG = System.getLogger(IdempotencyListener.class.getName());

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
  public void keyCreated(IdempotentAction action, IdempotencyKey key) {
    each(l -> l.keyCreated(action, key));
  }

  @Override
  public void keyReused(IdempotentAction action, IdempotencyKey key) {
    each(l -> l.keyReused(action, key));
  }

  @Override
  public void keyForgotten(IdempotentAction action, IdempotencyKey key) {
    each(l -> l.keyForgotten(action, key));
  }

  @Override
  public void attemptStarted(Request request, IdempotencyKey key, int attempt) {
    each(l -> l.attemptStarted(request, key, attempt));
  }

  @Override
  public void retryScheduled(Request request, IdempotencyKey key, int nextAttempt, Duration delay) {
    each(l -> l.retryScheduled(request, key, nextAttempt, delay));
  }

  @Override
  public void gaveUp(Request request, IdempotencyOutcome.Unknown outcome) {
    each(l -> l.gaveUp(request, outcome));
  }

  @Override
  public void callEnded(Request request, IdempotencyOutcome outcome) {
    each(l -> l.callEnded(request, outcome));
  }
}
