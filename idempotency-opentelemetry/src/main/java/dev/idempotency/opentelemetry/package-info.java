/**
 * OpenTelemetry span attributes and events for the idempotency guard and client, through their
 * listeners: {@link dev.idempotency.opentelemetry.GuardTracing#create} for an
 * {@code IdempotencyGuard}, {@link dev.idempotency.opentelemetry.ClientTracing#create} for an
 * {@code IdempotencyInterceptor}. They add to the current span and need only
 * {@code opentelemetry-api}. {@link dev.idempotency.opentelemetry.IdempotencyTracing} names every
 * attribute and event; the README's section "Observability" lists them.
 *
 * <p>To feed tracing and metrics from one guard, combine the listeners with
 * {@code IdempotencyListener.composite(...)}.
 */
package dev.idempotency.opentelemetry;
