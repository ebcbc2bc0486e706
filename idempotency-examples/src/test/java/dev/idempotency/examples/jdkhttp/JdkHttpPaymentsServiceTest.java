package dev.idempotency.examples.jdkhttp;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The JDK HttpServer example, started and driven over HTTP as a client would. */
class JdkHttpPaymentsServiceTest {
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void aRepeatIsReplayedAndThePaymentRanOnce() throws Exception {
    try (JdkHttpPaymentsService service = new JdkHttpPaymentsService(0)) {
      URI payments = URI.create("http://127.0.0.1:" + service.port() + "/payments");
      String key = UUID.randomUUID().toString();

      HttpResponse<String> first = pay(payments, key, "{\"amountCents\":1250}");
      HttpResponse<String> repeat = pay(payments, key, "{\"amountCents\":1250}");
      HttpResponse<String> other = pay(payments, UUID.randomUUID().toString(), "{\"amountCents\":700}");
      String ledger = http.send(HttpRequest.newBuilder(payments).build(), HttpResponse.BodyHandlers.ofString()).body();

      assertThat(first.statusCode()).isEqualTo(201);
      assertThat(first.body()).isEqualTo("{\"payment\":1}");
      assertThat(repeat.statusCode()).isEqualTo(201);
      assertThat(repeat.headers().firstValue("Idempotent-Replayed")).hasValue("true");
      assertThat(repeat.body()).isEqualTo(first.body());
      assertThat(other.body()).isEqualTo("{\"payment\":2}");
      assertThat(ledger.lines()).hasSize(2).satisfiesExactly(
          one -> assertThat(one).startsWith("1: {\"amountCents\":1250} (fencing token ").doesNotEndWith("token 0)"),
          two -> assertThat(two).startsWith("2: {\"amountCents\":700} (fencing token "));
    }
  }

  @Test
  void aPaymentWithoutKeyIsRefusedAndNothingRuns() throws Exception {
    try (JdkHttpPaymentsService service = new JdkHttpPaymentsService(0)) {
      URI payments = URI.create("http://127.0.0.1:" + service.port() + "/payments");
      HttpResponse<String> missing = http.send(HttpRequest.newBuilder(payments)
          .POST(HttpRequest.BodyPublishers.ofString("{\"amountCents\":1250}")).build(), HttpResponse.BodyHandlers.ofString());

      assertThat(missing.statusCode()).isEqualTo(400);
      assertThat(http.send(HttpRequest.newBuilder(payments).build(), HttpResponse.BodyHandlers.ofString()).body()).isEmpty();
    }
  }

  private HttpResponse<String> pay(URI payments, String key, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(payments)
        .header("Idempotency-Key", key)
        .POST(HttpRequest.BodyPublishers.ofString(body))
        .build(), HttpResponse.BodyHandlers.ofString());
  }
}
