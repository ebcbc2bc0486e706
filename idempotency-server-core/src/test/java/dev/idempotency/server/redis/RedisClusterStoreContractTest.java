package dev.idempotency.server.redis;

/** The store contract, unchanged, against a local Redis Cluster of 3 masters. */
class RedisClusterStoreContractTest extends AbstractRedisStoreContractTest {
  @Override
  RedisDeployment deployment() {
    return RedisServerFixture.cluster();
  }
}
