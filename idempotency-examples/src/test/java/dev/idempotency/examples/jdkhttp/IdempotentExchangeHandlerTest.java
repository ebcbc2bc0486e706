package dev.idempotency.examples.jdkhttp;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.idempotency.server.IdempotencyGuard;
import dev.idempotency.server.http.IdempotentHttpHandler;
import dev.idempotency.server.store.InMemoryIdempotencyStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link IdempotentExchangeHandler} in a real JDK HttpServer, in front of a plain handler. */
class IdempotentExchangeHandlerTest {
  private final AtomicInteger executions = new AtomicInteger();
  private final HttpClient http = HttpClient.newHttpClient();
  private HttpServer server;
  private URI orders;

  /** A handler written as usual, with no idea of keys. */
  private void createOrder(HttpExchange exchange) throws IOException {
    byte[] request = exchange.getRequestBody().readAllBytes();
    int n = executions.incrementAndGet();
    if (new String(request, StandardCharsets.UTF_8).contains("explode")) {
      throw new IOException("the order service failed");
    }
    byte[] body = ("{\"order\":" + n + "}").getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.getResponseHeaders().add("Set-Cookie", "seen=" + n);
    // Some handlers set the length themselves too: the answer must still carry exactly one.
    exchange.getResponseHeaders().set("Content-Length", Integer.toString(body.length));
    exchange.sendResponseHeaders(201, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  @BeforeEach
  void start() throws IOException {
    // The README's snippet.
    IdempotencyGuard guard = IdempotencyGuard.builder()
        .store(new InMemoryIdempotencyStore())
        .namespace("orders")
        .build();
    IdempotentHttpHandler layer = IdempotentHttpHandler.builder(guard).build();
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/orders", new IdempotentExchangeHandler(layer, this::createOrder));
    server.start();
    orders = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/orders?dry=false");
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private HttpResponse<String> post(String key, String token, String body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(orders).POST(HttpRequest.BodyPublishers.ofString(body));
    if (key != null) request.header("Idempotency-Key", key);
    if (token != null) request.header("Authorization", "Bearer " + token);
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aRepeatIsReplayedWithoutRunningTheHandler() throws Exception {
    String key = UUID.randomUUID().toString();
    HttpResponse<String> first = post(key, "alice", "{\"item\":1}");
    HttpResponse<String> second = post(key, "alice", "{\"item\":1}");

    assertThat(executions).hasValue(1);
    assertThat(first.statusCode()).isEqualTo(201);
    assertThat(first.headers().firstValue("Idempotent-Replayed")).isEmpty();
    assertThat(first.headers().firstValue("Set-Cookie")).hasValue("seen=1");
    assertThat(first.headers().allValues("Content-Length")).containsExactly("11");
    assertThat(second.statusCode()).isEqualTo(201);
    assertThat(second.body()).isEqualTo(first.body()).isEqualTo("{\"order\":1}");
    assertThat(second.headers().firstValue("Idempotent-Replayed")).hasValue("true");
    assertThat(second.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(second.headers().firstValue("Set-Cookie")).isEmpty();
  }

  @Test
  void theSameKeyFromTwoCallersIsTwoActions() throws Exception {
    String key = UUID.randomUUID().toString();
    HttpResponse<String> alice = post(key, "alice", "{\"item\":1}");
    HttpResponse<String> bob = post(key, "bob", "{\"item\":1}");
    HttpResponse<String> anonymous = post(key, null, "{\"item\":1}");

    assertThat(executions).hasValue(3);
    assertThat(alice.body()).isEqualTo("{\"order\":1}");
    assertThat(bob.body()).isEqualTo("{\"order\":2}");
    assertThat(anonymous.body()).isEqualTo("{\"order\":3}");
  }

  @Test
  void aHandlerThatThrowsGets500AndARetryRunsItAgain() throws Exception {
    String key = UUID.randomUUID().toString();
    HttpResponse<String> failed = post(key, "alice", "{\"explode\":true}");
    HttpResponse<String> retried = post(key, "alice", "{\"explode\":true}");

    assertThat(failed.statusCode()).isEqualTo(500);
    assertThat(retried.statusCode()).isEqualTo(500);
    assertThat(executions).hasValue(2);
  }

  @Test
  void aMissingKeyIs400AndRunsNothing() throws Exception {
    HttpResponse<String> missing = post(null, "alice", "{\"item\":1}");

    assertThat(missing.statusCode()).isEqualTo(400);
    assertThat(missing.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    assertThat(missing.body()).contains("idempotency-key-missing");
    assertThat(executions).hasValue(0);
  }

  @Test
  void aChunkedBodyIsTheSameRequestAsAFixedLengthOne() throws Exception {
    String key = UUID.randomUUID().toString();
    String body = "{\"item\":7}";
    HttpResponse<String> fixed = post(key, "alice", body);
    // No length known up front: the client sends it chunked.
    HttpRequest chunked = HttpRequest.newBuilder(orders)
        .header("Idempotency-Key", key)
        .header("Authorization", "Bearer alice")
        .POST(HttpRequest.BodyPublishers.ofInputStream(
            () -> new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8))))
        .build();
    HttpResponse<String> repeat = http.send(chunked, HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> other = post(key, "alice", "{\"item\":8}");

    assertThat(fixed.statusCode()).isEqualTo(201);
    assertThat(repeat.statusCode()).isEqualTo(201);
    assertThat(repeat.headers().firstValue("Idempotent-Replayed")).hasValue("true");
    assertThat(repeat.body()).isEqualTo(fixed.body());
    assertThat(other.statusCode()).isEqualTo(422);
    assertThat(executions).hasValue(1);
  }

  @Test
  void aBodyOverTheLimitIs413AndRunsNothing() throws Exception {
    IdempotencyGuard guard = IdempotencyGuard.builder()
        .store(new InMemoryIdempotencyStore())
        .namespace("small")
        .build();
    IdempotentHttpHandler layer = IdempotentHttpHandler.builder(guard).maxBodyBytes(8).build();
    server.createContext("/small", new IdempotentExchangeHandler(layer, this::createOrder));
    URI small = orders.resolve("/small");

    HttpResponse<String> fits = http.send(HttpRequest.newBuilder(small)
        .header("Idempotency-Key", UUID.randomUUID().toString())
        .POST(HttpRequest.BodyPublishers.ofString("12345678")).build(), HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> over = http.send(HttpRequest.newBuilder(small)
        .header("Idempotency-Key", UUID.randomUUID().toString())
        .POST(HttpRequest.BodyPublishers.ofString("123456789")).build(), HttpResponse.BodyHandlers.ofString());

    assertThat(fits.statusCode()).isEqualTo(201);
    assertThat(over.statusCode()).isEqualTo(413);
    assertThat(over.body()).contains("idempotency-request-too-large");
    assertThat(executions).hasValue(1);
  }

  @Test
  void theScopeIsTheBearerToken() throws Exception {
    server.createContext("/scope", exchange -> {
      byte[] b = IdempotentExchangeHandler.bearerToken(exchange).getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, b.length == 0 ? -1 : b.length);
      exchange.getResponseBody().write(b);
      exchange.close();
    });
    URI scope = orders.resolve("/scope");

    assertThat(get(scope, "bearer  tok-9 ")).isEqualTo("tok-9");
    assertThat(get(scope, "Basic dTpw")).isEmpty();
    assertThat(get(scope, null)).isEmpty();
  }

  private String get(URI uri, String authorization) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri);
    if (authorization != null) request.header("Authorization", authorization);
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString()).body();
  }
}
