package dev.idempotency.examples.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.server.http.RawHttp;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * The demo server under slow clients, over real sockets: connections that send their headers a
 * byte at a time, bodies that stop halfway, payments that take their time. Whatever they do,
 * {@code /health}, the ledger and other callers keep being answered. Every wait is on an event
 * (a server-side count, a connection closed); the timeouts only bound a test that goes wrong.
 */
class SlowClientsTest {
  private static final String PAYMENT = "{\"account\":\"acc-1\",\"amountCents\":1250,\"currency\":\"EUR\"}";
  // The numbers: 70 connections were enough to block every request of the old server.
  private static final int SLOW_CONNECTIONS = 70;
  private static final int SLOW_PAYMENTS = 64;
  // Bounds on a test that goes wrong, never measures of speed.
  private static final Duration ANSWER_WITHIN = Duration.ofSeconds(30);
  private static final long GIVE_UP_NANOS = TimeUnit.SECONDS.toNanos(60);

  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void seventyConnectionsSendingTheirHeadersSlowlyLeaveEveryoneElseAnswered() throws Exception {
    // A read timeout far beyond the test: the slow connections hold their threads throughout.
    try (DemoServer server = DemoServer.start(DemoServer.Options.builder().readTimeout(Duration.ofMinutes(10)).build())) {
      List<RawHttp> slow = new ArrayList<>();
      try {
        for (int i = 0; i < SLOW_CONNECTIONS; i++) slow.add(RawHttp.connect(server.port()).send("GET /health HTTP/1.1\r\nHo"));
        waitUntil(() -> server.requestsReadingHeaders() == SLOW_CONNECTIONS, "every slow request on a thread");
        for (RawHttp c : slow) c.send("s");

        assertThat(get(server, "/health").statusCode()).isEqualTo(200);
        assertThat(get(server, "/accounts/acc-1/payments").statusCode()).isEqualTo(200);
        assertThat(pay(server, UUID.randomUUID().toString()).statusCode()).isEqualTo(201);
        assertThat(get(server, "/").statusCode()).isEqualTo(200);
        // Still there, still being read: served alongside, not after them.
        assertThat(server.requestsReadingHeaders()).isEqualTo(SLOW_CONNECTIONS);
      } finally {
        for (RawHttp c : slow) c.close();
      }
    }
  }

  @Test
  void aClientThatTakesLongerThanTheReadTimeoutIsCutEvenIfItKeepsSending() throws Exception {
    try (DemoServer server = DemoServer.start(DemoServer.Options.builder().readTimeout(Duration.ofMillis(200)).build())) {
      List<RawHttp> stalled = new ArrayList<>();
      try (RawHttp trickling = RawHttp.connect(server.port())) {
        for (int i = 0; i < SLOW_CONNECTIONS; i++) stalled.add(RawHttp.connect(server.port()).send("GET /health HTTP/1.1\r\nHo"));
        // One more that never stops: a byte of an endless header every few milliseconds.
        trickling.send("GET /health HTTP/1.1\r\nX-Slow: ");
        AtomicBoolean cut = new AtomicBoolean();
        Thread trickle = new Thread(() -> {
          try {
            while (true) {
              trickling.send("a");
              LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
            }
          } catch (IOException e) {
            cut.set(true);
          }
        }, "trickle");
        trickle.setDaemon(true);
        trickle.start();

        for (RawHttp c : stalled) assertThat(c.closedByServer()).isTrue();
        assertThat(trickling.closedByServer()).isTrue();
        trickle.join(GIVE_UP_NANOS / 1_000_000);
        assertThat(cut).isTrue();
      } finally {
        for (RawHttp c : stalled) c.close();
      }
      assertThat(server.stats().slowClients()).isGreaterThanOrEqualTo(SLOW_CONNECTIONS + 1);
      waitUntil(() -> server.requestsReadingHeaders() == 0, "no request left being read");
      assertThat(get(server, "/health").statusCode()).isEqualTo(200);
    }
  }

  @Test
  void aPaymentWhoseBodyStopsHalfwayIsCutAndRunsNothing() throws Exception {
    try (DemoServer server = DemoServer.start(DemoServer.Options.builder().readTimeout(Duration.ofMillis(200)).build())) {
      String key = UUID.randomUUID().toString();
      try (RawHttp client = RawHttp.connect(server.port())) {
        client.send("POST /payments HTTP/1.1\r\nHost: test\r\nIdempotency-Key: " + key
            + "\r\nContent-Length: " + PAYMENT.length() + "\r\n\r\n" + PAYMENT.substring(0, 10));
        assertThat(client.closedByServer()).isTrue();
      }

      assertThat(server.stats().executions()).isZero();
      assertThat(server.stats().slowClients()).isEqualTo(1);
      // Nothing was claimed: the whole request with the same key is a first run, not "in progress".
      assertThat(pay(server, key).statusCode()).isEqualTo(201);
      assertThat(server.stats().executions()).isEqualTo(1);
    }
  }

  @Test
  void aBodyNobodyReadsButThatNeverComesIsCutToo() throws Exception {
    try (DemoServer server = DemoServer.start(DemoServer.Options.builder().readTimeout(Duration.ofMillis(200)).build())) {
      try (RawHttp client = RawHttp.connect(server.port())) {
        // /health ignores the body; the JDK server drains what is left of it after the answer,
        // waiting on the client for it: that wait is timed as well.
        client.send("GET /health HTTP/1.1\r\nHost: test\r\nContent-Length: 1000\r\n\r\n");
        assertThat(client.readResponse().status()).isEqualTo(200);
        assertThat(client.closedByServer()).isTrue();
      }
      assertThat(server.stats().slowClients()).isEqualTo(1);
    }
  }

  @Test
  void sixtyFourSlowPaymentsGetThirtyTwoRunningAndThirtyTwo503sAndHealthStillAnswers() throws Exception {
    DemoServer.Options options = DemoServer.Options.builder()
        .processingDelay(Duration.ofMinutes(10))
        .maxConcurrentPayments(32)
        .build();
    try (DemoServer server = DemoServer.start(options)) {
      List<CompletableFuture<HttpResponse<String>>> payments = new ArrayList<>();
      for (int i = 0; i < SLOW_PAYMENTS; i++) payments.add(payAsync(server, UUID.randomUUID().toString()));
      waitUntil(() -> server.paymentsInFlight() == 32 && server.stats().busy() == SLOW_PAYMENTS - 32,
          "32 payments running, 32 refused");
      waitUntil(() -> payments.stream().filter(CompletableFuture::isDone).count() == SLOW_PAYMENTS - 32,
          "the refused ones answered");

      List<HttpResponse<String>> refused = new ArrayList<>();
      for (CompletableFuture<HttpResponse<String>> p : payments) {
        if (p.isDone()) refused.add(p.get());
      }
      assertThat(refused).hasSize(SLOW_PAYMENTS - 32);
      for (HttpResponse<String> r : refused) {
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/problem+json");
      }

      assertThat(get(server, "/health").statusCode()).isEqualTo(200);
      assertThat(get(server, "/accounts/acc-1/payments").body()).isEqualTo("[]");
      HttpResponse<String> oneMore = pay(server, UUID.randomUUID().toString());
      assertThat(oneMore.statusCode()).isEqualTo(503);
      assertThat(server.stats().executions()).isZero();
      assertThat(server.paymentsInFlight()).isEqualTo(32);
    }
  }

  @Test
  void withEveryThreadTakenANewConnectionIsClosedAndServiceResumesWhenTheyGo() throws Exception {
    try (DemoServer server = DemoServer.start(DemoServer.Options.builder().readTimeout(Duration.ofMinutes(10)).build())) {
      List<RawHttp> slow = new ArrayList<>();
      try {
        for (int i = 0; i < DemoServer.THREADS; i++) slow.add(RawHttp.connect(server.port()).send("GET /health HTTP/1.1\r\nHo"));
        waitUntil(() -> server.requestsReadingHeaders() == DemoServer.THREADS, "every thread reading a slow request");

        try (RawHttp refused = RawHttp.connect(server.port())) {
          refused.send("GET /health HTTP/1.1\r\nHost: test\r\n\r\n");
          assertThat(refused.closedByServer()).isTrue();
        }
        assertThat(server.stats().refused()).isEqualTo(1);
      } finally {
        for (RawHttp c : slow) c.close();
      }
      waitUntil(() -> server.requestsReadingHeaders() == 0, "the slow requests gone");
      assertThat(get(server, "/health").statusCode()).isEqualTo(200);
    }
  }

  private HttpResponse<String> get(DemoServer server, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(server.baseUri().resolve(path)).timeout(ANSWER_WITHIN).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> pay(DemoServer server, String key) throws Exception {
    return payAsync(server, key).get();
  }

  private CompletableFuture<HttpResponse<String>> payAsync(DemoServer server, String key) {
    HttpRequest request = HttpRequest.newBuilder(server.baseUri().resolve("/payments"))
        .timeout(ANSWER_WITHIN)
        .header("Idempotency-Key", key)
        .POST(HttpRequest.BodyPublishers.ofString(PAYMENT))
        .build();
    return http.sendAsync(request, HttpResponse.BodyHandlers.ofString());
  }

  private static void waitUntil(BooleanSupplier condition, String what) {
    long giveUp = System.nanoTime() + GIVE_UP_NANOS;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - giveUp > 0) throw new AssertionError("gave up waiting for " + what);
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
    }
  }
}
