package dev.idempotency.opentelemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import dev.idempotency.contract.FakeTime;
import dev.idempotency.server.CallOutcome;
import dev.idempotency.server.IdempotencyGuard;
import dev.idempotency.server.IdempotencyInProgressException;
import dev.idempotency.server.IdempotencyKeyReusedException;
import dev.idempotency.server.IdempotentCall;
import dev.idempotency.server.ResultCodec;
import dev.idempotency.server.ScriptedStore;
import dev.idempotency.server.StorePolicy;
import dev.idempotency.server.store.IdempotencyStoreUnavailableException;
import dev.idempotency.server.store.InMemoryIdempotencyStore;
import dev.idempotency.server.store.RecordId;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A real guard over the memory store, its calls made inside spans of the real SDK. */
class GuardTracingTest {
  // Every key and scope holds "secret": no attribute may.
  static final String SCOPE = "alice-secret";

  final FakeTime time = new FakeTime();
  final Traces traces = new Traces();
  final ScriptedStore store = new ScriptedStore(InMemoryIdempotencyStore.builder().ticker(time).build());
  final IdempotencyGuard guard = IdempotencyGuard.builder()
      .store(store).namespace("payments").ticker(time).sleeper(time)
      .listener(GuardTracing.create())
      .build();

  @AfterEach
  void close() {
    guard.close();
    traces.close();
  }

  static IdempotentCall call(String key) {
    return IdempotentCall.of(key).withScope(SCOPE);
  }

  static Attributes outcome(String outcome, boolean replayed) {
    return Attributes.builder()
        .put(IdempotencyTracing.NAMESPACE, "payments")
        .put(IdempotencyTracing.OUTCOME, outcome)
        .put(IdempotencyTracing.REPLAYED, replayed)
        .build();
  }

  @Test
  void theCallsSpanSaysHowItEndedAndWhetherItWasAReplay() throws Exception {
    SpanData first = traces.inSpan("POST /payments 1",
        () -> guard.execute(call("order-secret-1"), String.class, () -> "receipt"));
    SpanData again = traces.inSpan("POST /payments 2",
        () -> guard.execute(call("order-secret-1"), String.class, () -> "twice"));
    SpanData reused = traces.inSpan("POST /payments 3", () -> assertThatThrownBy(
        () -> guard.execute(call("order-secret-1").withFingerprint("another body"), String.class, () -> "x"))
        .isInstanceOf(IdempotencyKeyReusedException.class));
    store.failClaim = new IdempotencyStoreUnavailableException("connection refused");
    SpanData down = traces.inSpan("POST /payments 4", () -> assertThatThrownBy(
        () -> guard.execute(call("order-secret-2"), String.class, () -> "x"))
        .isInstanceOf(IdempotencyStoreUnavailableException.class));

    assertThat(first.getAttributes().asMap()).isEqualTo(outcome("executed", false).asMap());
    assertThat(again.getAttributes().asMap()).isEqualTo(outcome("replayed", true).asMap());
    assertThat(reused.getAttributes().asMap()).isEqualTo(outcome("key_reused", false).asMap());
    assertThat(down.getAttributes().asMap()).isEqualTo(outcome("store_unavailable", false).asMap());
    assertThat(traces.exporter.getFinishedSpanItems()).allSatisfy(s -> assertThat(s.getEvents()).isEmpty());
    assertThat(traces.everyValue()).noneMatch(v -> v.contains("secret"));
  }

  @Test
  void aRepeatWhileTheFirstRunsMarksItsOwnSpanInProgress() throws Exception {
    SpanData first = traces.inSpan("first", () -> guard.run(call("order-secret-1"), ResultCodec.utf8(),
        StorePolicy.storeEveryResult(), claim -> {
          traces.inSpan("repeat", () -> assertThatThrownBy(
              () -> guard.execute(call("order-secret-1"), String.class, () -> "x"))
              .isInstanceOf(IdempotencyInProgressException.class));
          return "receipt";
        }));

    assertThat(traces.finished("repeat").getAttributes().asMap()).isEqualTo(outcome("in_progress", false).asMap());
    assertThat(first.getAttributes().asMap()).isEqualTo(outcome("executed", false).asMap());
  }

  @Test
  void aDeferredCompletionAndAFailedReleaseAreEventsNamingTheExceptionClassOnly() throws Exception {
    store.failComplete = new IdempotencyStoreUnavailableException("connection reset by order-secret-1");
    SpanData deferred = traces.inSpan("deferred",
        () -> guard.execute(call("order-secret-1"), String.class, () -> "receipt"));
    store.failComplete = null;
    store.failRelease = new IllegalStateException("release refused");
    SpanData released = traces.inSpan("release failed", () -> assertThatThrownBy(
        () -> guard.execute(call("order-secret-2"), String.class, () -> {
          throw new IllegalArgumentException("bad input");
        })).isInstanceOf(IllegalArgumentException.class));

    assertThat(deferred.getAttributes().asMap()).isEqualTo(outcome("executed", false).asMap());
    assertThat(deferred.getEvents()).extracting(EventData::getName, EventData::getAttributes)
        .containsExactly(tuple(IdempotencyTracing.COMPLETION_DEFERRED,
            Attributes.of(IdempotencyTracing.EXCEPTION_TYPE, IdempotencyStoreUnavailableException.class.getName())));
    assertThat(released.getAttributes().asMap()).isEqualTo(outcome("failed", false).asMap());
    assertThat(released.getEvents()).extracting(EventData::getName, EventData::getAttributes)
        .containsExactly(tuple(IdempotencyTracing.RELEASE_FAILED,
            Attributes.of(IdempotencyTracing.EXCEPTION_TYPE, IllegalStateException.class.getName())));
    assertThat(traces.everyValue()).noneMatch(v -> v.contains("secret"));
  }

  @Test
  void withoutACurrentSpanTheEventsDoNothing() {
    GuardTracing tracing = GuardTracing.create();
    RecordId id = new RecordId("payments", SCOPE, "order-secret-1");
    assertThat(Span.current().getSpanContext().isValid()).isFalse();

    tracing.callEnded(id, CallOutcome.EXECUTED, Duration.ZERO);
    tracing.completeDeferred(id, new IdempotencyStoreUnavailableException("down"));
    tracing.releaseFailed(id, new IdempotencyStoreUnavailableException("down"));

    assertThat(traces.exporter.getFinishedSpanItems()).isEmpty();
  }
}
