package dev.idempotency.server.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.server.store.ClaimResult;
import dev.idempotency.server.store.RecordId;
import java.time.Duration;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.JedisCluster;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.UnifiedJedis;

/** Every kind of Jedis client the README names drives the store the same way. */
class RedisClientKindsTest {
  private static final Duration TTL = Duration.ofMinutes(1);

  private static void roundTrip(RedisDeployment redis, Supplier<UnifiedJedis> clients) {
    redis.flushAll();
    try (UnifiedJedis client = clients.get()) {
      RedisIdempotencyStore store = RedisIdempotencyStore.builder(client).build();
      RecordId id = new RecordId("ns", "scope", client.getClass().getSimpleName());
      assertThat(store.claim(id, "fp", "owner", TTL)).isInstanceOf(ClaimResult.Acquired.class);
      assertThat(store.complete(id, "owner", new byte[] {1, 2, 3}, TTL)).isTrue();
      ClaimResult replay = store.claim(id, "fp", "other", TTL);
      assertThat(((ClaimResult.Completed) replay).result()).containsExactly(1, 2, 3);
    }
  }

  @Test
  void redisClient() {
    RedisServerProcess server = RedisServerFixture.standalone();
    roundTrip(server, server::newClient);
  }

  @Test
  void jedisPooled() {
    RedisServerProcess server = RedisServerFixture.standalone();
    roundTrip(server, () -> new JedisPooled(server.hostAndPort(), DefaultJedisClientConfig.builder().build()));
  }

  @Test
  void redisClusterClient() {
    LocalRedisCluster cluster = RedisServerFixture.cluster();
    roundTrip(cluster, cluster::newClient);
  }

  @Test
  void jedisCluster() {
    LocalRedisCluster cluster = RedisServerFixture.cluster();
    roundTrip(cluster, () -> new JedisCluster(cluster.hostAndPorts(), DefaultJedisClientConfig.builder().build()));
  }
}
