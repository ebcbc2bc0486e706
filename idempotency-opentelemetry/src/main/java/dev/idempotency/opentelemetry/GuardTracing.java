package dev.idempotency.opentelemetry;

import static dev.idempotency.opentelemetry.IdempotencyTracing.EXCEPTION_TYPE;

import dev.idempotency.server.CallOutcome;
import dev.idempotency.server.IdempotencyListener;
import dev.idempotency.server.store.RecordId;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import java.time.Duration;
import java.util.Locale;

/**
 * A guard's listener that adds to the current span how each guarded call ended
 * ({@link IdempotencyTracing#OUTCOME}, {@link IdempotencyTracing#REPLAYED},
 * {@link IdempotencyTracing#NAMESPACE}) and an event when storing its result is deferred
 * ({@link IdempotencyTracing#COMPLETION_DEFERRED}) or releasing its claim failed
 * ({@link IdempotencyTracing#RELEASE_FAILED}).
 *
 * <p>These events reach the listener on the caller's thread, inside the call, where the current
 * span is the call's. The guard reports the others that follow a call (a lease lost while the work
 * runs, the end of a deferred completion) on its renewal thread, where the current span is not the
 * call's (none, or, under an executor that carries context, the span of whichever call scheduled
 * the renewal task); so they are not traced: the Micrometer module counts them. Without a
 * recording span an event costs one lookup of the current span.
 *
 * <p>Stateless and threadsafe.
 */
public final class GuardTracing implements IdempotencyListener {
  private static final GuardTracing INSTANCE = new GuardTracing();
  private static final String[] OUTCOMES = new String[CallOutcome.values().length];

  static {
    for (CallOutcome o : CallOutcome.values()) OUTCOMES[o.ordinal()] = o.name().toLowerCase(Locale.ROOT);
  }

  private GuardTracing() {}

  /** The listener, for {@code IdempotencyGuard.builder().listener(...)}; one serves any number of guards. */
  public static GuardTracing create() {
    return INSTANCE;
  }

  @Override
  public void callEnded(RecordId id, CallOutcome outcome, Duration elapsed) {
    Span span = Span.current();
    if (!span.isRecording()) return;
    span.setAttribute(IdempotencyTracing.NAMESPACE, id.namespace());
    span.setAttribute(IdempotencyTracing.OUTCOME, OUTCOMES[outcome.ordinal()]);
    span.setAttribute(IdempotencyTracing.REPLAYED, outcome == CallOutcome.REPLAYED);
  }

  @Override
  public void completeDeferred(RecordId id, RuntimeException cause) {
    Span span = Span.current();
    if (span.isRecording()) {
      span.addEvent(IdempotencyTracing.COMPLETION_DEFERRED, Attributes.of(EXCEPTION_TYPE, cause.getClass().getName()));
    }
  }

  @Override
  public void releaseFailed(RecordId id, RuntimeException cause) {
    Span span = Span.current();
    if (span.isRecording()) {
      span.addEvent(IdempotencyTracing.RELEASE_FAILED, Attributes.of(EXCEPTION_TYPE, cause.getClass().getName()));
    }
  }

  @Override
  public String toString() {
    return "GuardTracing";
  }
}
