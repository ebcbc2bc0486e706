package dev.idempotency.examples.demo;

import static dev.idempotency.examples.demo.EndToEnd.ACTIONS;
import static dev.idempotency.examples.demo.EndToEnd.CONCURRENCY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.server.redis.RedisServerFixture;
import dev.idempotency.server.redis.RedisServerProcess;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Two server instances in front of one real redis-server, the client spreading its attempts over
 * both: every action is paid once, whichever instance ran it or replayed it.
 */
class TwoServersOneRedisTest {
  // Long enough that both servers answer many requests with Redis down, on a busy 2-core machine.
  private static final Duration OUTAGE_WAIT = Duration.ofSeconds(60);

  @Test
  void everyActionIsPaidExactlyOnceAcrossTwoServers() throws Exception {
    RedisServerProcess redis = RedisServerFixture.standalone();
    redis.flushAll();
    String store = "redis://127.0.0.1:" + redis.port();
    try (DemoServer a = DemoServer.start(EndToEnd.serverWithFaults(store, 1).build());
         DemoServer b = DemoServer.start(EndToEnd.serverWithFaults(store, 2).build())) {
      String account = "e2e-redis";
      DemoClient.Summary client = EndToEnd.runClient(List.of(a, b), account, n -> {});

      LedgerCheck ledger = EndToEnd.assertExactlyOnce(client, List.of(a, b), account);
      DemoServer.Stats total = EndToEnd.total(List.of(a, b));
      EndToEnd.report("redis, two servers", client, total, ledger);
      assertThat(total.executions()).isEqualTo(ACTIONS);
      assertThat(total.repeatsRefused()).isZero();
      // Both instances did real work: a retry often reached the other one.
      assertThat(a.stats().executions()).isPositive();
      assertThat(b.stats().executions()).isPositive();
      assertThat(client.replays()).isPositive();
    }
  }

  @Test
  void redisRestartedInTheMiddleOfTheRun() throws Exception {
    try (RedisServerProcess redis = RedisServerFixture.newStandalone()) {
      // The fixture runs Redis without persistence; a planned restart of a real store keeps its
      // data, so snapshot on shutdown (SIGTERM) and load the snapshot on start.
      redis.admin(j -> j.configSet("save", "3600 1"));
      String store = "redis://127.0.0.1:" + redis.port();
      // No fail-before fault here: every 503 of this run is the store's.
      try (DemoServer a = DemoServer.start(EndToEnd.serverWithFaults(store, 3).failBefore(0).build());
           DemoServer b = DemoServer.start(EndToEnd.serverWithFaults(store, 4).failBefore(0).build())) {
        String account = "e2e-redis-restart";
        CountDownLatch aThirdDone = new CountDownLatch(1);
        CompletableFuture<DemoClient.Summary> run = CompletableFuture.supplyAsync(() -> {
          try {
            return EndToEnd.runClient(List.of(a, b), account, n -> {
              if (n == ACTIONS / 3) aThirdDone.countDown();
            });
          } catch (InterruptedException e) {
            throw new IllegalStateException(e);
          }
        });

        assertThat(aThirdDone.await(5, TimeUnit.MINUTES)).as("a third of the actions ended").isTrue();
        redis.stop();
        long deadline = System.nanoTime() + OUTAGE_WAIT.toNanos();
        // Down until both servers answered 503 and the clients met a good number of them.
        while (a.stats().storeUnavailable() == 0 || b.stats().storeUnavailable() == 0
            || EndToEnd.total(List.of(a, b)).storeUnavailable() < CONCURRENCY) {
          assertThat(System.nanoTime()).as("both servers answered 503 while Redis was down").isLessThan(deadline);
          Thread.sleep(10);
        }
        redis.start();
        DemoClient.Summary client = run.get(5, TimeUnit.MINUTES);

        LedgerCheck ledger = EndToEnd.assertExactlyOnce(client, List.of(a, b), account);
        DemoServer.Stats total = EndToEnd.total(List.of(a, b));
        EndToEnd.report("redis restarted mid-run", client, total, ledger);
        assertThat(total.storeUnavailable()).isPositive();
        // A payment whose answer could not be stored when Redis stopped is stored by the guard
        // once Redis is back (the 5 s lease outlives the outage), so no payment that completed
        // runs again: every action's business code returned exactly once. The ledger lives in the
        // same Redis, so a ledger write cut by the outage may have been applied although the
        // payment code saw an error (it is then not counted, and the claim is released); its retry
        // finds the payment already recorded and the ledger's unique key answers with it. That is
        // the business store's own ambiguity, at most one per request in flight.
        assertThat(total.executions()).as("payment code that returned, per action").isEqualTo(ACTIONS);
        assertThat(total.repeatsRefused()).isLessThanOrEqualTo(CONCURRENCY);
      }
    }
  }
}
