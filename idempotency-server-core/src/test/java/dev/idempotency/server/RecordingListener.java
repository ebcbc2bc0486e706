package dev.idempotency.server;

import dev.idempotency.server.store.RecordId;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records every event as "name" or "name:detail", in order. This class is threadsafe. */
final class RecordingListener implements IdempotencyListener {
  final List<String> events = new CopyOnWriteArrayList<>();

  long count(String event) {
    return events.stream().filter(e -> e.equals(event) || e.startsWith(event + ":")).count();
  }

  @Override
  public void executed(RecordId id) {
    events.add("executed");
  }

  @Override
  public void replayed(RecordId id) {
    events.add("replayed");
  }

  @Override
  public void inProgress(RecordId id) {
    events.add("inProgress");
  }

  @Override
  public void keyReused(RecordId id) {
    events.add("keyReused");
  }

  @Override
  public void storeUnavailable(RecordId id, RuntimeException cause, boolean ranUnguarded) {
    events.add("storeUnavailable:" + ranUnguarded);
  }

  @Override
  public void leaseRenewed(RecordId id) {
    events.add("leaseRenewed");
  }

  @Override
  public void renewFailed(RecordId id, RuntimeException cause) {
    events.add("renewFailed");
  }

  @Override
  public void leaseLost(RecordId id) {
    events.add("leaseLost");
  }

  @Override
  public void completeDeferred(RecordId id, RuntimeException cause) {
    events.add("completeDeferred");
  }

  @Override
  public void completeRecovered(RecordId id) {
    events.add("completeRecovered");
  }

  @Override
  public void completeFailed(RecordId id, RuntimeException cause) {
    events.add("completeFailed");
  }

  @Override
  public void failureStored(RecordId id, Throwable failure) {
    events.add("failureStored:" + failure.getClass().getSimpleName());
  }

  @Override
  public void releaseFailed(RecordId id, RuntimeException cause) {
    events.add("releaseFailed");
  }
}
