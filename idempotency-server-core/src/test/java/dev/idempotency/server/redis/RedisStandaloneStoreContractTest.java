package dev.idempotency.server.redis;

/** The store contract, unchanged, against one standalone redis-server. */
class RedisStandaloneStoreContractTest extends AbstractRedisStoreContractTest {
  @Override
  RedisDeployment deployment() {
    return RedisServerFixture.standalone();
  }
}
