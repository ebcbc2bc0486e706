package dev.idempotency.server.redis;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.RedisClusterClient;

class RedisFixtureTest {

  @Test
  void standaloneAnswersAndSurvivesARestartOnTheSamePort() {
    try (RedisServerProcess server = RedisServerFixture.newStandalone()) {
      int port = server.port();
      assertThat(server.ping()).isEqualTo("PONG");
      server.stop();
      assertThat(server.isRunning()).isFalse();
      server.start();
      assertThat(server.port()).isEqualTo(port);
      assertThat(server.ping()).isEqualTo("PONG");
    }
  }

  @Test
  void clusterOfThreeMastersServesEverySlot() {
    LocalRedisCluster cluster = RedisServerFixture.cluster();
    assertThat(cluster.masters()).hasSize(3);
    for (RedisServerProcess node : cluster.masters()) {
      String info = node.admin(Jedis::clusterInfo);
      assertThat(RedisServerProcess.infoField(info, "cluster_state")).isEqualTo("ok");
      assertThat(RedisServerProcess.infoField(info, "cluster_slots_ok")).isEqualTo("16384");
    }
    try (RedisClusterClient client = cluster.newClient()) {
      for (int i = 0; i < 100; i++) client.set("k" + i, "v" + i);
      for (int i = 0; i < 100; i++) assertThat(client.get("k" + i)).isEqualTo("v" + i);
    }
    System.out.println("redis-server " + cluster.masters().get(0).version() + " from " + RedisServerFixture.binarySource());
  }
}
