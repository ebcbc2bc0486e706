package dev.idempotency.server.redis;

import static dev.idempotency.server.store.ClaimAssertions.acquiredBy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idempotency.server.store.ClaimResult;
import dev.idempotency.server.store.IdempotencyStoreUnavailableException;
import dev.idempotency.server.store.RecordId;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.exceptions.JedisException;

/**
 * One master of a cluster goes down and comes back on the same port: only the records in its
 * slots are unavailable meanwhile, and the same store serves them again afterwards.
 */
class RedisClusterOutageTest {
  private static final Duration LEASE = Duration.ofSeconds(30);

  @Test
  void aMasterDownMakesOnlyItsRecordsUnavailableUntilItIsBack() {
    try (LocalRedisCluster cluster = RedisServerFixture.newCluster(3);
        RedisClusterClient client = RedisClusterClient.builder()
            .nodes(cluster.hostAndPorts())
            .clientConfig(DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis(1_000).socketTimeoutMillis(1_000).build())
            .maxAttempts(2)
            .maxTotalRetriesDuration(Duration.ofSeconds(1))
            .build()) {
      RedisIdempotencyStore store = RedisIdempotencyStore.builder(client).build();
      RedisServerProcess down = cluster.masters().get(0);
      RecordId onDown = recordOn(cluster, down);
      RecordId elsewhere = recordOn(cluster, cluster.masters().get(1));
      assertThat(store.claim(onDown, "fp", "a", LEASE)).isInstanceOf(ClaimResult.Acquired.class);

      down.kill(); // its cluster state file stays, so it rejoins with its slots
      assertThatThrownBy(() -> store.claim(onDown, "fp", "b", LEASE))
          .isInstanceOf(IdempotencyStoreUnavailableException.class)
          .hasCauseInstanceOf(JedisException.class);
      assertThatThrownBy(() -> store.complete(onDown, "a", new byte[] {1}, LEASE))
          .isInstanceOf(IdempotencyStoreUnavailableException.class);
      // The other masters' slots keep working: the node timeout (15 s) has not failed the cluster.
      assertThat(store.claim(elsewhere, "fp", "c", LEASE)).isInstanceOf(ClaimResult.Acquired.class);

      down.start();
      cluster.awaitOk();
      // Same port, no persistence: the record is gone, and the same store claims it anew.
      assertThat(store.claim(onDown, "fp", "d", LEASE)).is(acquiredBy("d"));
      assertThat(store.complete(onDown, "d", new byte[] {2}, LEASE)).isTrue();
      assertThat(store.claim(elsewhere, "fp", "e", LEASE)).isInstanceOf(ClaimResult.InProgress.class);
    }
  }

  private static RecordId recordOn(LocalRedisCluster cluster, RedisServerProcess master) {
    for (int i = 0; ; i++) {
      RecordId id = new RecordId("ns", "", "key-" + i);
      String key = new String(new RecordKeys(RedisIdempotencyStore.DEFAULT_KEY_PREFIX).key(id), StandardCharsets.US_ASCII);
      if (cluster.nodeFor(key) == master) return id;
    }
  }
}
