package dev.idempotency.opentelemetry;

import dev.idempotency.client.IdempotencyListener;
import dev.idempotency.client.IdempotencyOutcome;
import dev.idempotency.client.IdempotencyOutcome.GiveUpReason;
import dev.idempotency.contract.IdempotencyKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import java.time.Duration;
import java.util.Locale;
import okhttp3.Request;

/**
 * An interceptor's listener that adds to the current span each retry
 * ({@link IdempotencyTracing#RETRY_SCHEDULED}, with the attempt to come and the wait) and how the
 * call ended ({@link IdempotencyTracing#OUTCOME}, {@link IdempotencyTracing#REPLAYED},
 * {@link IdempotencyTracing#ATTEMPTS}, and {@link IdempotencyTracing#GIVE_UP_REASON} when the
 * outcome is unknown).
 *
 * <p>Which span: the interceptor is an application interceptor and calls its listener on the
 * thread that runs the call, so the current span is the caller's, the one around
 * {@code call.execute()}. An OkHttp instrumentation that makes a client span per HTTP attempt
 * (OpenTelemetry's {@code OkHttpTelemetry} does, in a network interceptor) makes those spans
 * children of it: each attempt is a child span, and the whole action, its retries and its outcome
 * are on the parent. With {@code enqueue}, the call runs on OkHttp's dispatcher thread, whose
 * current span is the caller's only if an instrumentation carries the context there (as
 * {@code OkHttpTelemetry}'s call factory does). Without a recording span an event costs one
 * lookup of the current span.
 *
 * <p>Stateless and threadsafe.
 */
public final class ClientTracing implements IdempotencyListener {
  private static final ClientTracing INSTANCE = new ClientTracing();
  private static final String[] REASONS = new String[GiveUpReason.values().length];

  static {
    for (GiveUpReason r : GiveUpReason.values()) REASONS[r.ordinal()] = r.name().toLowerCase(Locale.ROOT);
  }

  private ClientTracing() {}

  /** The listener, for {@code IdempotencyInterceptor.builder().listener(...)}; one serves any number of clients. */
  public static ClientTracing create() {
    return INSTANCE;
  }

  @Override
  public void retryScheduled(Request request, IdempotencyKey key, int nextAttempt, Duration delay) {
    Span span = Span.current();
    if (!span.isRecording()) return;
    span.addEvent(IdempotencyTracing.RETRY_SCHEDULED, Attributes.of(
        IdempotencyTracing.ATTEMPT, (long) nextAttempt,
        IdempotencyTracing.RETRY_DELAY, delay.toNanos() / 1e9));
  }

  @Override
  public void callEnded(Request request, IdempotencyOutcome outcome) {
    Span span = Span.current();
    if (!span.isRecording()) return;
    String value;
    boolean replayed = false;
    if (outcome instanceof IdempotencyOutcome.Succeeded s) {
      replayed = s.replayed();
      value = replayed ? "replayed" : "succeeded";
    } else if (outcome instanceof IdempotencyOutcome.InProgress) {
      value = "in_progress";
    } else if (outcome instanceof IdempotencyOutcome.DefinitelyFailed) {
      value = "definitely_failed";
    } else {
      value = "unknown";
      span.setAttribute(IdempotencyTracing.GIVE_UP_REASON,
          REASONS[((IdempotencyOutcome.Unknown) outcome).reason().ordinal()]);
    }
    span.setAttribute(IdempotencyTracing.OUTCOME, value);
    span.setAttribute(IdempotencyTracing.REPLAYED, replayed);
    span.setAttribute(IdempotencyTracing.ATTEMPTS, (long) outcome.attempts());
  }

  @Override
  public String toString() {
    return "ClientTracing";
  }
}
