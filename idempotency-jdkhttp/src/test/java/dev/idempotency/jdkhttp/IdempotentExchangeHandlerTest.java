package dev.idempotency.jdkhttp;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import dev.idempotency.contract.ReadmeSnippets;
import dev.idempotency.server.IdempotencyGuard;
import dev.idempotency.server.IdempotencyListener;
import dev.idempotency.server.http.IdempotencyHttpLayer;
import dev.idempotency.server.http.RawHttp;
import dev.idempotency.server.redis.RedisIdempotencyStore;
import dev.idempotency.server.store.InMemoryIdempotencyStore;
import dev.idempotency.server.store.RecordId;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.RedisClient;

/**
 * {@link IdempotentExchangeHandler} in a real JDK HttpServer, in front of a plain handler: each row
 * of the contract's server table over HTTP, the default scope, and what is read of a body.
 */
class IdempotentExchangeHandlerTest {
  private final AtomicInteger executions = new AtomicInteger();
  private final List<Long> fencingTokens = new CopyOnWriteArrayList<>();
  private final CountDownLatch holding = new CountDownLatch(1);
  private final CountDownLatch release = new CountDownLatch(1);
  private final HttpClient http = HttpClient.newHttpClient();
  private ExecutorService executor;
  private HttpServer server;
  private URI orders;

  /**
   * A handler written as usual, with no idea of keys. A body with "explode" makes it throw, "fail"
   * answer 503 itself, "hold" wait until the test releases it.
   */
  private void createOrder(HttpExchange exchange) throws IOException {
    String request = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    int n = executions.incrementAndGet();
    fencingTokens.add(IdempotentExchangeHandler.claim(exchange).fencingToken());
    if (request.contains("explode")) {
      throw new IOException("the order service failed");
    }
    if (request.contains("fail")) {
      exchange.sendResponseHeaders(503, -1);
      return;
    }
    if (request.contains("hold")) {
      holding.countDown();
      try {
        release.await();
      } catch (InterruptedException e) {
        throw new InterruptedIOException();
      }
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
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    // README: jdk httpserver
    IdempotencyGuard guard = IdempotencyGuard.builder()
        .store(new InMemoryIdempotencyStore())
        .namespace("orders")
        .build();
    IdempotencyHttpLayer layer = IdempotencyHttpLayer.builder(guard).build();
    server.createContext("/orders", new IdempotentExchangeHandler(layer, this::createOrder));
    // README: end
    // A thread per request, so a second request is answered while a first one is held.
    executor = Executors.newCachedThreadPool();
    server.setExecutor(executor);
    server.start();
    orders = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/orders?dry=false");
  }

  @AfterEach
  void stop() {
    release.countDown();
    server.stop(0);
    executor.shutdownNow();
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
  void theReadmeShowsTheSetUp() {
    assertThat(ReadmeSnippets.assertReadmeShows(
            Path.of("src/test/java/dev/idempotency/jdkhttp/IdempotentExchangeHandlerTest.java"),
            Path.of("../README.md")))
        .containsExactly("jdk httpserver");
  }

  @Test
  void theHandlerGetsTheClaimItWonAndAGetGetsNone() throws Exception {
    post(UUID.randomUUID().toString(), "alice", "{\"item\":1}");
    post(UUID.randomUUID().toString(), "alice", "{\"item\":2}");
    server.createContext("/claim", new IdempotentExchangeHandler(layer(), exchange -> {
      byte[] b = Long.toString(IdempotentExchangeHandler.claim(exchange).fencingToken()).getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, b.length);
      exchange.getResponseBody().write(b);
      exchange.close();
    }));

    assertThat(fencingTokens).hasSize(2).allSatisfy(token -> assertThat(token).isPositive());
    assertThat(fencingTokens.get(1)).isGreaterThan(fencingTokens.get(0));
    assertThat(get(orders.resolve("/claim"), null)).isEqualTo("0");
  }

  /**
   * Overlapping requests each keep their own claim: the JDK 17 server keeps an exchange's
   * attributes in its context, shared by every request on it, so a claim put there would be
   * overwritten by the next request's (seen in the demo: 16 overlapping payments written under one
   * transaction's claim).
   */
  @Test
  void overlappingRequestsEachSeeTheirOwnClaim() throws Exception {
    server.createContext("/overlap", new IdempotentExchangeHandler(layer(), exchange -> {
      String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      long before = IdempotentExchangeHandler.claim(exchange).fencingToken();
      if (body.contains("hold")) {
        holding.countDown();
        try {
          release.await();
        } catch (InterruptedException e) {
          throw new InterruptedIOException();
        }
      }
      byte[] b = (before + "," + IdempotentExchangeHandler.claim(exchange).fencingToken()).getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(201, b.length);
      exchange.getResponseBody().write(b);
      exchange.close();
    }));
    URI overlap = orders.resolve("/overlap");
    java.util.concurrent.CompletableFuture<HttpResponse<String>> held = http.sendAsync(
        HttpRequest.newBuilder(overlap).header("Idempotency-Key", UUID.randomUUID().toString())
            .POST(HttpRequest.BodyPublishers.ofString("hold")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(holding.await(30, TimeUnit.SECONDS)).isTrue();
    String second = http.send(HttpRequest.newBuilder(overlap).header("Idempotency-Key", UUID.randomUUID().toString())
        .POST(HttpRequest.BodyPublishers.ofString("go")).build(), HttpResponse.BodyHandlers.ofString()).body();
    release.countDown();
    String first = held.get(30, TimeUnit.SECONDS).body();

    String[] f = first.split(",");
    String[] g = second.split(",");
    assertThat(f[1]).as("the held request's claim after the other one ran").isEqualTo(f[0]);
    assertThat(g[1]).isEqualTo(g[0]);
    assertThat(f[0]).isNotEqualTo(g[0]);
  }

  @Test
  void aMalformedKeyIs400AndRunsNothing() throws Exception {
    HttpResponse<String> empty = post("", "alice", "{\"item\":1}");
    HttpResponse<String> tooLong = post("k".repeat(256), "alice", "{\"item\":1}");

    assertThat(empty.statusCode()).isEqualTo(400);
    assertThat(empty.body()).contains("idempotency-key-invalid");
    assertThat(tooLong.statusCode()).isEqualTo(400);
    assertThat(tooLong.body()).contains("idempotency-key-invalid");
    assertThat(executions).hasValue(0);
  }

  @Test
  void theKeyReusedForAnotherRequestIs422AndRunsNothing() throws Exception {
    String key = UUID.randomUUID().toString();
    post(key, "alice", "{\"item\":1}");
    HttpResponse<String> reused = post(key, "alice", "{\"item\":2}");

    assertThat(reused.statusCode()).isEqualTo(422);
    assertThat(reused.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    assertThat(reused.body()).contains("idempotency-key-reused");
    assertThat(executions).hasValue(1);
  }

  @Test
  void aRepeatWhileTheFirstRunsIs409WithRetryAfterAndThenTheReplay() throws Exception {
    String key = UUID.randomUUID().toString();
    CompletableFuture<HttpResponse<String>> first = http.sendAsync(
        HttpRequest.newBuilder(orders).header("Idempotency-Key", key)
            .POST(HttpRequest.BodyPublishers.ofString("{\"hold\":1}")).build(),
        HttpResponse.BodyHandlers.ofString());
    // A bound on a test gone wrong, not a measure of speed.
    assertThat(holding.await(1, TimeUnit.MINUTES)).as("the first request reached the handler").isTrue();

    HttpResponse<String> during = post(key, null, "{\"hold\":1}");
    release.countDown();
    // The repeat goes once the first has been answered (its record is stored by then): sent right
    // after the release, it would race the first call's completion.
    HttpResponse<String> firstAnswer = first.get(1, TimeUnit.MINUTES);
    HttpResponse<String> after = post(key, null, "{\"hold\":1}");

    assertThat(during.statusCode()).isEqualTo(409);
    assertThat(during.body()).contains("idempotency-request-in-progress");
    assertThat(during.headers().firstValue("Retry-After")).hasValueSatisfying(s -> assertThat(Long.parseLong(s)).isPositive());
    assertThat(firstAnswer.statusCode()).isEqualTo(201);
    assertThat(after.headers().firstValue("Idempotent-Replayed")).hasValue("true");
    assertThat(after.body()).isEqualTo(firstAnswer.body());
    assertThat(executions).hasValue(1);
  }

  @Test
  void aStoreThatCannotBeReachedIs503WithRetryAfterAndRunsNothing() throws Exception {
    try (RedisClient nobody = RedisClient.create("127.0.0.1", freePort())) {
      IdempotencyGuard guard = IdempotencyGuard.builder()
          .store(RedisIdempotencyStore.builder(nobody).build())
          .namespace("unreachable")
          .build();
      server.createContext("/unreachable",
          new IdempotentExchangeHandler(IdempotencyHttpLayer.builder(guard).build(), this::createOrder));
      HttpResponse<String> answer = http.send(HttpRequest.newBuilder(orders.resolve("/unreachable"))
          .header("Idempotency-Key", UUID.randomUUID().toString())
          .POST(HttpRequest.BodyPublishers.ofString("{\"item\":1}")).build(), HttpResponse.BodyHandlers.ofString());

      assertThat(answer.statusCode()).isEqualTo(503);
      assertThat(answer.body()).contains("idempotency-store-unavailable");
      assertThat(answer.headers().firstValue("Retry-After")).isPresent();
      assertThat(executions).hasValue(0);
      guard.close();
    }
  }

  @Test
  void aHandlerThatAnswers5xxIsNotStoredAndARetryRunsItAgain() throws Exception {
    String key = UUID.randomUUID().toString();
    HttpResponse<String> failed = post(key, "alice", "{\"fail\":true}");
    HttpResponse<String> retried = post(key, "alice", "{\"fail\":true}");

    assertThat(failed.statusCode()).isEqualTo(503);
    assertThat(retried.statusCode()).isEqualTo(503);
    assertThat(retried.headers().firstValue("Idempotent-Replayed")).isEmpty();
    assertThat(executions).hasValue(2);
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
    IdempotencyHttpLayer layer = IdempotencyHttpLayer.builder(guard).maxBodyBytes(8).build();
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
  void basicNoneAndAnEmptyBearerAreThreeScopes() throws Exception {
    String key = UUID.randomUUID().toString();
    String[] callers = {"Basic dTpw", null, "Bearer", "Bearer alice"};
    List<String> firsts = new ArrayList<>();
    for (String authorization : callers) firsts.add(postAs(key, authorization).body());
    List<HttpResponse<String>> repeats = new ArrayList<>();
    for (String authorization : callers) repeats.add(postAs(key, authorization));

    // Four callers, four actions: no caller is handed another's stored answer.
    assertThat(executions).hasValue(4);
    assertThat(firsts).containsExactly("{\"order\":1}", "{\"order\":2}", "{\"order\":3}", "{\"order\":4}");
    for (int i = 0; i < callers.length; i++) {
      assertThat(repeats.get(i).body()).as(callers[i]).isEqualTo(firsts.get(i));
      assertThat(repeats.get(i).headers().firstValue("Idempotent-Replayed")).as(callers[i]).hasValue("true");
    }
  }

  @Test
  void theDefaultScopeIsADigestOfTheCredentialNeverTheTokenItself() throws Exception {
    List<String> scopes = new CopyOnWriteArrayList<>();
    IdempotencyGuard guard = IdempotencyGuard.builder()
        .store(new InMemoryIdempotencyStore())
        .namespace("heard")
        .listener(new IdempotencyListener() {
          @Override
          public void executed(RecordId id) {
            scopes.add(id.scope());
          }
        })
        .build();
    server.createContext("/heard", new IdempotentExchangeHandler(IdempotencyHttpLayer.builder(guard).build(), this::createOrder));
    HttpRequest request = HttpRequest.newBuilder(orders.resolve("/heard"))
        .header("Idempotency-Key", UUID.randomUUID().toString())
        .header("Authorization", "Bearer tok-secret-42")
        .POST(HttpRequest.BodyPublishers.ofString("{}"))
        .build();
    assertThat(http.send(request, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(201);

    byte[] digest = MessageDigest.getInstance("SHA-256").digest("Bearer tok-secret-42".getBytes(StandardCharsets.UTF_8));
    assertThat(scopes).containsExactly("credential:" + Base64.getUrlEncoder().withoutPadding().encodeToString(digest));
    assertThat(scopes.get(0)).doesNotContain("tok-secret-42");
  }

  @Test
  void credentialScopeTakesTheWholeHeaderWhateverItsScheme() throws Exception {
    server.createContext("/scope", exchange -> {
      byte[] b = IdempotentExchangeHandler.credentialScope(exchange).getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, b.length == 0 ? -1 : b.length);
      exchange.getResponseBody().write(b);
      exchange.close();
    });
    URI scope = orders.resolve("/scope");

    assertThat(get(scope, null)).isEmpty();
    List<String> scopes = new ArrayList<>();
    for (String authorization : List.of("Bearer tok-9", "bearer tok-9", "Bearer", "Basic dTpw", "Basic dTpx")) {
      String s = get(scope, authorization);
      assertThat(s).as(authorization).startsWith("credential:").doesNotContain("tok-9").doesNotContain("dTpw");
      scopes.add(s);
    }
    assertThat(scopes).doesNotHaveDuplicates();
    assertThat(get(scope, "Bearer tok-9")).isEqualTo(scopes.get(0));
  }

  private static IdempotencyHttpLayer layer() {
    return IdempotencyHttpLayer.builder(IdempotencyGuard.builder()
        .store(new InMemoryIdempotencyStore())
        .namespace("other")
        .build()).build();
  }

  /** A loopback port nobody listens on (bound, then let go). */
  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private HttpResponse<String> postAs(String key, String authorization) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(orders)
        .header("Idempotency-Key", key)
        .POST(HttpRequest.BodyPublishers.ofString("{\"item\":1}"));
    if (authorization != null) request.header("Authorization", authorization);
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private String get(URI uri, String authorization) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri);
    if (authorization != null) request.header("Authorization", authorization);
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString()).body();
  }

  // The body limit, and what is read of a body: counted by a filter in front of the handler that
  // wraps the exchange's own request stream, so the count is what the integration pulled.

  private static final int LIMIT = 16 * 1024;
  private static final long BIG = 64L * 1024 * 1024;
  private final AtomicLong pulled = new AtomicLong();
  private final AtomicReference<InputStream> countedStream = new AtomicReference<>();
  private final AtomicReference<HttpExchange> countedExchange = new AtomicReference<>();

  /** A context at {@code path}: a layer with a LIMIT-byte body limit, the bytes it reads counted. */
  private void limited(String path, HttpHandler handler) {
    IdempotencyGuard guard = IdempotencyGuard.builder()
        .store(new InMemoryIdempotencyStore())
        .namespace("limited")
        .build();
    IdempotencyHttpLayer layer = IdempotencyHttpLayer.builder(guard).maxBodyBytes(LIMIT).build();
    server.createContext(path, new IdempotentExchangeHandler(layer, handler)).getFilters().add(new Filter() {
      @Override
      public void doFilter(HttpExchange exchange, Chain chain) throws IOException {
        InputStream counting = new FilterInputStream(exchange.getRequestBody()) {
          @Override
          public int read() throws IOException {
            int b = super.read();
            if (b >= 0) pulled.incrementAndGet();
            return b;
          }

          @Override
          public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) pulled.addAndGet(n);
            return n;
          }

          @Override
          public long skip(long n) throws IOException {
            long skipped = super.skip(n);
            pulled.addAndGet(skipped);
            return skipped;
          }
        };
        exchange.setStreams(counting, null);
        countedStream.set(counting);
        countedExchange.set(exchange);
        chain.doFilter(exchange);
      }

      @Override
      public String description() {
        return "counts the request body bytes read";
      }
    });
  }

  private int port() {
    return server.getAddress().getPort();
  }

  @Test
  void a64MiBChunkedBodyIs413AfterReadingTheLimitPlusOneByte() throws Exception {
    limited("/limited", this::createOrder);
    RawHttp.Response answer;
    try (RawHttp client = RawHttp.connect(port())) {
      client.send("POST /limited HTTP/1.1\r\nHost: test\r\nIdempotency-Key: big-1\r\n"
          + "Transfer-Encoding: chunked\r\n\r\n");
      client.sendInBackground(c -> c.sendChunked(BIG));
      answer = client.readResponse();
    }

    assertThat(answer.status()).isEqualTo(413);
    assertThat(pulled.get()).as("body bytes read").isLessThanOrEqualTo(LIMIT + 1);
    assertThat(executions).hasValue(0);
    assertThat(answer.body()).contains("idempotency-request-too-large");
    assertThat(answer.header("Connection")).hasValue("close");
  }

  @Test
  void aContentLengthOverTheLimitIs413WithoutWaitingForTheBodyItAnnounces() throws Exception {
    limited("/limited", this::createOrder);
    RawHttp.Response answer;
    try (RawHttp client = RawHttp.connect(port())) {
      // A terabyte announced, four times the limit sent, then nothing: the answer must not wait.
      client.send("POST /limited HTTP/1.1\r\nHost: test\r\nIdempotency-Key: big-2\r\n"
          + "Content-Length: 1099511627776\r\n\r\n");
      client.sendBytes(4 * LIMIT);
      answer = client.readResponse();
    }

    assertThat(answer.status()).isEqualTo(413);
    assertThat(pulled.get()).as("body bytes read").isLessThanOrEqualTo(LIMIT + 1);
    assertThat(executions).hasValue(0);
    assertThat(answer.header("Connection")).hasValue("close");
  }

  @Test
  void aPostWithoutKeyIs400BeforeAnyByteOfItsBodyIsRead() throws Exception {
    limited("/limited", this::createOrder);
    RawHttp.Response answer;
    try (RawHttp client = RawHttp.connect(port())) {
      client.send("POST /limited HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n");
      client.sendInBackground(c -> c.sendChunked(BIG));
      answer = client.readResponse();
    }

    assertThat(answer.status()).isEqualTo(400);
    assertThat(pulled).as("body bytes read").hasValue(0);
    assertThat(executions).hasValue(0);
    assertThat(answer.body()).contains("idempotency-key-missing");
    assertThat(answer.header("Connection")).hasValue("close");
  }

  @Test
  void aBodyShorterThanItsContentLengthRunsNothingAndLeavesTheKeyFree() throws Exception {
    limited("/limited", this::createOrder);
    try (RawHttp client = RawHttp.connect(port())) {
      client.send("POST /limited HTTP/1.1\r\nHost: test\r\nIdempotency-Key: short-1\r\n"
          + "Content-Length: 100\r\n\r\n");
      client.sendBytes(50);
      client.shutdownOutput();
      assertThat(client.closedByServer()).isTrue();
    }
    assertThat(executions).hasValue(0);

    try (RawHttp client = RawHttp.connect(port())) {
      client.send("POST /limited HTTP/1.1\r\nHost: test\r\nIdempotency-Key: short-1\r\n"
          + "Content-Length: 100\r\n\r\n");
      client.sendBytes(100);
      assertThat(client.readResponse().status()).isEqualTo(201);
    }
    assertThat(executions).hasValue(1);
  }

  @Test
  void bytesBeyondTheContentLengthAreNeverPartOfTheBody() throws Exception {
    limited("/limited", this::createOrder);
    try (RawHttp client = RawHttp.connect(port())) {
      // Ten bytes announced, more sent: the server ends the body at ten and reads the rest as the
      // next request, which is no request at all.
      client.send("POST /limited HTTP/1.1\r\nHost: test\r\nIdempotency-Key: long-1\r\n"
          + "Content-Length: 10\r\n\r\n{\"item\":1}explode me\r\n\r\n");
      RawHttp.Response first = client.readResponse();
      RawHttp.Response next = client.readResponse();

      assertThat(first.status()).isEqualTo(201);
      assertThat(next.status()).isEqualTo(400);
    }
    assertThat(pulled).hasValue(10);
    assertThat(executions).hasValue(1);
  }

  @Test
  void aGetStreamsThroughWithTheServersOwnExchangeAndNothingBuffered() throws Exception {
    limited("/stream", exchange -> {
      // What the integration read before the handler ran, and whether this is the server's exchange.
      long before = pulled.get();
      boolean own = exchange == countedExchange.get() && exchange.getRequestBody() == countedStream.get();
      long read = 0;
      byte[] buffer = new byte[8192];
      for (int n; (n = exchange.getRequestBody().read(buffer)) > 0; ) read += n;
      byte[] answer = ("before=" + before + " own=" + own + " read=" + read).getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, answer.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(answer);
      }
    });
    RawHttp.Response answer;
    try (RawHttp client = RawHttp.connect(port())) {
      client.send("GET /stream HTTP/1.1\r\nHost: test\r\nContent-Length: " + BIG + "\r\n\r\n");
      client.sendInBackground(c -> c.sendBytes(BIG));
      answer = client.readResponse();
    }

    assertThat(answer.status()).isEqualTo(200);
    assertThat(answer.body()).isEqualTo("before=0 own=true read=" + BIG);
  }
}
