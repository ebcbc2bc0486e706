package dev.idempotency.server.http;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.contract.ReadmeSnippets;
import dev.idempotency.server.IdempotencyGuard;
import dev.idempotency.server.store.InMemoryIdempotencyStore;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The README's "HTTP layer" snippet, verbatim between the markers, so that it compiles and runs. */
class ReadmeHttpLayerExampleTest {
  private final AtomicInteger orders = new AtomicInteger();

  private byte[] createOrder(byte[] body, long fencingToken) {
    assertThat(fencingToken).isPositive();
    return ("{\"order\":" + orders.incrementAndGet() + "}").getBytes(UTF_8);
  }

  @Test
  void snippetRunsTheBusinessCodeOncePerKey() throws Exception {
    String key = "5f0c6f2e-3b1a-4c8e-9d2f-7a6b5c4d3e2f";
    byte[] body = "{\"item\":\"book\"}".getBytes(UTF_8);
    String user = "alice";

    // README: http layer
    IdempotencyGuard guard = IdempotencyGuard.builder()
        .store(new InMemoryIdempotencyStore())
        .namespace("orders")
        .build();
    IdempotencyHttpLayer layer = IdempotencyHttpLayer.builder(guard)
        .storeHeaders("ETag")             // Content-Type and Location are always stored
        .build();

    // Per request: the framework's request as a view, the business code, the view to write back.
    HttpRequestView request = new HttpRequestView(
        "POST", "/orders", Map.of("Idempotency-Key", List.of(key)), body, user);
    HttpResponseView response = layer.handle(request, (r, claim) -> new HttpResponseView(
        201, Map.of("Content-Type", List.of("application/json")), createOrder(r.body(), claim.fencingToken())));
    // README: end

    HttpResponseView again = layer.handle(request, (r, claim) -> {
      throw new AssertionError("a repeat must not run the business code");
    });
    assertThat(response.status()).isEqualTo(201);
    assertThat(again.body()).isEqualTo(response.body());
    assertThat(again.headerValues("Idempotent-Replayed")).containsExactly("true");
    assertThat(orders).hasValue(1);
    guard.close();
  }

  @Test
  void theReadmeShowsThisCode() {
    assertThat(ReadmeSnippets.assertReadmeShows(
            Path.of("src/test/java/dev/idempotency/server/http/ReadmeHttpLayerExampleTest.java"),
            Path.of("../README.md")))
        .containsExactly("http layer");
  }
}
