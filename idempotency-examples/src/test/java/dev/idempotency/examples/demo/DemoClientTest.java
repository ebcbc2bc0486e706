package dev.idempotency.examples.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The demo client is code users copy: after the SDK reports {@code Succeeded} the action's key is
 * gone, so nothing the client does with the answer may start the action again. Against a real
 * HTTP server (the JDK's) that counts, per action, the keys it was sent and the requests of each
 * key: every key's first request is answered 503, the next 201.
 */
class DemoClientTest {
  private static final int ACTIONS = 12;
  private static final ObjectMapper JSON = new ObjectMapper();

  private HttpServer server;
  private final Map<Long, Set<String>> keysPerAmount = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> requestsPerKey = new ConcurrentHashMap<>();
  private final AtomicInteger payments = new AtomicInteger();

  @AfterEach
  void stop() {
    if (server != null) server.stop(0);
  }

  @Test
  void anAnswerWithAFieldTheClientDoesNotKnow_isReadAndEachActionPaysOnce() throws Exception {
    start((amount, id) -> "{\"id\":\"" + id + "\",\"account\":\"acc-1\",\"amountCents\":" + amount
        + ",\"currency\":\"EUR\",\"receiptUrl\":\"https://example.test/r/" + id + "\"}");

    DemoClient.Summary summary = DemoClient.run(options());

    assertOneKeyPerActionAndOneRetryPerKey();
    assertThat(summary.confirmed()).hasSize(ACTIONS);
    assertThat(summary.failures()).isZero();
    assertThat(summary.unreadableAnswers()).isZero();
    assertThat(summary.allConfirmed()).isTrue();
  }

  @Test
  void anAnswerThatCannotBeRead_isAFailure_notANewTryOfTheAction() throws Exception {
    // A 201 no tolerant reader can turn into a Payment: the payment ran, the SDK forgot the key.
    start((amount, id) -> "<html>paid " + id + "</html>");

    DemoClient.Summary summary = DemoClient.run(options());

    assertOneKeyPerActionAndOneRetryPerKey();
    assertThat(payments).as("payments the server made").hasValue(ACTIONS);
    assertThat(summary.unreadableAnswers()).isEqualTo(ACTIONS);
    assertThat(summary.failures()).isEqualTo(ACTIONS);
    assertThat(summary.confirmed()).isEmpty();
    assertThat(summary.allConfirmed()).isFalse();
    assertThat(summary.format()).containsPattern("unreadable answers +" + ACTIONS + "\\R");
  }

  private void assertOneKeyPerActionAndOneRetryPerKey() {
    assertThat(keysPerAmount).as("actions seen by the server").hasSize(ACTIONS);
    keysPerAmount.forEach((amount, keys) ->
        assertThat(keys).as("keys sent for the action paying %d cents", amount).hasSize(1));
    requestsPerKey.forEach((key, n) ->
        assertThat(n.get()).as("requests with one key: the 503 and its retry").isEqualTo(2));
  }

  private DemoClient.Options options() {
    URI base = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    return DemoClient.Options.builder(List.of(base)).actions(ACTIONS).concurrency(4).build();
  }

  /** A payments endpoint whose 201 carries {@code answer.apply(amountCents, paymentId)}. */
  private void start(BiFunction<Long, String, String> answer) throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/payments", exchange -> {
      try (exchange) {
        JsonNode body = JSON.readTree(exchange.getRequestBody().readAllBytes());
        long amount = body.get("amountCents").asLong();
        String key = exchange.getRequestHeaders().getFirst("Idempotency-Key");
        keysPerAmount.computeIfAbsent(amount, a -> ConcurrentHashMap.newKeySet()).add(key);
        int n = requestsPerKey.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
        if (n == 1) {
          send(exchange, 503, "application/problem+json", "{\"status\":503}");
        } else {
          send(exchange, 201, "application/json", answer.apply(amount, "p-" + payments.incrementAndGet()));
        }
      }
    });
    server.start();
  }

  private static void send(HttpExchange exchange, int status, String type, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }
}
