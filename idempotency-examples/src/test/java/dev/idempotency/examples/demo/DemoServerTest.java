package dev.idempotency.examples.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The demo API as the issue fixes it, over real HTTP, without faults. */
class DemoServerTest {
  private static final String PAYMENT = "{\"account\":\"acc-1\",\"amountCents\":1250,\"currency\":\"EUR\"}";
  private final HttpClient http = HttpClient.newHttpClient();
  private final ObjectMapper json = new ObjectMapper();
  private DemoServer server;

  @BeforeEach
  void start() throws Exception {
    server = DemoServer.start(DemoServer.Options.builder().port(0).build());
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private HttpResponse<String> post(String key, String token, String body) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(server.baseUri().resolve("/payments"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (key != null) r.header("Idempotency-Key", key);
    if (token != null) r.header("Authorization", "Bearer " + token);
    return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(server.baseUri().resolve(path)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void baseUriIsTheLoopbackAndThePort() {
    assertThat(server.port()).isPositive();
    assertThat(server.baseUri()).isEqualTo(URI.create("http://127.0.0.1:" + server.port()));
  }

  @Test
  void aPaymentIs201WithItsFieldsAndLandsInTheLedgerOnce() throws Exception {
    String key = UUID.randomUUID().toString();
    HttpResponse<String> first = post(key, "alice", PAYMENT);
    HttpResponse<String> again = post(key, "alice", PAYMENT);

    assertThat(first.statusCode()).isEqualTo(201);
    JsonNode payment = json.readTree(first.body());
    assertThat(payment.get("id").asText()).isNotBlank();
    assertThat(payment.get("account").asText()).isEqualTo("acc-1");
    assertThat(payment.get("amountCents").asLong()).isEqualTo(1250);
    assertThat(payment.get("currency").asText()).isEqualTo("EUR");
    assertThat(first.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(again.statusCode()).isEqualTo(201);
    assertThat(again.body()).isEqualTo(first.body());
    assertThat(again.headers().firstValue("Idempotent-Replayed")).hasValue("true");

    HttpResponse<String> ledger = get("/accounts/acc-1/payments");
    assertThat(ledger.statusCode()).isEqualTo(200);
    assertThat(json.readTree(ledger.body())).hasSize(1);
    assertThat(json.readTree(ledger.body()).get(0)).isEqualTo(payment);
    assertThat(server.stats().executions()).isEqualTo(1);
  }

  @Test
  void theBearerTokenIsTheScopeAndNoTokenIsOneAnonymousScope() throws Exception {
    String key = UUID.randomUUID().toString();
    String alice = post(key, "alice", PAYMENT).body();
    String bob = post(key, "bob", PAYMENT).body();
    String anonymous = post(key, null, PAYMENT).body();
    String anonymousAgain = post(key, null, PAYMENT).body();

    assertThat(alice).isNotEqualTo(bob).isNotEqualTo(anonymous);
    assertThat(anonymousAgain).isEqualTo(anonymous);
    assertThat(json.readTree(get("/accounts/acc-1/payments").body())).hasSize(3);
  }

  @Test
  void anyCredentialIsAScopeOfItsOwnAndTheLedgerAgrees() throws Exception {
    String key = UUID.randomUUID().toString();
    List<String> answers = new ArrayList<>();
    for (String authorization : new String[] {"Basic dTpw", null, "Bearer", "Basic dTpw", null}) {
      HttpRequest.Builder r = HttpRequest.newBuilder(server.baseUri().resolve("/payments"))
          .header("Idempotency-Key", key)
          .POST(HttpRequest.BodyPublishers.ofString(PAYMENT));
      if (authorization != null) r.header("Authorization", authorization);
      answers.add(http.send(r.build(), HttpResponse.BodyHandlers.ofString()).body());
    }

    // Basic, none and an empty Bearer: three callers, three payments; each repeat is its own replay.
    assertThat(answers.subList(0, 3)).doesNotHaveDuplicates();
    assertThat(answers.get(3)).isEqualTo(answers.get(0));
    assertThat(answers.get(4)).isEqualTo(answers.get(1));
    assertThat(json.readTree(get("/accounts/acc-1/payments").body())).hasSize(3);
    assertThat(server.stats().executions()).isEqualTo(3);
    assertThat(server.stats().repeatsRefused()).isZero();
  }

  @Test
  void statsCountsWhatThisProcessDidAsJson() throws Exception {
    String key = UUID.randomUUID().toString();
    post(key, "alice", PAYMENT);
    post(key, "alice", PAYMENT); // a replay: the payment code does not run

    HttpResponse<String> stats = get("/stats");
    assertThat(stats.statusCode()).isEqualTo(200);
    assertThat(stats.headers().firstValue("Content-Type")).hasValue("application/json");
    JsonNode counts = json.readTree(stats.body());
    assertThat(counts.get("executions").asLong()).isEqualTo(1);
    assertThat(counts.get("ledgerAccepted").asLong()).isEqualTo(1);
    assertThat(counts.get("staleRefused").asLong()).isZero();
    assertThat(counts.get("repeatsRefused").asLong()).isZero();
    assertThat(counts.get("paymentsRunning").asLong()).isZero();
    // The gauges may still count the replay's slot: it is freed after its answer went out.
    assertThat(json.treeToValue(counts, DemoServer.Stats.class)).usingRecursiveComparison()
        .ignoringFields("paymentsInFlight").isEqualTo(server.stats());

    HttpResponse<String> post = http.send(HttpRequest.newBuilder(server.baseUri().resolve("/stats"))
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(post.statusCode()).isEqualTo(405);
    assertThat(post.headers().firstValue("Allow")).hasValue("GET, HEAD");
    assertThat(get("/stats/more").statusCode()).isEqualTo(404);
  }

  @Test
  void theKeyIsRequired() throws Exception {
    HttpResponse<String> missing = post(null, "alice", PAYMENT);

    assertThat(missing.statusCode()).isEqualTo(400);
    assertThat(missing.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    assertThat(missing.body()).contains("idempotency-key-missing");
    assertThat(server.stats().executions()).isZero();
  }

  @Test
  void wrongInputIsA400Problem() throws Exception {
    String[] bad = {
        "not json",
        "[1,2]",
        "{\"amountCents\":1250,\"currency\":\"EUR\"}",
        "{\"account\":\"acc-1\",\"currency\":\"EUR\"}",
        "{\"account\":\"acc-1\",\"amountCents\":1250}",
        "{\"account\":\"acc-1\",\"amountCents\":-5,\"currency\":\"EUR\"}",
        "{\"account\":\"acc-1\",\"amountCents\":12.5,\"currency\":\"EUR\"}",
        "{\"account\":\"acc-1\",\"amountCents\":\"1250\",\"currency\":\"EUR\"}",
        "{\"account\":\"acc-1\",\"amountCents\":1250,\"currency\":\"euro\"}",
        "{\"account\":\"a/b\",\"amountCents\":1250,\"currency\":\"EUR\"}",
    };
    for (String body : bad) {
      HttpResponse<String> r = post(UUID.randomUUID().toString(), "alice", body);
      assertThat(r.statusCode()).as(body).isEqualTo(400);
      assertThat(r.headers().firstValue("Content-Type")).as(body).hasValue("application/problem+json");
      JsonNode problem = json.readTree(r.body());
      assertThat(problem.get("status").asInt()).isEqualTo(400);
      assertThat(problem.get("title").asText()).isEqualTo("Bad Request");
      assertThat(problem.get("detail").asText()).isNotBlank();
    }
    assertThat(json.readTree(get("/accounts/acc-1/payments").body())).isEmpty();
  }

  @Test
  void healthAndThePageAndNotFound() throws Exception {
    assertThat(get("/health").statusCode()).isEqualTo(200);
    HttpResponse<String> page = get("/");
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
    assertThat(page.body()).containsIgnoringCase("<html");
    assertThat(get("/nothing-here.js").statusCode()).isEqualTo(404);
    assertThat(get("/../pom.xml").statusCode()).isEqualTo(404);
    assertThat(get("/accounts/acc-1").statusCode()).isEqualTo(404);
    assertThat(get("/payments/x").statusCode()).isEqualTo(404);
  }

  @Test
  void droppedAnswersCloseTheConnectionAndAreReplayedOnRetry() throws Exception {
    try (DemoServer dropping = DemoServer.start(DemoServer.Options.builder().dropAfter(1).build())) {
      String key = UUID.randomUUID().toString();
      HttpRequest request = HttpRequest.newBuilder(dropping.baseUri().resolve("/payments"))
          .header("Idempotency-Key", key)
          .POST(HttpRequest.BodyPublishers.ofString(PAYMENT))
          .build();
      assertThatThrownBy(() -> http.send(request, HttpResponse.BodyHandlers.ofString()))
          .isInstanceOf(java.io.IOException.class);
      // The payment ran and its answer was stored: the retry is a replay, which is never dropped.
      HttpResponse<String> retry = http.send(request, HttpResponse.BodyHandlers.ofString());
      assertThat(retry.statusCode()).isEqualTo(201);
      assertThat(retry.headers().firstValue("Idempotent-Replayed")).hasValue("true");
      assertThat(dropping.stats().executions()).isEqualTo(1);
      assertThat(dropping.stats().droppedAfter()).isEqualTo(1);
    }
  }

  @Test
  void failBeforeRunsNothingAndStoresNothing() throws Exception {
    try (DemoServer failing = DemoServer.start(DemoServer.Options.builder().failBefore(1).build())) {
      HttpRequest request = HttpRequest.newBuilder(failing.baseUri().resolve("/payments"))
          .header("Idempotency-Key", UUID.randomUUID().toString())
          .POST(HttpRequest.BodyPublishers.ofString(PAYMENT))
          .build();
      HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(503);
      assertThat(r.headers().firstValue("Content-Type")).hasValue("application/problem+json");
      assertThat(failing.stats().executions()).isZero();
      assertThat(failing.stats().failedBefore()).isEqualTo(1);
    }
  }

  @Test
  void memoryRecordsBoundTheStoreAndEachCallersShare() throws Exception {
    // 20 records, a tenth (2) per caller: a caller's third new key is refused before it runs.
    try (DemoServer small = DemoServer.start(DemoServer.Options.builder().memoryRecords(20).build())) {
      List<HttpResponse<String>> answers = new ArrayList<>();
      List<String> keys = List.of("r-1", "r-2", "r-3");
      for (String key : keys) {
        answers.add(http.send(HttpRequest.newBuilder(small.baseUri().resolve("/payments"))
            .header("Idempotency-Key", key)
            .header("Authorization", "Bearer small-caller")
            .POST(HttpRequest.BodyPublishers.ofString(PAYMENT))
            .build(), HttpResponse.BodyHandlers.ofString()));
      }
      assertThat(answers).extracting(HttpResponse::statusCode).containsExactly(201, 201, 503);
      assertThat(answers.get(2).headers().firstValue("Retry-After")).isPresent();
      assertThat(small.stats().executions()).isEqualTo(2);
      // Another caller has a share of its own.
      HttpResponse<String> other = http.send(HttpRequest.newBuilder(small.baseUri().resolve("/payments"))
          .header("Idempotency-Key", "r-1")
          .header("Authorization", "Bearer other-caller")
          .POST(HttpRequest.BodyPublishers.ofString(PAYMENT))
          .build(), HttpResponse.BodyHandlers.ofString());
      assertThat(other.statusCode()).isEqualTo(201);
      assertThat(small.stats().executions()).isEqualTo(3);
    }
    assertThat(DemoServer.Options.builder().build().memoryRecords()).isEqualTo(100_000);
  }

  @Test
  void optionsAreChecked() {
    assertThatThrownBy(() -> DemoServer.Options.builder().memoryRecords(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("memoryRecords");
    assertThatThrownBy(() -> DemoServer.Options.builder().failBefore(1.5)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> DemoServer.Options.builder().dropAfter(-0.1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> DemoServer.Options.builder().port(70000)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> DemoServer.Options.builder().processingDelay(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> DemoServer.Options.builder().maxConcurrentPayments(0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> DemoServer.Options.builder().maxConcurrentPayments(DemoServer.THREADS))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1 to " + DemoServer.THREADS / 2);
    assertThatThrownBy(() -> DemoServer.Options.builder().readTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> DemoServer.Options.builder().readTimeout(null))
        .isInstanceOf(NullPointerException.class).hasMessageContaining("timeout");
    assertThat(DemoServer.Options.builder().build().maxConcurrentPayments()).isEqualTo(32);
    assertThat(DemoServer.Options.builder().build().readTimeout()).isEqualTo(Duration.ofSeconds(20));
    assertThatThrownBy(() -> DemoServer.start(DemoServer.Options.builder().store("mongodb://x").build()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("redis-cluster://");
    assertThatThrownBy(() -> DemoServer.start(DemoServer.Options.builder().store("redis://nohost").build()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("HOST:PORT");
  }
}
