package dev.idempotency.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.server.IdempotencyGuard;
import dev.idempotency.server.http.IdempotencyHttpLayer;
import dev.idempotency.server.http.RawHttp;
import dev.idempotency.server.store.InMemoryIdempotencyStore;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link IdempotencyFilter} in a real embedded Jetty 12, in front of a payment servlet. */
class IdempotencyFilterJettyTest {
  private final AtomicInteger executions = new AtomicInteger();
  private final HttpClient http = HttpClient.newHttpClient();
  private Server jetty;
  private int port;
  private URI payments;

  /** A payment servlet that knows nothing of keys; it counts how often it really runs. */
  final class PaymentServlet extends HttpServlet {
    @Override
    protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException {
      String body = new String(req.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      int n = executions.incrementAndGet();
      resp.setStatus(201);
      resp.setContentType("application/json");
      resp.setHeader("Location", "/payments/" + n);
      resp.addCookie(new jakarta.servlet.http.Cookie("session", "s" + n));
      byte[] answer = ("{\"id\":\"pay-" + n + "\",\"request\":" + body + "}").getBytes(StandardCharsets.UTF_8);
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
      resp.getWriter().write("executions=" + executions.get());
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

  private static final int LIMIT = 16 * 1024;
  private static final long BIG = 64L * 1024 * 1024;
  private final AtomicLong pulled = new AtomicLong();
  private final AtomicReference<ServletInputStream> countedStream = new AtomicReference<>();

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

  @BeforeEach
  void startJetty() throws Exception {
    // The README's snippet: one guard, one layer, the filter mapped in front of the servlet.
    IdempotencyGuard guard = IdempotencyGuard.builder()
        .store(new InMemoryIdempotencyStore())
        .namespace("payments")
        .build();
    IdempotencyHttpLayer layer = IdempotencyHttpLayer.builder(guard).build();
    ServletContextHandler context = new ServletContextHandler();
    context.addFilter(new FilterHolder(new IdempotencyFilter(layer)), "/payments/*",
        EnumSet.of(DispatcherType.REQUEST));
    context.addServlet(new ServletHolder(new PaymentServlet()), "/payments/*");

    // The same servlet behind a LIMIT-byte body limit, and a filter in front of it all that counts
    // the body bytes read from the container's own stream.
    IdempotencyHttpLayer limited = IdempotencyHttpLayer.builder(guard).maxBodyBytes(LIMIT).build();
    context.addFilter(new FilterHolder(new CountingFilter()), "/limited/*", EnumSet.of(DispatcherType.REQUEST));
    context.addFilter(new FilterHolder(new IdempotencyFilter(limited)), "/limited/*",
        EnumSet.of(DispatcherType.REQUEST));
    context.addServlet(new ServletHolder(new PaymentServlet()), "/limited/*");

    jetty = new Server();
    ServerConnector connector = new ServerConnector(jetty);
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    jetty.addConnector(connector);
    jetty.setHandler(context);
    jetty.start();
    port = connector.getLocalPort();
    payments = URI.create("http://127.0.0.1:" + port + "/payments");
  }

  @AfterEach
  void stopJetty() throws Exception {
    jetty.stop();
  }

  private HttpResponse<String> post(String key, String body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(payments)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (key != null) request.header("Idempotency-Key", key);
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void twoPostsWithOneKeyRunTheServletOnceAndReplayTheFirstAnswer() throws Exception {
    String key = UUID.randomUUID().toString();
    String body = "{\"account\":\"acc-1\",\"amountCents\":1250,\"currency\":\"EUR\"}";

    HttpResponse<String> first = post(key, body);
    HttpResponse<String> second = post(key, body);

    assertThat(executions).hasValue(1);
    assertThat(first.statusCode()).isEqualTo(201);
    assertThat(first.headers().firstValue("Idempotent-Replayed")).isEmpty();
    assertThat(first.headers().allValues("Content-Length")).containsExactly(Integer.toString(first.body().length()));
    assertThat(first.headers().firstValue("Set-Cookie").orElseThrow()).startsWith("session=s1");
    assertThat(second.statusCode()).isEqualTo(201);
    assertThat(second.headers().firstValue("Idempotent-Replayed")).hasValue("true");
    assertThat(second.body()).isEqualTo(first.body()).isEqualTo("{\"id\":\"pay-1\",\"request\":" + body + "}");
    assertThat(second.headers().firstValue("Location")).hasValue("/payments/1");
    assertThat(second.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/json");
    // A session cookie belongs to the first caller's moment: never stored, never replayed.
    assertThat(second.headers().firstValue("Set-Cookie")).isEmpty();
  }

  @Test
  void aNewKeyRunsTheServletAgain() throws Exception {
    String body = "{\"account\":\"acc-1\",\"amountCents\":1250,\"currency\":\"EUR\"}";
    post(UUID.randomUUID().toString(), body);
    HttpResponse<String> other = post(UUID.randomUUID().toString(), body);

    assertThat(executions).hasValue(2);
    assertThat(other.body()).contains("pay-2");
  }

  @Test
  void theKeyReusedForAnotherBodyIs422AndRunsNothing() throws Exception {
    String key = UUID.randomUUID().toString();
    post(key, "{\"amountCents\":1}");
    HttpResponse<String> reused = post(key, "{\"amountCents\":2}");

    assertThat(executions).hasValue(1);
    assertThat(reused.statusCode()).isEqualTo(422);
    assertThat(reused.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    assertThat(reused.body()).contains("idempotency-key-reused");
  }

  @Test
  void aPostWithoutKeyIs400AndRunsNothing() throws Exception {
    HttpResponse<String> missing = post(null, "{}");

    assertThat(executions).hasValue(0);
    assertThat(missing.statusCode()).isEqualTo(400);
    assertThat(missing.body()).contains("idempotency-key-missing");
  }

  @Test
  void aGetPassesThroughToTheServlet() throws Exception {
    HttpResponse<String> get = http.send(HttpRequest.newBuilder(payments).build(), HttpResponse.BodyHandlers.ofString());

    assertThat(get.statusCode()).isEqualTo(200);
    assertThat(get.body()).isEqualTo("executions=0");
  }

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
      // Jetty answers a body cut short itself (400, early end of the stream); the servlet never ran.
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
