package dev.idempotency.opentelemetry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.contract.ReadmeSnippets;
import dev.idempotency.micrometer.GuardMetrics;
import dev.idempotency.server.IdempotencyGuard;
import dev.idempotency.server.IdempotencyListener;
import dev.idempotency.server.store.InMemoryIdempotencyStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README's tracing snippet, compiled and run. Keep it in step with README.md. */
class TracingReadmeExampleTest {
  @Test
  void metricsAndTracingFromOneGuard() throws Exception {
    MeterRegistry registry = new SimpleMeterRegistry();
    try (Traces traces = new Traces()) {
      // README: tracing
      IdempotencyGuard guard = IdempotencyGuard.builder()
          .store(new InMemoryIdempotencyStore())
          .namespace("payments")
          .listener(IdempotencyListener.composite(GuardMetrics.of(registry), GuardTracing.create()))
          .build();
      // README: end

      SpanData span = traces.inSpan("POST /payments",
          () -> guard.execute("order-42", String.class, () -> "receipt"));
      guard.close();

      assertThat(span.getAttributes().get(IdempotencyTracing.OUTCOME)).isEqualTo("executed");
      assertThat(span.getAttributes().get(IdempotencyTracing.REPLAYED)).isFalse();
      assertThat(registry.get("idempotency.server.calls").tags("namespace", "payments", "outcome", "executed")
          .timer().count()).isEqualTo(1);
    }
  }

  @Test
  void theReadmeShowsThisCode() {
    assertThat(ReadmeSnippets.assertReadmeShows(
            Path.of("src/test/java/dev/idempotency/opentelemetry/TracingReadmeExampleTest.java"), Path.of("../README.md")))
        .containsExactly("tracing");
  }
}
