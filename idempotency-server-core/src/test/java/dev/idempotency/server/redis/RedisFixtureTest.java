package dev.idempotency.server.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
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
  void theBinaryIsRedisServerEnvThenThePathThenTheEmbeddedOne(@TempDir Path dir) throws IOException {
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Path onPath = Files.createFile(bin.resolve("redis-server"));
    assertThat(onPath.toFile().setExecutable(true)).isTrue();
    String path = dir.resolve("empty") + File.pathSeparator + bin;

    assertThat(RedisServerFixture.choose("/opt/redis/bin/redis-server", path))
        .isEqualTo(Path.of("/opt/redis/bin/redis-server"));
    assertThat(RedisServerFixture.choose(null, path)).isEqualTo(onPath);
    assertThat(RedisServerFixture.choose("", path)).isEqualTo(onPath);
    assertThat(RedisServerFixture.choose(null, dir.resolve("empty").toString())).isNull();
    assertThat(RedisServerFixture.choose(null, null)).isNull();
  }

  /** The fresh-machine path, tested even where a redis-server is installed. */
  @Test
  void theEmbeddedBinaryRuns() {
    try (RedisServerProcess server = RedisServerFixture.newStandalone(RedisServerFixture.extractEmbedded())) {
      assertThat(server.ping()).isEqualTo("PONG");
      assertThat(server.version()).startsWith("6.2.");
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
