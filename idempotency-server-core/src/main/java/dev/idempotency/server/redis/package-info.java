/**
 * {@link dev.idempotency.server.redis.RedisIdempotencyStore}: the idempotency store in Redis,
 * standalone or Redis Cluster, for several server instances that share one guard.
 *
 * <p>Jedis is an optional dependency of the server core: add {@code redis.clients:jedis} to use
 * this package. Nothing outside it touches Jedis.
 *
 * <p>The store refuses a Redis that may evict records ({@code maxmemory-policy} other than
 * {@code noeviction}) with {@link dev.idempotency.server.redis.UnsafeRedisSettingsException}, and
 * warns once about a Redis without persistence or one that hides its settings.
 *
 * <pre>{@code
 * try (RedisClusterClient redis = RedisClusterClient.create(Set.of(new HostAndPort("10.0.0.1", 7000)))) {
 *   IdempotencyStore store = RedisIdempotencyStore.builder(redis).keyPrefix("idem:payments:").build();
 *   ...
 * }
 * }</pre>
 */
package dev.idempotency.server.redis;
