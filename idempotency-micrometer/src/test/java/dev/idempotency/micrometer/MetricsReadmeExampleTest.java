package dev.idempotency.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.client.IdempotencyInterceptor;
import dev.idempotency.contract.ReadmeSnippets;
import dev.idempotency.server.IdempotencyGuard;
import dev.idempotency.server.store.InMemoryIdempotencyStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.Test;

/** The README's metrics snippets, compiled and run. Keep them in step with README.md. */
class MetricsReadmeExampleTest {
  @Test
  void guardAndClientMetrics() throws Exception {
    // README: metrics
    MeterRegistry registry = new SimpleMeterRegistry(); // the application's registry

    IdempotencyGuard guard = IdempotencyGuard.builder()
        .store(new InMemoryIdempotencyStore())
        .namespace("payments")
        .listener(GuardMetrics.of(registry))
        .build();

    IdempotencyInterceptor idempotency = IdempotencyInterceptor.builder()
        .listener(ClientMetrics.of(registry, Tags.of("peer", "payments-api")))
        .build();
    OkHttpClient client = new OkHttpClient.Builder().addInterceptor(idempotency).build();
    // README: end

    guard.execute("order-42", String.class, () -> "receipt");
    guard.execute("order-42", String.class, () -> "receipt");
    guard.close();
    assertThat(registry.get("idempotency.server.calls").tags("namespace", "payments", "outcome", "executed")
        .timer().count()).isEqualTo(1);
    assertThat(registry.get("idempotency.server.calls").tags("namespace", "payments", "outcome", "replayed")
        .timer().count()).isEqualTo(1);

    try (MockWebServer server = new MockWebServer()) {
      server.enqueue(new MockResponse.Builder().code(201).build());
      server.start();
      Request pay = new Request.Builder().url(server.url("/payments"))
          .post(RequestBody.create("{}", MediaType.get("application/json"))).build();
      try (Response response = client.newCall(pay).execute()) {
        assertThat(response.code()).isEqualTo(201);
      }
      assertThat(server.takeRequest(5, TimeUnit.SECONDS)).isNotNull();
    }
    assertThat(registry.get("idempotency.client.calls").tags("peer", "payments-api", "outcome", "succeeded")
        .counter().count()).isEqualTo(1);
    assertThat(registry.get("idempotency.client.attempts").tags("peer", "payments-api").counter().count())
        .isEqualTo(1);
  }

  @Test
  void theReadmeShowsThisCode() {
    assertThat(ReadmeSnippets.assertReadmeShows(
            Path.of("src/test/java/dev/idempotency/micrometer/MetricsReadmeExampleTest.java"), Path.of("../README.md")))
        .containsExactly("metrics");
  }
}
