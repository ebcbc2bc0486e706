package dev.idempotency.server.redis;

import dev.idempotency.server.store.IdempotencyStoreUnavailableException;

/**
 * Redis is configured so that it may evict records ({@code maxmemory-policy} is not
 * {@code noeviction}), and the store refuses to serve over it. Thrown by
 * {@link RedisIdempotencyStore.Builder#build()}, or, when Redis could not be reached at build, by
 * the first call that reaches it; nothing was written. The message names the setting, its value
 * and the fix. A kind of {@link IdempotencyStoreUnavailableException}, so a guard that meets it on
 * a call fails closed (the business code does not run) and an HTTP layer answers 503.
 */
public final class UnsafeRedisSettingsException extends IdempotencyStoreUnavailableException {
  private static final long serialVersionUID = 1L;

  UnsafeRedisSettingsException(String message) {
    super(message);
  }
}
