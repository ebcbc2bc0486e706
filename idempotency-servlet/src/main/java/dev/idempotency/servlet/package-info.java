/**
 * The Idempotency-Key contract for Jakarta Servlet 6 containers (Jetty 12, Tomcat 10.1 and 11,
 * Spring Boot 3): map an {@link dev.idempotency.servlet.IdempotencyFilter} in front of the servlets
 * that change state.
 *
 * <pre>{@code
 * IdempotencyGuard guard = IdempotencyGuard.builder()
 *     .store(new InMemoryIdempotencyStore())
 *     .namespace("payments")
 *     .build();
 * IdempotencyHttpLayer layer = IdempotencyHttpLayer.builder(guard).build();
 * context.addFilter(new FilterHolder(new IdempotencyFilter(layer)), "/payments/*",
 *     EnumSet.of(DispatcherType.REQUEST));
 * }</pre>
 *
 * <p>The servlet behind it runs once per key and caller; {@code IdempotencyFilter.claim(request)}
 * gives it the claim's fencing token. The module needs {@code idempotency-server-core}; the
 * Servlet API ({@code jakarta.servlet-api} 6) comes from the container.
 */
package dev.idempotency.servlet;
