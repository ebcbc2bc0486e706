/**
 * Spring Boot 4 auto-configuration of the Idempotency-Key contract for Spring MVC applications.
 *
 * <p>With this module on the class path a servlet web application gets an
 * {@link dev.idempotency.server.IdempotencyGuard}, its
 * {@link dev.idempotency.server.store.IdempotencyStore} ({@code idempotency.store.type}: memory,
 * redis or jdbc) and the {@link dev.idempotency.servlet.IdempotencyFilter} on
 * {@code idempotency.url-patterns}, after Spring Security's filter chain: the scope of a request is
 * its authenticated principal's name, and requests without one share one anonymous scope. Every
 * property is in {@link dev.idempotency.spring.IdempotencyProperties}; a bean of the application's
 * own (guard, store, HTTP layer, listeners) replaces or joins the starter's. With Actuator the
 * store has a health indicator ({@code idempotency}); with a Micrometer {@code MeterRegistry} the
 * guard records its meters; with opentelemetry-api it annotates the current span.
 */
package dev.idempotency.spring;
