package dev.idempotency.server.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.server.IdempotencyGuard;
import dev.idempotency.server.store.IdempotencyStore;
import dev.idempotency.server.store.RecordId;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.RedisClusterClient;

/** The code of the README's section "redis", verbatim, so that it keeps compiling. */
class RedisReadmeExampleTest {

  @Test
  void standalone() {
    // README: standalone
    RedisClient redis = RedisClient.create("127.0.0.1", 6379);
    IdempotencyGuard guard = IdempotencyGuard.builder()
        .store(RedisIdempotencyStore.builder(redis)
            .keyPrefix("idem:payments:") // default "idem:"
            .build())
        .namespace("payments")
        .build();
    // README: end
    assertThat(guard.namespace()).isEqualTo("payments");
    guard.close();
    redis.close();
  }

  @Test
  void theKeyLayoutExample() {
    RecordId id = new RecordId("payments", "alice", "order-42");
    assertThat(new String(new RecordKeys("idem:").key(id), StandardCharsets.US_ASCII))
        .isEqualTo("idem:{585dc1byyT7nWMQVNownnlQnU39AFYM0HMLAQRFR8S8}");
  }

  /** Compiled, not run: it would connect to the hosts named. */
  static IdempotencyStore cluster() {
    // README: cluster
    RedisClusterClient redis = RedisClusterClient.create(Set.of(
        new HostAndPort("redis-1.internal", 6379),
        new HostAndPort("redis-2.internal", 6379)));
    IdempotencyStore store = RedisIdempotencyStore.builder(redis).build();
    // README: end
    return store;
  }
}
