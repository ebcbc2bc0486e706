package dev.idempotency.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.server.IdempotencyGuard;
import dev.idempotency.server.http.IdempotencyHttpLayer;
import dev.idempotency.server.http.RawHttp;
import dev.idempotency.server.redis.RedisIdempotencyStore;
import dev.idempotency.server.store.IdempotencyStore;
import dev.idempotency.server.store.InMemoryIdempotencyStore;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.Servlet;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.Principal;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.RedisClient;

/**
 * {@link IdempotencyFilter} in a real servlet container, in front of a payment servlet that knows
 * nothing of keys: every row of the contract's server table over HTTP, the body limit counted in
 * bytes read from the container's own stream, and what a servlet may do with the request and the
 * response it is handed. One suite, run in every container by a subclass, as the store contract
 * suite runs on every store: the containers must be indistinguishable through the filter.
 */
abstract class IdempotencyFilterContract {
  private static final int LIMIT = 16 * 1024;
  private static final long BIG = 64L * 1024 * 1024;
  private static final String PAYMENT = "{\"account\":\"acc-1\",\"amountCents\":1250,\"currency\":\"EUR\"}";

  /** A container to deploy filters and servlets into, each by URL pattern, in the order added. */
  interface Container {
    void addFilter(String name, Filter filter, String pattern);

    void addServlet(String name, Servlet servlet, String pattern);

    /** Starts on a free loopback port, and returns it. */
    int start() throws Exception;

    void stop() throws Exception;
  }

  /** A new, empty container whose files (if it has any) go under {@code directory}. */
  abstract Container newContainer(Path directory);

  private final AtomicInteger executions = new AtomicInteger();
  private final List<Long> fencingTokens = new CopyOnWriteArrayList<>();
  private final CountDownLatch holding = new CountDownLatch(1);
  private final CountDownLatch release = new CountDownLatch(1);
  private final AtomicLong pulled = new AtomicLong();
  private final AtomicReference<ServletInputStream> countedStream = new AtomicReference<>();
  private final HttpClient http = HttpClient.newHttpClient();
  private final List<IdempotencyGuard> guards = new ArrayList<>();
  private RedisClient unreachableRedis;
  private Container container;
  private int port;

  /**
   * The payment servlet. A body with "explode" makes it throw, "fail" answer 503 itself, "hold" wait
   * until the test releases it, "redirect" answer with a redirect; a form is read by parameters.
   */
  final class PaymentServlet extends HttpServlet {
    @Override
    protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException, ServletException {
      String body = req.getContentType() != null && req.getContentType().startsWith("application/x-www-form-urlencoded")
          ? "form:amount=" + req.getParameter("amount") + ",note=" + req.getParameter("note") + ",dry=" + req.getParameter("dry")
          : new String(req.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      int n = executions.incrementAndGet();
      fencingTokens.add(IdempotencyFilter.claim(req).fencingToken());
      if (body.contains("explode")) throw new ServletException("the payment service failed");
      if (body.contains("fail")) {
        resp.setStatus(503);
        resp.getWriter().write("try later");
        return;
      }
      if (body.contains("hold")) hold();
      if (body.contains("redirect")) {
        resp.getWriter().write("discarded by the redirect");
        resp.sendRedirect("/payments/" + n, 303);
        return;
      }
      resp.setStatus(201);
      resp.setContentType("application/json");
      resp.setHeader("Location", "/payments/" + n);
      resp.addCookie(new Cookie("session", "s" + n));
      byte[] answer = ("{\"id\":\"pay-" + n + "\",\"request\":\"" + body.replace("\"", "'") + "\"}")
          .getBytes(StandardCharsets.UTF_8);
      resp.setHeader("Content-Length", Integer.toString(answer.length));
      resp.getOutputStream().write(answer);
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
      if (req.getRequestURI().startsWith("/limited")) {
        streamed(req, resp);
        return;
      }
      resp.setContentType("text/plain");
      resp.getWriter().write("executions=" + executions.get() + " token=" + IdempotencyFilter.claim(req).fencingToken());
    }

    private void hold() throws IOException {
      holding.countDown();
      try {
        release.await();
      } catch (InterruptedException e) {
        throw new InterruptedIOException();
      }
    }

    /** Reads the body as it comes and says what had been read before, and from which stream. */
    private void streamed(HttpServletRequest req, HttpServletResponse resp) throws IOException {
      long before = pulled.get();
      boolean own = req.getInputStream() == countedStream.get();
      long read = 0;
      byte[] buffer = new byte[8192];
      for (int n; (n = req.getInputStream().read(buffer)) > 0; ) read += n;
      resp.setContentType("text/plain");
      resp.getWriter().write("before=" + before + " own=" + own + " read=" + read);
    }
  }

  /** Reads the body as many servlets do: a fresh getInputStream() call for every read. */
  final class PiecewiseServlet extends HttpServlet {
    @Override
    protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException {
      int n = executions.incrementAndGet();
      long read = 0;
      byte[] buffer = new byte[4];
      // Bounded, so that a stream that starts over every call fails the test instead of looping.
      for (int got; read <= 4 * LIMIT && (got = req.getInputStream().read(buffer)) > 0; ) read += got;
      resp.setStatus(201);
      resp.getWriter().write("pay-" + n + " read=" + read);
    }
  }

  /** Hands on the request with its body stream counting what is read from the container's. */
  final class CountingFilter extends HttpFilter {
    @Override
    protected void doFilter(HttpServletRequest req, HttpServletResponse res, FilterChain chain)
        throws IOException, ServletException {
      ServletInputStream container = req.getInputStream();
      ServletInputStream counting = new ServletInputStream() {
        @Override
        public int read() throws IOException {
          int b = container.read();
          if (b >= 0) pulled.incrementAndGet();
          return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
          int n = container.read(b, off, len);
          if (n > 0) pulled.addAndGet(n);
          return n;
        }

        @Override
        public boolean isFinished() {
          return container.isFinished();
        }

        @Override
        public boolean isReady() {
          return container.isReady();
        }

        @Override
        public void setReadListener(ReadListener listener) {
          container.setReadListener(listener);
        }
      };
      countedStream.set(counting);
      chain.doFilter(new HttpServletRequestWrapper(req) {
        @Override
        public ServletInputStream getInputStream() {
          return counting;
        }
      }, res);
    }
  }

  /** Stands for the application's authentication: the principal is the X-User header, if any. */
  static final class HeaderAuthentication extends HttpFilter {
    @Override
    protected void doFilter(HttpServletRequest req, HttpServletResponse res, FilterChain chain)
        throws IOException, ServletException {
      String user = req.getHeader("X-User");
      chain.doFilter(user == null ? req : new HttpServletRequestWrapper(req) {
        @Override
        public Principal getUserPrincipal() {
          return () -> user;
        }
      }, res);
    }
  }

  @BeforeEach
  void deploy(@TempDir Path directory) throws Exception {
    container = newContainer(directory);
    // The README's lines: one guard, one layer, the filter mapped in front of the servlet; in front
    // of it, authentication, whose principal is the filter's default scope.
    IdempotencyHttpLayer layer = IdempotencyHttpLayer.builder(guard(new InMemoryIdempotencyStore())).build();
    container.addFilter("authentication", new HeaderAuthentication(), "/payments/*");
    container.addFilter("idempotency", new IdempotencyFilter(layer), "/payments/*");
    container.addServlet("payments", new PaymentServlet(), "/payments/*");

    // The same servlet behind a LIMIT-byte body limit, and a filter in front of it all that counts
    // the body bytes read from the container's own stream.
    IdempotencyHttpLayer limited = IdempotencyHttpLayer.builder(guard(new InMemoryIdempotencyStore()))
        .maxBodyBytes(LIMIT).build();
    container.addFilter("counting", new CountingFilter(), "/limited/*");
    container.addFilter("idempotency-limited", new IdempotencyFilter(limited), "/limited/*");
    container.addServlet("limited", new PaymentServlet(), "/limited/*");

    container.addFilter("idempotency-piecewise", new IdempotencyFilter(limited), "/piecewise/*");
    container.addServlet("piecewise", new PiecewiseServlet(), "/piecewise/*");

    // A Redis store on a port nobody listens on: the store that cannot be reached.
    unreachableRedis = RedisClient.create("127.0.0.1", freePort());
    IdempotencyHttpLayer unreachable = IdempotencyHttpLayer.builder(
        guard(RedisIdempotencyStore.builder(unreachableRedis).build())).build();
    container.addFilter("idempotency-unreachable", new IdempotencyFilter(unreachable), "/unreachable/*");
    container.addServlet("unreachable", new PaymentServlet(), "/unreachable/*");

    port = container.start();
  }

  private IdempotencyGuard guard(IdempotencyStore store) {
    IdempotencyGuard guard = IdempotencyGuard.builder().store(store).namespace("payments").build();
    guards.add(guard);
    return guard;
  }

  @AfterEach
  void stop() throws Exception {
    release.countDown();
    container.stop();
    guards.forEach(IdempotencyGuard::close);
    unreachableRedis.close();
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

  private HttpResponse<String> post(String key, String body) throws Exception {
    return post("/payments", key, null, body);
  }

  private HttpResponse<String> post(String path, String key, String user, String body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri(path))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (key != null) request.header("Idempotency-Key", key);
    if (user != null) request.header("X-User", user);
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(uri(path)).build(), HttpResponse.BodyHandlers.ofString());
  }

  /** A loopback port nobody listens on (bound, then let go). */
  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  // The contract's server table, row by row.

  @Test
  void twoPostsWithOneKeyRunTheServletOnceAndReplayTheFirstAnswer() throws Exception {
    String key = UUID.randomUUID().toString();

    HttpResponse<String> first = post(key, PAYMENT);
    HttpResponse<String> second = post(key, PAYMENT);

    assertThat(executions).hasValue(1);
    assertThat(first.statusCode()).isEqualTo(201);
    assertThat(first.headers().firstValue("Idempotent-Replayed")).isEmpty();
    assertThat(first.headers().allValues("Content-Length")).containsExactly(Integer.toString(first.body().length()));
    assertThat(first.headers().firstValue("Set-Cookie").orElseThrow()).startsWith("session=s1");
    assertThat(second.statusCode()).isEqualTo(201);
    assertThat(second.headers().firstValue("Idempotent-Replayed")).hasValue("true");
    assertThat(second.body()).isEqualTo(first.body())
        .isEqualTo("{\"id\":\"pay-1\",\"request\":\"" + PAYMENT.replace("\"", "'") + "\"}");
    assertThat(second.headers().firstValue("Location")).hasValue("/payments/1");
    assertThat(second.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/json");
    assertThat(second.headers().allValues("Content-Length")).containsExactly(Integer.toString(second.body().length()));
    // A session cookie belongs to the first caller's moment: never stored, never replayed.
    assertThat(second.headers().firstValue("Set-Cookie")).isEmpty();
  }

  @Test
  void aNewKeyRunsTheServletAgain() throws Exception {
    post(UUID.randomUUID().toString(), PAYMENT);
    HttpResponse<String> other = post(UUID.randomUUID().toString(), PAYMENT);

    assertThat(executions).hasValue(2);
    assertThat(other.body()).contains("pay-2");
  }

  @Test
  void theServletGetsTheClaimItWonAndAGetGetsNone() throws Exception {
    post(UUID.randomUUID().toString(), PAYMENT);
    post(UUID.randomUUID().toString(), PAYMENT);

    assertThat(fencingTokens).hasSize(2).allSatisfy(token -> assertThat(token).isPositive());
    assertThat(fencingTokens.get(1)).isGreaterThan(fencingTokens.get(0));
    assertThat(get("/payments").body()).isEqualTo("executions=2 token=0");
  }

  @Test
  void theSameKeyFromTwoPrincipalsIsTwoActions() throws Exception {
    String key = UUID.randomUUID().toString();
    HttpResponse<String> alice = post("/payments", key, "alice", PAYMENT);
    HttpResponse<String> bob = post("/payments", key, "bob", PAYMENT);
    HttpResponse<String> anonymous = post("/payments", key, null, PAYMENT);
    HttpResponse<String> aliceAgain = post("/payments", key, "alice", PAYMENT);

    assertThat(executions).hasValue(3);
    assertThat(List.of(alice.body(), bob.body(), anonymous.body()))
        .allSatisfy(b -> assertThat(b).startsWith("{\"id\":\"pay-")).doesNotHaveDuplicates();
    assertThat(aliceAgain.body()).isEqualTo(alice.body());
    assertThat(aliceAgain.headers().firstValue("Idempotent-Replayed")).hasValue("true");
  }

  @Test
  void aPostWithoutKeyIs400AndRunsNothing() throws Exception {
    HttpResponse<String> missing = post(null, PAYMENT);

    assertThat(executions).hasValue(0);
    assertThat(missing.statusCode()).isEqualTo(400);
    assertThat(missing.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    assertThat(missing.body()).contains("idempotency-key-missing");
  }

  @Test
  void aMalformedKeyIs400AndRunsNothing() throws Exception {
    HttpResponse<String> empty = post("", PAYMENT);
    HttpResponse<String> tooLong = post("k".repeat(256), PAYMENT);

    assertThat(empty.statusCode()).isEqualTo(400);
    assertThat(empty.body()).contains("idempotency-key-invalid");
    assertThat(tooLong.statusCode()).isEqualTo(400);
    assertThat(tooLong.body()).contains("idempotency-key-invalid");
    assertThat(executions).hasValue(0);
  }

  @Test
  void theKeyReusedForAnotherRequestIs422AndRunsNothing() throws Exception {
    String key = UUID.randomUUID().toString();
    post(key, "{\"amountCents\":1}");
    HttpResponse<String> otherBody = post(key, "{\"amountCents\":2}");
    HttpResponse<String> otherQuery = post("/payments?dry=true", key, null, "{\"amountCents\":1}");

    assertThat(executions).hasValue(1);
    assertThat(otherBody.statusCode()).isEqualTo(422);
    assertThat(otherBody.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    assertThat(otherBody.body()).contains("idempotency-key-reused");
    assertThat(otherQuery.statusCode()).isEqualTo(422);
  }

  @Test
  void aRepeatWhileTheFirstRunsIs409WithRetryAfterAndThenTheReplay() throws Exception {
    String key = UUID.randomUUID().toString();
    CompletableFuture<HttpResponse<String>> first = http.sendAsync(
        HttpRequest.newBuilder(uri("/payments")).header("Idempotency-Key", key)
            .POST(HttpRequest.BodyPublishers.ofString("{\"hold\":1}")).build(),
        HttpResponse.BodyHandlers.ofString());
    // A bound on a test gone wrong, not a measure of speed.
    assertThat(holding.await(1, TimeUnit.MINUTES)).as("the first request reached the servlet").isTrue();

    HttpResponse<String> during = post(key, "{\"hold\":1}");
    release.countDown();
    // The repeat goes once the first has been answered (its record is stored by then): sent right
    // after the release, it raced the first call's completion and was sometimes answered 409.
    HttpResponse<String> firstAnswer = first.get(1, TimeUnit.MINUTES);
    HttpResponse<String> after = post(key, "{\"hold\":1}");

    assertThat(during.statusCode()).isEqualTo(409);
    assertThat(during.body()).contains("idempotency-request-in-progress");
    assertThat(during.headers().firstValue("Retry-After"))
        .hasValueSatisfying(s -> assertThat(Long.parseLong(s)).isPositive());
    assertThat(firstAnswer.statusCode()).isEqualTo(201);
    assertThat(after.headers().firstValue("Idempotent-Replayed")).hasValue("true");
    assertThat(after.body()).isEqualTo(firstAnswer.body());
    assertThat(executions).hasValue(1);
  }

  @Test
  void aStoreThatCannotBeReachedIs503WithRetryAfterAndRunsNothing() throws Exception {
    HttpResponse<String> answer = post("/unreachable", UUID.randomUUID().toString(), null, PAYMENT);

    assertThat(answer.statusCode()).isEqualTo(503);
    assertThat(answer.body()).contains("idempotency-store-unavailable");
    assertThat(answer.headers().firstValue("Retry-After")).isPresent();
    assertThat(executions).hasValue(0);
  }

  @Test
  void aServletThatAnswers5xxIsNotStoredAndARetryRunsItAgain() throws Exception {
    String key = UUID.randomUUID().toString();
    HttpResponse<String> failed = post(key, "{\"fail\":true}");
    HttpResponse<String> retried = post(key, "{\"fail\":true}");

    assertThat(failed.statusCode()).isEqualTo(503);
    assertThat(failed.body()).isEqualTo("try later");
    assertThat(retried.statusCode()).isEqualTo(503);
    assertThat(retried.headers().firstValue("Idempotent-Replayed")).isEmpty();
    assertThat(executions).hasValue(2);
  }

  @Test
  void aServletThatThrowsIsA500AndARetryRunsItAgain() throws Exception {
    String key = UUID.randomUUID().toString();
    HttpResponse<String> failed = post(key, "{\"explode\":true}");
    HttpResponse<String> retried = post(key, "{\"explode\":true}");

    assertThat(failed.statusCode()).isEqualTo(500);
    assertThat(retried.statusCode()).isEqualTo(500);
    assertThat(executions).hasValue(2);
  }

  @Test
  void aGetPassesThroughToTheServlet() throws Exception {
    HttpResponse<String> get = get("/payments");

    assertThat(get.statusCode()).isEqualTo(200);
    assertThat(get.body()).isEqualTo("executions=0 token=0");
  }

  // What a servlet may do with the request and the response it is handed.

  @Test
  void aServletThatCallsGetInputStreamForEveryReadReadsTheBodyOnce() throws Exception {
    String key = UUID.randomUUID().toString();
    HttpResponse<String> first = post("/piecewise", key, null, PAYMENT);
    HttpResponse<String> second = post("/piecewise", key, null, PAYMENT);

    assertThat(first.statusCode()).isEqualTo(201);
    assertThat(first.body()).isEqualTo("pay-1 read=" + PAYMENT.length());
    assertThat(second.body()).isEqualTo(first.body());
    assertThat(executions).hasValue(1);
  }

  @Test
  void aFormBodyReachesTheServletAsParametersAfterTheQueryString() throws Exception {
    String key = UUID.randomUUID().toString();
    HttpRequest form = HttpRequest.newBuilder(uri("/payments?dry=no"))
        .header("Idempotency-Key", key)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString("amount=1250&note=caf%C3%A9+au+lait&dry=yes"))
        .build();
    HttpResponse<String> first = http.send(form, HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> second = http.send(form, HttpResponse.BodyHandlers.ofString());

    assertThat(first.statusCode()).isEqualTo(201);
    assertThat(first.body()).contains("form:amount=1250,note=café au lait,dry=no");
    assertThat(second.headers().firstValue("Idempotent-Replayed")).hasValue("true");
    assertThat(second.body()).isEqualTo(first.body());
    assertThat(executions).hasValue(1);
  }

  @Test
  void aRedirectIsCapturedStoredAndReplayed() throws Exception {
    String key = UUID.randomUUID().toString();
    HttpResponse<String> first = post(key, "{\"redirect\":true}");
    HttpResponse<String> second = post(key, "{\"redirect\":true}");

    assertThat(first.statusCode()).isEqualTo(303);
    assertThat(first.headers().firstValue("Location").orElseThrow()).endsWith("/payments/1");
    assertThat(first.body()).doesNotContain("discarded");
    assertThat(second.statusCode()).isEqualTo(303);
    assertThat(second.headers().firstValue("Location")).isEqualTo(first.headers().firstValue("Location"));
    assertThat(second.headers().firstValue("Idempotent-Replayed")).hasValue("true");
    assertThat(executions).hasValue(1);
  }

  // The body limit, and what is read of a body.

  @Test
  void a64MiBChunkedBodyIs413AfterReadingTheLimitPlusOneByte() throws Exception {
    RawHttp.Response answer;
    try (RawHttp client = RawHttp.connect(port)) {
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
    RawHttp.Response answer;
    try (RawHttp client = RawHttp.connect(port)) {
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
    RawHttp.Response answer;
    try (RawHttp client = RawHttp.connect(port)) {
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
    try (RawHttp client = RawHttp.connect(port)) {
      client.send("POST /limited HTTP/1.1\r\nHost: test\r\nIdempotency-Key: short-1\r\n"
          + "Content-Length: 100\r\n\r\n");
      client.sendBytes(50);
      client.shutdownOutput();
      // Jetty and Tomcat both answer a body cut short themselves: 400, an early end of the stream.
      assertThat(client.readResponse().status()).isEqualTo(400);
    }
    assertThat(executions).hasValue(0);

    try (RawHttp client = RawHttp.connect(port)) {
      client.send("POST /limited HTTP/1.1\r\nHost: test\r\nIdempotency-Key: short-1\r\n"
          + "Content-Length: 100\r\n\r\n");
      client.sendBytes(100);
      assertThat(client.readResponse().status()).isEqualTo(201);
    }
    assertThat(executions).hasValue(1);
  }

  @Test
  void aGetStreamsThroughToTheServletOnTheContainersOwnStream() throws Exception {
    RawHttp.Response answer;
    try (RawHttp client = RawHttp.connect(port)) {
      client.send("GET /limited/x HTTP/1.1\r\nHost: test\r\nContent-Length: " + BIG + "\r\n\r\n");
      client.sendInBackground(c -> c.sendBytes(BIG));
      answer = client.readResponse();
    }

    assertThat(answer.status()).isEqualTo(200);
    assertThat(answer.body()).isEqualTo("before=0 own=true read=" + BIG);
  }
}
