/**
 * Micrometer meters for the idempotency guard and client, through their listeners:
 * {@link dev.idempotency.micrometer.GuardMetrics#of} for an {@code IdempotencyGuard},
 * {@link dev.idempotency.micrometer.ClientMetrics#of} for an {@code IdempotencyInterceptor}.
 * {@link dev.idempotency.micrometer.IdempotencyMetrics} names every meter and tag; the README's
 * section "Observability" lists them.
 *
 * <p>To feed metrics and another listener (tracing, logs) from one guard, combine them with
 * {@code IdempotencyListener.composite(...)}.
 */
package dev.idempotency.micrometer;
