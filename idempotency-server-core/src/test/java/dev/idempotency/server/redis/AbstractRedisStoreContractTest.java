package dev.idempotency.server.redis;

import dev.idempotency.server.store.IdempotencyStore;
import dev.idempotency.server.store.IdempotencyStoreContract;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import redis.clients.jedis.UnifiedJedis;

/**
 * The store contract, unchanged, against a real Redis: {@link RedisStandaloneStoreContractTest}
 * one redis-server, {@link RedisClusterStoreContractTest} a local Redis Cluster of 3 masters (the
 * fixture shares each deployment between the test classes of a JVM).
 *
 * <p>Time passes by Redis's clock: {@link #advance} shortens the TTL of every key by that much
 * and deletes the keys whose TTL runs out, as Redis would have expired them. No test sleeps,
 * so the "short" TTL can be long enough that a stalled machine never expires a record early.
 * Real expiry by Redis is tested in {@link AbstractRedisStoreTest}.
 */
abstract class AbstractRedisStoreContractTest extends IdempotencyStoreContract {
  private RedisDeployment redis;
  private UnifiedJedis client;

  /** The deployment the contract runs against. */
  abstract RedisDeployment deployment();

  @BeforeEach
  void flush() {
    redis.flushAll();
  }

  @AfterEach
  void closeClient() {
    client.close();
  }

  @Override
  protected IdempotencyStore newStore() {
    redis = deployment();
    client = redis.newClient();
    return RedisIdempotencyStore.builder(client).build();
  }

  @Override
  protected void advance(Duration d) {
    redis.shiftTtls(d);
  }

  @Override
  protected Duration shortTtl() {
    return Duration.ofSeconds(5);
  }
}
