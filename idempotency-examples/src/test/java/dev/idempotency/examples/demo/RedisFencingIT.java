package dev.idempotency.examples.demo;

import static dev.idempotency.examples.demo.ProcessRuns.ACTIONS;
import static dev.idempotency.examples.demo.ServerProcess.waitUntil;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.idempotency.server.redis.RedisServerFixture;
import dev.idempotency.server.redis.RedisServerProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The incident of the issue, replayed with fencing: two demo server processes on one Redis; A
 * stopped with SIGSTOP while it runs a payment, for longer than its 5 s lease; the retry reaches
 * B, which claims with a higher fencing token and pays; A resumed. A's late ledger write is refused
 * as stale and its attempt answered 503 "lost its claim": one payment, B's, and the ledger's
 * unique key never had to refuse anything. Before it, the same two servers run 500 actions under
 * the demo's faults, exactly once.
 *
 * <p>The one wait on real time is the lease: it runs on Redis's clock, so B's retry is answered
 * 409 until it has run out (about 5 s), polled, not slept. The stop must land in the payment's
 * processing time, before its ledger write (a stale owner that wrote before the new one is what
 * fencing cannot stop); the test checks it did: the process was stopped less than that time
 * after the payment was sent.
 */
class RedisFencingIT {
  // The stop must land inside this, between the payment's start and its ledger write; the test
  // fails rather than guess if the machine was too slow to stop A within it.
  private static final Duration PROCESSING = Duration.ofMillis(500);
  private static final int CONCURRENCY = 32;
  private static final Duration WAIT = Duration.ofMinutes(2);
  private static final String PROBE = "{\"account\":\"fence-probe\",\"amountCents\":4242,\"currency\":\"EUR\"}";

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final ObjectMapper json = new ObjectMapper();

  private HttpRequest probe(URI server, String key) {
    return HttpRequest.newBuilder(server.resolve("/payments"))
        .header("Idempotency-Key", key)
        .header("Authorization", "Bearer fence-probe")
        .timeout(Duration.ofMinutes(2))
        .POST(HttpRequest.BodyPublishers.ofString(PROBE))
        .build();
  }

  @Test
  void aServerPausedPastItsLeaseLosesItsLateWrite() throws Exception {
    long testStarted = System.nanoTime();
    RedisServerProcess redis = RedisServerFixture.standalone();
    redis.flushAll();
    String store = "redis://127.0.0.1:" + redis.port();
    try (ServerProcess a = ServerProcess.start("redis-a", ProcessRuns.args(store, PROCESSING));
         ServerProcess b = ServerProcess.start("redis-b", ProcessRuns.args(store, PROCESSING))) {
      // 500 actions under the demo's faults, both servers.
      String account = "redis-fence";
      ProcessRuns.ClientRun run = new ProcessRuns.ClientRun(List.of(a, b), account, ACTIONS, CONCURRENCY);
      DemoClient.Summary client = run.await();
      Duration runTime = run.elapsed();
      assertThat(client.failures()).isZero();
      LedgerCheck ledger = LedgerCheck.of(ACTIONS, client.confirmed(), DemoRun.readLedger(a.baseUri(), account));
      assertThat(ledger.duplicates()).isZero();
      assertThat(ledger.lost()).isZero();
      assertThat(ledger.payments()).isEqualTo(ACTIONS);

      // The incident. A is idle: the probe is the one payment it runs.
      waitUntil(() -> a.stats().paymentsRunning() == 0, WAIT, "A runs no payment");
      String key = UUID.randomUUID().toString();
      // The probe goes to A until A runs it: A's fail-before fault may answer 503 first.
      long sent;
      CompletableFuture<HttpResponse<String>> first;
      do {
        sent = System.nanoTime();
        first = http.sendAsync(probe(a.baseUri(), key), HttpResponse.BodyHandlers.ofString());
        CompletableFuture<HttpResponse<String>> attempt = first;
        waitUntil(() -> attempt.isDone() || a.stats().paymentsRunning() == 1, WAIT, "A runs the probe's payment");
      } while (first.isDone());
      a.pause();
      Duration toStop = Duration.ofNanos(System.nanoTime() - sent);
      // The payment started after it was sent and writes the ledger PROCESSING after it started.
      assertThat(toStop).as("A stopped within the payment's processing time, before its ledger write")
          .isLessThan(PROCESSING);

      // B's retries: 409 while A's lease lasts, then B claims (a higher token) and pays. B's own
      // faults may answer 503 before, or lose B's answer after (the next retry replays it).
      long stoppedAt = System.nanoTime();
      HttpResponse<String>[] retry = new HttpResponse[1];
      int[] inProgress = new int[1];
      waitUntil(() -> {
        try {
          retry[0] = http.send(probe(b.baseUri(), key), HttpResponse.BodyHandlers.ofString());
        } catch (java.io.IOException e) {
          return false; // an answer lost by the drop-after fault
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
        if (retry[0].statusCode() == 409) inProgress[0]++;
        return retry[0].statusCode() == 201;
      }, WAIT, "A's lease ran out and B paid", Duration.ofMillis(100));
      Duration leaseWait = Duration.ofNanos(System.nanoTime() - stoppedAt);
      String paidByB = json.readTree(retry[0].body()).get("id").asText();

      a.resume();
      HttpResponse<String> late = first.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertThat(late.statusCode()).as(late.body()).isEqualTo(503);
      assertThat(late.body()).contains("lost its claim to a newer one");
      HttpResponse<String>[] again = new HttpResponse[1];
      waitUntil(() -> {
        try {
          again[0] = http.send(probe(a.baseUri(), key), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
        return again[0].statusCode() != 503; // A's fail-before fault
      }, WAIT, "A answered the retry");
      assertThat(again[0].statusCode()).isEqualTo(201);
      assertThat(again[0].headers().firstValue("Idempotent-Replayed")).hasValue("true");
      assertThat(json.readTree(again[0].body()).get("id").asText()).isEqualTo(paidByB);

      List<Payment> probeLedger = DemoRun.readLedger(a.baseUri(), "fence-probe");
      DemoServer.Stats sa = a.stats();
      DemoServer.Stats sb = b.stats();
      DemoServer.Stats total = EndToEnd.sum(List.of(sa, sb));
      ProcessRuns.report("(c) redis, server A stopped past its lease, fencing", runTime, client, total,
          String.format("test %.1f s | ledger: payments=%d duplicates=%d lost=%d | probe: A stopped %d ms after the request,"
                  + " lease wait %.1f s, B's 409s %d, A staleRefused=%d, probe payments in ledger=%d",
              (System.nanoTime() - testStarted) / 1e9, ledger.payments(), ledger.duplicates(), ledger.lost(),
              toStop.toMillis(), leaseWait.toMillis() / 1000.0,
              inProgress[0], sa.staleRefused(), probeLedger.size()));
      assertThat(probeLedger).extracting(Payment::id).containsExactly(paidByB);
      assertThat(inProgress[0]).as("B answered 409 while A's lease lasted").isPositive();
      assertThat(sa.staleRefused()).as("A's late write, refused by fencing").isEqualTo(1);
      assertThat(sb.staleRefused()).isZero();
      assertThat(total.repeatsRefused()).as("the unique key never had to refuse").isZero();
      // Every action of the run and the probe, once each; the probe's code ran on both servers.
      assertThat(total.ledgerAccepted()).isEqualTo(ACTIONS + 1);
      assertThat(total.executions()).isEqualTo(ACTIONS + 2);
    }
  }
}
