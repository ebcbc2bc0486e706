package dev.idempotency.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.server.redis.RedisIdempotencyStore;
import dev.idempotency.server.redis.RedisServerFixture;
import dev.idempotency.server.redis.RedisServerProcess;
import dev.idempotency.server.store.IdempotencyStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;

/**
 * The contract over a real redis-server of this class's own (stopped and started again by the
 * outage test), from {@code idempotency.store.redis.url}; in-progress answers are 425 here.
 */
@TestPropertySource(properties = {PaymentsAppContract.NO_DATASOURCE, "idempotency.in-progress-status=425"})
class RedisStoreAppTest extends StoreOutageContract {
  static final RedisServerProcess REDIS = RedisServerFixture.newStandalone();

  @Autowired IdempotencyStore store;

  @DynamicPropertySource
  static void redis(DynamicPropertyRegistry registry) {
    registry.add("idempotency.store.type", () -> "redis");
    registry.add("idempotency.store.redis.url", () -> "redis://127.0.0.1:" + REDIS.port());
    registry.add("idempotency.store.redis.timeout", () -> "500ms");
  }

  @AfterAll
  static void close() {
    REDIS.close();
  }

  @Override
  int inProgressStatus() {
    return 425;
  }

  @Override
  void stopStore() {
    REDIS.stop();
  }

  @Override
  void startStore() {
    REDIS.start();
  }

  @Test
  void theStoreIsRedisAndWritesUnderItsPrefix() throws Exception {
    assertThat(store).isInstanceOf(RedisIdempotencyStore.class);
    send(post(key(), "{}").build());
    assertThat(REDIS.keys()).isNotEmpty().allMatch(k -> k.startsWith("idem:"));
  }
}
