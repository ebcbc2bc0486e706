package dev.idempotency.server.redis;

/** {@link AbstractRedisStoreTest} against one standalone redis-server. */
class RedisStandaloneStoreTest extends AbstractRedisStoreTest {
  @Override
  RedisDeployment deployment() {
    return RedisServerFixture.standalone();
  }
}
