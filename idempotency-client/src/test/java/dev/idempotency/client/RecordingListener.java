package dev.idempotency.client;

import dev.idempotency.contract.IdempotencyKey;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import okhttp3.Request;

/** Records every event as a short line, in order. Threadsafe. */
final class RecordingListener implements IdempotencyListener {
  final List<String> events = new CopyOnWriteArrayList<>();

  @Override
  public void keyCreated(IdempotentAction action, IdempotencyKey key) {
    events.add("keyCreated " + (action == null ? "-" : action.name()));
  }

  @Override
  public void keyReused(IdempotentAction action, IdempotencyKey key) {
    events.add("keyReused " + action.name());
  }

  @Override
  public void keyForgotten(IdempotentAction action, IdempotencyKey key) {
    events.add("keyForgotten " + action.name());
  }

  @Override
  public void attemptStarted(Request request, IdempotencyKey key, int attempt) {
    events.add("attempt " + attempt);
  }

  @Override
  public void retryScheduled(Request request, IdempotencyKey key, int nextAttempt, Duration delay) {
    events.add("retry " + nextAttempt + " after " + delay.toMillis() + "ms");
  }

  @Override
  public void gaveUp(Request request, IdempotencyOutcome.Unknown outcome) {
    events.add("gaveUp " + outcome.reason());
  }

  @Override
  public void callEnded(Request request, IdempotencyOutcome outcome) {
    events.add("ended " + outcome.getClass().getSimpleName());
  }
}
