package dev.idempotency.client;

import dev.idempotency.contract.IdempotencyKey;
import java.time.Duration;
import okhttp3.Request;

/**
 * Calls a listener and logs what it throws, so that a faulty metric never breaks a call or leaks
 * a response in the middle of a retry. This class is threadsafe if the listener is.
 */
final class SafeListener implements IdempotencyListener {
  private static final System.Logger LOG = System.getLogger(IdempotencyListener.class.getName());

  private final IdempotencyListener delegate;

  SafeListener(IdempotencyListener delegate) {
    this.delegate = delegate;
  }

  @Override
  public void keyCreated(IdempotentAction action, IdempotencyKey key) {
    try {
      delegate.keyCreated(action, key);
    } catch (RuntimeException e) {
      log("keyCreated", e);
    }
  }

  @Override
  public void keyReused(IdempotentAction action, IdempotencyKey key) {
    try {
      delegate.keyReused(action, key);
    } catch (RuntimeException e) {
      log("keyReused", e);
    }
  }

  @Override
  public void keyForgotten(IdempotentAction action, IdempotencyKey key) {
    try {
      delegate.keyForgotten(action, key);
    } catch (RuntimeException e) {
      log("keyForgotten", e);
    }
  }

  @Override
  public void attemptStarted(Request request, IdempotencyKey key, int attempt) {
    try {
      delegate.attemptStarted(request, key, attempt);
    } catch (RuntimeException e) {
      log("attemptStarted", e);
    }
  }

  @Override
  public void retryScheduled(Request request, IdempotencyKey key, int nextAttempt, Duration delay) {
    try {
      delegate.retryScheduled(request, key, nextAttempt, delay);
    } catch (RuntimeException e) {
      log("retryScheduled", e);
    }
  }

  @Override
  public void gaveUp(Request request, IdempotencyOutcome.Unknown outcome) {
    try {
      delegate.gaveUp(request, outcome);
    } catch (RuntimeException e) {
      log("gaveUp", e);
    }
  }

  @Override
  public void callEnded(Request request, IdempotencyOutcome outcome) {
    try {
      delegate.callEnded(request, outcome);
    } catch (RuntimeException e) {
      log("callEnded", e);
    }
  }

  private void log(String method, RuntimeException e) {
    LOG.log(System.Logger.Level.WARNING, "IdempotencyListener." + method + " threw; ignored", e);
  }
}
