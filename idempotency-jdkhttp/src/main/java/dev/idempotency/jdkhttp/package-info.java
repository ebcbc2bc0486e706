/**
 * The Idempotency-Key contract for the JDK's {@code com.sun.net.httpserver}: wrap the handlers of
 * the endpoints that change state in an {@link dev.idempotency.jdkhttp.IdempotentExchangeHandler}.
 *
 * <pre>{@code
 * IdempotencyGuard guard = IdempotencyGuard.builder()
 *     .store(new InMemoryIdempotencyStore())
 *     .namespace("orders")
 *     .build();
 * IdempotencyHttpLayer layer = IdempotencyHttpLayer.builder(guard).build();
 * server.createContext("/orders", new IdempotentExchangeHandler(layer, ordersHandler));
 * }</pre>
 *
 * <p>The handler it wraps runs once per key and caller; {@code IdempotentExchangeHandler.claim(exchange)}
 * gives it the claim's fencing token. The module needs only the JDK (module {@code
 * jdk.httpserver}) and {@code idempotency-server-core}.
 */
package dev.idempotency.jdkhttp;
