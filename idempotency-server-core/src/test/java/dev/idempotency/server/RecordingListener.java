package dev.idempotency.server;

import dev.idempotency.server.store.RecordId;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Records every event as "name" or "name:detail", in order, and what its arguments show (their
 * {@code toString()}, and for an exception every message of its causes). This class is
 * threadsafe.
 */
public final class RecordingListener implements IdempotencyListener {
  public final List<String> events = new CopyOnWriteArrayList<>();
  public final List<String> shown = new CopyOnWriteArrayList<>();

  /** What a log line or a message built of {@code arguments} could show. */
  static List<String> shownBy(Object... arguments) {
    List<String> out = new ArrayList<>();
    for (Object a : arguments) {
      if (a instanceof Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
          out.add(c.toString());
          out.add(String.valueOf(c.getMessage()));
          for (Throwable s : c.getSuppressed()) out.addAll(shownBy(s));
          if (c.getCause() == c) break;
        }
      } else {
        out.add(String.valueOf(a));
      }
    }
    return out;
  }

  private void show(Object... arguments) {
    shown.addAll(shownBy(arguments));
  }

  public long count(String event) {
    return events.stream().filter(e -> e.equals(event) || e.startsWith(event + ":")).count();
  }

  /**
   * The outcomes of {@link #callEnded}, in order; kept apart from {@link #events}, whose order the
   * tests of single steps assert exactly.
   */
  public final List<CallOutcome> calls = new CopyOnWriteArrayList<>();

  @Override
  public void callEnded(RecordId id, CallOutcome outcome, java.time.Duration elapsed) {
    if (elapsed.isNegative()) throw new AssertionError("a negative duration: " + elapsed);
    calls.add(outcome);
    shown.addAll(shownBy(id, outcome, elapsed));
  }

  @Override
  public void executed(RecordId id) {
    show(id);
    events.add("executed");
  }

  @Override
  public void replayed(RecordId id) {
    show(id);
    events.add("replayed");
  }

  @Override
  public void inProgress(RecordId id) {
    show(id);
    events.add("inProgress");
  }

  @Override
  public void keyReused(RecordId id) {
    show(id);
    events.add("keyReused");
  }

  @Override
  public void storeUnavailable(RecordId id, RuntimeException cause, boolean ranUnguarded) {
    show(id, cause, ranUnguarded);
    events.add("storeUnavailable:" + ranUnguarded);
  }

  @Override
  public void leaseRenewed(RecordId id) {
    show(id);
    events.add("leaseRenewed");
  }

  @Override
  public void renewFailed(RecordId id, RuntimeException cause) {
    show(id, cause);
    events.add("renewFailed");
  }

  @Override
  public void leaseLost(RecordId id) {
    show(id);
    events.add("leaseLost");
  }

  @Override
  public void completeDeferred(RecordId id, RuntimeException cause) {
    show(id, cause);
    events.add("completeDeferred");
  }

  @Override
  public void completeRecovered(RecordId id) {
    show(id);
    events.add("completeRecovered");
  }

  @Override
  public void completeFailed(RecordId id, RuntimeException cause) {
    show(id, cause);
    events.add("completeFailed");
  }

  @Override
  public void failureStored(RecordId id, Throwable failure) {
    show(id, failure);
    events.add("failureStored:" + failure.getClass().getSimpleName());
  }

  @Override
  public void releaseFailed(RecordId id, RuntimeException cause) {
    show(id, cause);
    events.add("releaseFailed");
  }
}
