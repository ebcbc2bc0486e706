package dev.idempotency.examples.demo;

import static dev.idempotency.examples.demo.EndToEnd.ACTIONS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.server.redis.LocalRedisCluster;
import dev.idempotency.server.redis.RedisServerFixture;
import dev.idempotency.server.redis.RedisServerProcess;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Two server instances over a real 3-master Redis Cluster, attempts spread over both. */
class RedisClusterTest {

  @Test
  void everyActionIsPaidExactlyOnceOverACluster() throws Exception {
    LocalRedisCluster cluster = RedisServerFixture.cluster();
    cluster.flushAll();
    String store = "redis-cluster://" + cluster.masters().stream()
        .map(m -> "127.0.0.1:" + m.port()).collect(Collectors.joining(","));
    try (DemoServer a = DemoServer.start(EndToEnd.serverWithFaults(store, 5).build());
         DemoServer b = DemoServer.start(EndToEnd.serverWithFaults(store, 6).build())) {
      String account = "e2e-cluster";
      DemoClient.Summary client = EndToEnd.runClient(List.of(a, b), account, n -> {});

      LedgerCheck ledger = EndToEnd.assertExactlyOnce(client, List.of(a, b), account);
      DemoServer.Stats total = EndToEnd.total(List.of(a, b));
      EndToEnd.report("redis cluster, two servers", client, total, ledger);
      assertThat(total.executions()).isEqualTo(ACTIONS);
      assertThat(total.repeatsRefused()).isZero();
      assertThat(a.stats().executions()).isPositive();
      assertThat(b.stats().executions()).isPositive();
      // The idempotency records spread over the masters (the ledger of one account is one slot).
      for (RedisServerProcess master : cluster.masters()) {
        assertThat(master.dbSize()).as("keys on %s", master).isPositive();
      }
    }
  }
}
