/**
 * The store SPI ({@link dev.idempotency.server.store.IdempotencyStore}) and its in-memory
 * implementation. The Redis implementation lives in {@code dev.idempotency.server.redis}.
 */
package dev.idempotency.server.store;
