package example.payments;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** The application as it starts: the starter's filter answers as the contract says. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@Import(PaymentsApplicationTest.Slow.class)
class PaymentsApplicationTest {
  static final CountDownLatch ENTERED = new CountDownLatch(1);
  static final CountDownLatch RELEASE = new CountDownLatch(1);

  /** A payment that waits for the test, under the same url-patterns. */
  @TestConfiguration(proxyBeanMethods = false)
  @RestController
  static class Slow {
    @PostMapping("/payments/slow")
    Map<String, Object> slow(@RequestBody Map<String, Object> order) throws InterruptedException {
      ENTERED.countDown();
      RELEASE.await(20, TimeUnit.SECONDS);
      return Map.of("slow", true);
    }
  }

  @LocalServerPort int port;
  final HttpClient http = HttpClient.newHttpClient();

  HttpResponse<String> post(String path, String key) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"amountCents\":1250}"));
    if (key != null) b.header("Idempotency-Key", key);
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aFirstPostRunsAndARepeatReplays() throws Exception {
    String key = UUID.randomUUID().toString();
    HttpResponse<String> first = post("/payments", key);
    assertThat(first.statusCode()).isEqualTo(201);
    assertThat(first.headers().firstValue("Idempotent-Replayed")).isEmpty();
    HttpResponse<String> repeat = post("/payments", key);
    assertThat(repeat.statusCode()).isEqualTo(201);
    assertThat(repeat.headers().firstValue("Idempotent-Replayed")).hasValue("true");
    assertThat(repeat.body()).isEqualTo(first.body());
    HttpResponse<String> next = post("/payments", UUID.randomUUID().toString());
    assertThat(next.body()).isNotEqualTo(first.body());
  }

  @Test
  void aPostWithoutAKeyIs400() throws Exception {
    HttpResponse<String> missing = post("/payments", null);
    assertThat(missing.statusCode()).isEqualTo(400);
    assertThat(missing.body()).contains("idempotency-key-missing");
  }

  @Test
  void aRepeatWhileTheFirstIsInFlightIs409() throws Exception {
    String key = UUID.randomUUID().toString();
    CompletableFuture<HttpResponse<String>> first = CompletableFuture.supplyAsync(() -> {
      try {
        return post("/payments/slow", key);
      } catch (Exception e) {
        throw new RuntimeException(e);
      }
    });
    assertThat(ENTERED.await(20, TimeUnit.SECONDS)).isTrue();
    HttpResponse<String> repeat = post("/payments/slow", key);
    assertThat(repeat.statusCode()).isEqualTo(409);
    assertThat(repeat.headers().firstValue("Retry-After")).isPresent();
    assertThat(repeat.body()).contains("idempotency-request-in-progress");
    RELEASE.countDown();
    assertThat(first.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
  }
}
