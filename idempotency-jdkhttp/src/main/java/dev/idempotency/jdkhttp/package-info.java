/**
 * The Idempotency-Key contract for the JDK's {@code com.sun.net.httpserver}: copy
 * {@link dev.idempotency.jdkhttp.IdempotentExchangeHandler} into your service and wrap
 * the handlers of the endpoints that change state.
 *
 * <pre>{@code
 * IdempotencyHttpLayer layer = IdempotencyHttpLayer.builder(guard).build();
 * server.createContext("/orders", new IdempotentExchangeHandler(layer, ordersHandler));
 * }</pre>
 */
package dev.idempotency.jdkhttp;
