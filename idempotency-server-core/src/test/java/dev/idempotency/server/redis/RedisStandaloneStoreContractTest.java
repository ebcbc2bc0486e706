package dev.idempotency.server.redis;

import dev.idempotency.server.store.IdempotencyStore;
import dev.idempotency.server.store.IdempotencyStoreContract;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import redis.clients.jedis.UnifiedJedis;

/**
 * The store contract, unchanged, against one standalone redis-server.
 *
 * <p>Time passes by Redis's clock: {@link #advance} shortens the TTL of every key by that much
 * and deletes the keys whose TTL runs out, as Redis would have expired them. No test sleeps,
 * so the "short" TTL can be long enough that a stalled machine never expires a record early.
 * Real expiry by Redis is tested in {@link AbstractRedisStoreTest}.
 */
class RedisStandaloneStoreContractTest extends IdempotencyStoreContract {
  private static RedisDeployment redis;
  private static UnifiedJedis client;

  @BeforeAll
  static void startRedis() {
    redis = RedisServerFixture.standalone();
    client = redis.newClient();
  }

  @AfterAll
  static void closeClient() {
    client.close();
  }

  @BeforeEach
  void flush() {
    redis.flushAll();
  }

  @Override
  protected IdempotencyStore newStore() {
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
