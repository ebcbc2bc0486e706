package dev.idempotency.micrometer;

import static dev.idempotency.micrometer.Readings.id;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idempotency.client.IdempotencyInterceptor;
import dev.idempotency.client.IdempotencyKeyRegistry;
import dev.idempotency.client.IdempotencyOutcome;
import dev.idempotency.client.IdempotentAction;
import dev.idempotency.client.RetryPolicy;
import dev.idempotency.contract.FakeTime;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A real interceptor over OkHttp against a real local server (MockWebServer), with one metrics
 * listener: each contract row the client meets is counted exactly. Waits are a {@link FakeTime}'s.
 */
class ClientMetricsTest {
  static final MediaType JSON = MediaType.get("application/json");

  final FakeTime time = new FakeTime();
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  final ClientMetrics metrics = ClientMetrics.of(registry);
  MockWebServer server;

  @BeforeEach
  void startServer() throws IOException {
    server = new MockWebServer();
    server.start();
  }

  @AfterEach
  void stopServer() {
    server.close();
  }

  OkHttpClient client(RetryPolicy policy) {
    IdempotencyInterceptor interceptor = IdempotencyInterceptor.builder()
        .registry(IdempotencyKeyRegistry.builder().clock(time.clock()).build())
        .retryPolicy(policy)
        .ticker(time).sleeper(time).clock(time.clock()).random(new Random(42))
        .listener(metrics)
        .build();
    // Without OkHttp's own silent resends, so the attempts counted are the requests sent.
    return new OkHttpClient.Builder().addInterceptor(interceptor).retryOnConnectionFailure(false).build();
  }

  Request pay(String action) {
    return new Request.Builder()
        .url(server.url("/payments"))
        .post(RequestBody.create("{\"amount\":100}", JSON))
        .tag(IdempotentAction.class, IdempotentAction.of(action))
        .build();
  }

  static MockResponse status(int code) {
    return new MockResponse.Builder().code(code).build();
  }

  IdempotencyOutcome send(OkHttpClient client, Request request) throws IOException {
    try (Response response = client.newCall(request).execute()) {
      return IdempotencyOutcome.of(response);
    }
  }

  @Test
  void attemptsRetriesGiveUpsAndOutcomesAreCountedExactly() throws Exception {
    OkHttpClient client = client(RetryPolicy.defaults());
    // 503, 503, 201: three attempts, two retries, one success.
    server.enqueue(status(503));
    server.enqueue(status(503));
    server.enqueue(status(201));
    assertThat(send(client, pay("pay:order-secret-1"))).isInstanceOf(IdempotencyOutcome.Succeeded.class);
    // 409: the first request is still running; stop at once.
    server.enqueue(status(409));
    assertThat(send(client, pay("pay:order-secret-2"))).isInstanceOf(IdempotencyOutcome.InProgress.class);
    // The same action tried again later, with its kept key: the server replays its answer.
    server.enqueue(new MockResponse.Builder().code(201).addHeader("Idempotent-Replayed", "true").build());
    assertThat(send(client, pay("pay:order-secret-2")))
        .isInstanceOfSatisfying(IdempotencyOutcome.Succeeded.class, s -> assertThat(s.replayed()).isTrue());
    // 422: a definitive failure.
    server.enqueue(status(422));
    assertThat(send(client, pay("pay:order-secret-3"))).isInstanceOf(IdempotencyOutcome.DefinitelyFailed.class);
    // Two attempts allowed, two 503s: gives up, the outcome unknown.
    OkHttpClient twoAttempts = client(RetryPolicy.builder().maxAttempts(2).build());
    server.enqueue(status(503));
    server.enqueue(status(503));
    IdempotencyOutcome gaveUp = send(twoAttempts, pay("pay:order-secret-4"));
    assertThat(gaveUp).isInstanceOf(IdempotencyOutcome.Unknown.class);
    assertThat(((IdempotencyOutcome.Unknown) gaveUp).reason()).isEqualTo(IdempotencyOutcome.GiveUpReason.MAX_ATTEMPTS);

    Map<String, Double> expected = zeros();
    expected.put(id(IdempotencyMetrics.CLIENT_ATTEMPTS), 8.0); // 3 + 1 + 1 + 1 + 2
    expected.put(id(IdempotencyMetrics.CLIENT_RETRIES), 3.0); // 2 + 1
    expected.put(id(IdempotencyMetrics.CLIENT_GIVEUPS, "reason", "max_attempts"), 1.0);
    expected.put(id(IdempotencyMetrics.CLIENT_CALLS, "outcome", "succeeded"), 1.0);
    expected.put(id(IdempotencyMetrics.CLIENT_CALLS, "outcome", "replayed"), 1.0);
    expected.put(id(IdempotencyMetrics.CLIENT_CALLS, "outcome", "in_progress"), 1.0);
    expected.put(id(IdempotencyMetrics.CLIENT_CALLS, "outcome", "definitely_failed"), 1.0);
    expected.put(id(IdempotencyMetrics.CLIENT_CALLS, "outcome", "unknown"), 1.0);
    Map<String, Double> counts = Readings.counts(registry);
    System.out.println("meters after the client scenario:");
    counts.forEach((k, v) -> System.out.println("  " + k + " = " + v));
    assertThat(counts).isEqualTo(expected);

    // What the server received: 8 requests; no tag carries one of their keys or an action name.
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      RecordedRequest r = server.takeRequest(5, TimeUnit.SECONDS);
      assertThat(r).isNotNull();
      keys.add(r.getHeaders().get("Idempotency-Key"));
    }
    assertThat(server.getRequestCount()).isEqualTo(8);
    List<String> tagValues = Readings.tagValues(registry);
    assertThat(tagValues).noneMatch(v -> v.contains("secret")).noneMatch(keys::contains);
  }

  /** Every client meter at zero: what forClient registers. */
  static Map<String, Double> zeros() {
    Map<String, Double> zeros = new TreeMap<>();
    zeros.put(id(IdempotencyMetrics.CLIENT_ATTEMPTS), 0.0);
    zeros.put(id(IdempotencyMetrics.CLIENT_RETRIES), 0.0);
    for (String reason : List.of("max_attempts", "deadline", "retry_budget", "not_retryable", "interrupted", "canceled")) {
      zeros.put(id(IdempotencyMetrics.CLIENT_GIVEUPS, "reason", reason), 0.0);
    }
    for (String outcome : List.of("succeeded", "replayed", "in_progress", "definitely_failed", "unknown")) {
      zeros.put(id(IdempotencyMetrics.CLIENT_CALLS, "outcome", outcome), 0.0);
    }
    return zeros;
  }

  @Test
  void everyMeterIsRegisteredAtZeroWhenTheListenerIsMade() {
    assertThat(Readings.counts(registry)).isEqualTo(zeros());
    assertThat(IdempotencyOutcome.GiveUpReason.values()).hasSize(6); // one giveups meter each
  }

  @Test
  void extraTagsGoOnEveryMeter() {
    SimpleMeterRegistry other = new SimpleMeterRegistry();
    ClientMetrics.of(other, Tags.of("peer", "payments-api"));
    assertThat(other.getMeters()).hasSize(13)
        .allSatisfy(m -> assertThat(m.getId().getTag("peer")).isEqualTo("payments-api"));
  }

  @Test
  void argumentsAreCheckedByName() {
    assertThatThrownBy(() -> ClientMetrics.of(null))
        .isInstanceOf(NullPointerException.class).hasMessage("registry");
    assertThatThrownBy(() -> ClientMetrics.of(registry, null))
        .isInstanceOf(NullPointerException.class).hasMessage("tags");
  }
}
