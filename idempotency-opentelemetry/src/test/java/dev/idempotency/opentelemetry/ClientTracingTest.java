package dev.idempotency.opentelemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.idempotency.client.IdempotencyInterceptor;
import dev.idempotency.client.IdempotencyKeyRegistry;
import dev.idempotency.client.IdempotentAction;
import dev.idempotency.client.RetryPolicy;
import dev.idempotency.contract.FakeTime;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.Interceptor;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A real interceptor over OkHttp against a real local server (MockWebServer), called inside a span
 * of the real SDK; a network interceptor makes a client span per attempt, as OpenTelemetry's OkHttp
 * instrumentation does. Waits are a {@link FakeTime}'s.
 */
class ClientTracingTest {
  static final MediaType JSON = MediaType.get("application/json");

  final FakeTime time = new FakeTime();
  final Traces traces = new Traces();
  MockWebServer server;

  @BeforeEach
  void startServer() throws IOException {
    server = new MockWebServer();
    server.start();
  }

  @AfterEach
  void stop() {
    server.close();
    traces.close();
  }

  /** One CLIENT span per HTTP attempt, current while it is sent: where an OkHttp instrumentation puts it. */
  final Interceptor perAttemptSpans = chain -> {
    Span attempt = traces.tracer.spanBuilder("POST").setSpanKind(SpanKind.CLIENT).startSpan();
    try (Scope ignored = attempt.makeCurrent()) {
      return chain.proceed(chain.request());
    } finally {
      attempt.end();
    }
  };

  OkHttpClient client(RetryPolicy policy) {
    IdempotencyInterceptor interceptor = IdempotencyInterceptor.builder()
        .registry(IdempotencyKeyRegistry.builder().clock(time.clock()).build())
        .retryPolicy(policy)
        .ticker(time).sleeper(time).clock(time.clock()).random(new Random(42))
        .listener(ClientTracing.create())
        .build();
    return new OkHttpClient.Builder()
        .addInterceptor(interceptor)
        .addNetworkInterceptor(perAttemptSpans)
        .retryOnConnectionFailure(false)
        .build();
  }

  Request pay(String action) {
    return new Request.Builder()
        .url(server.url("/payments"))
        .post(RequestBody.create("{\"amount\":100}", JSON))
        .tag(IdempotentAction.class, IdempotentAction.of(action))
        .build();
  }

  static MockResponse status(int code, String... headers) {
    MockResponse.Builder b = new MockResponse.Builder().code(code);
    for (int i = 0; i < headers.length; i += 2) b.addHeader(headers[i], headers[i + 1]);
    return b.build();
  }

  SpanData send(String spanName, OkHttpClient client, Request request) throws Exception {
    return traces.inSpan(spanName, () -> {
      try (Response response = client.newCall(request).execute()) {
        response.body().string();
      }
    });
  }

  List<String> keysReceived(int n) throws InterruptedException {
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      RecordedRequest r = server.takeRequest(5, TimeUnit.SECONDS);
      assertThat(r).isNotNull();
      keys.add(r.getHeaders().get("Idempotency-Key"));
    }
    return keys;
  }

  @Test
  void aRetriedCallsSpanHasTheRetryWithItsDelayTheAttemptsAndTheOutcome() throws Exception {
    server.enqueue(status(503, "Retry-After", "2"));
    server.enqueue(status(201));

    SpanData call = send("pay order", client(RetryPolicy.defaults()), pay("pay:order-secret-1"));

    assertThat(call.getAttributes().asMap()).isEqualTo(Attributes.builder()
        .put(IdempotencyTracing.OUTCOME, "succeeded")
        .put(IdempotencyTracing.REPLAYED, false)
        .put(IdempotencyTracing.ATTEMPTS, 2L)
        .build().asMap());
    assertThat(call.getEvents()).extracting(EventData::getName, EventData::getAttributes)
        .containsExactly(tuple(IdempotencyTracing.RETRY_SCHEDULED, Attributes.of(
            IdempotencyTracing.ATTEMPT, 2L, IdempotencyTracing.RETRY_DELAY, 2.0)));
    assertThat(time.sleeps()).containsExactly(java.time.Duration.ofSeconds(2));

    // Each attempt is a child span of the caller's; the idempotency attributes are on the caller's alone.
    List<SpanData> attempts = traces.exporter.getFinishedSpanItems().stream()
        .filter(s -> s.getKind() == SpanKind.CLIENT).toList();
    assertThat(attempts).hasSize(2).allSatisfy(a -> {
      assertThat(a.getParentSpanId()).isEqualTo(call.getSpanId());
      assertThat(a.getAttributes().isEmpty()).isTrue();
      assertThat(a.getEvents()).isEmpty();
    });

    List<String> keys = keysReceived(2);
    assertThat(keys).hasSize(2).doesNotContainNull();
    assertThat(traces.everyValue()).noneMatch(keys::contains).noneMatch(v -> v.contains("secret"));
  }

  @Test
  void aCallThatGivesUpSaysWhyAndAReplayIsMarked() throws Exception {
    OkHttpClient twoAttempts = client(RetryPolicy.builder().maxAttempts(2).build());
    server.enqueue(status(503, "Retry-After", "1"));
    server.enqueue(status(503, "Retry-After", "1"));
    SpanData gaveUp = send("gave up", twoAttempts, pay("pay:order-secret-1"));
    server.enqueue(status(201, "Idempotent-Replayed", "true"));
    SpanData replay = send("replay", twoAttempts, pay("pay:order-secret-1")); // the kept key, again
    server.enqueue(status(409, "Retry-After", "1"));
    SpanData inProgress = send("in progress", twoAttempts, pay("pay:order-secret-2"));
    server.enqueue(status(422));
    SpanData refused = send("refused", twoAttempts, pay("pay:order-secret-3"));

    assertThat(gaveUp.getAttributes().asMap()).isEqualTo(Attributes.builder()
        .put(IdempotencyTracing.OUTCOME, "unknown")
        .put(IdempotencyTracing.GIVE_UP_REASON, "max_attempts")
        .put(IdempotencyTracing.REPLAYED, false)
        .put(IdempotencyTracing.ATTEMPTS, 2L)
        .build().asMap());
    assertThat(gaveUp.getEvents()).extracting(EventData::getName, EventData::getAttributes)
        .containsExactly(tuple(IdempotencyTracing.RETRY_SCHEDULED, Attributes.of(
            IdempotencyTracing.ATTEMPT, 2L, IdempotencyTracing.RETRY_DELAY, 1.0)));
    assertThat(replay.getAttributes().asMap()).isEqualTo(Attributes.builder()
        .put(IdempotencyTracing.OUTCOME, "replayed")
        .put(IdempotencyTracing.REPLAYED, true)
        .put(IdempotencyTracing.ATTEMPTS, 1L)
        .build().asMap());
    assertThat(inProgress.getAttributes().get(IdempotencyTracing.OUTCOME)).isEqualTo("in_progress");
    assertThat(refused.getAttributes().get(IdempotencyTracing.OUTCOME)).isEqualTo("definitely_failed");
    assertThat(List.of(replay, inProgress, refused)).allSatisfy(s -> assertThat(s.getEvents()).isEmpty());

    List<String> keys = keysReceived(5);
    assertThat(traces.everyValue()).noneMatch(keys::contains).noneMatch(v -> v.contains("secret"));
  }
}
