/**
 * The contract's server table over plain values, for any HTTP framework.
 *
 * <p>An integration does three things per request: it builds an {@link
 * dev.idempotency.server.http.HttpRequestView} from its framework's request, calls {@link
 * dev.idempotency.server.http.IdempotencyHttpLayer#handle}, and writes the {@link
 * dev.idempotency.server.http.HttpResponseView} it gets back. The business code is an {@link
 * dev.idempotency.server.http.HttpBusinessHandler} that takes the view and the request's claim
 * (its fencing token) and returns a view. With
 * the JDK's {@code com.sun.net.httpserver}:
 *
 * <pre>{@code
 * IdempotencyHttpLayer layer = IdempotencyHttpLayer.builder(guard).build();
 *
 * server.createContext("/orders", exchange -> {
 *   // 1. The request: read at most maxBodyBytes() + 1 bytes; a longer body is answered 413.
 *   //    (A method the layer does not guard, layer.guards(method) == false, needs no buffering.)
 *   byte[] body = exchange.getRequestBody().readNBytes(layer.maxBodyBytes() + 1);
 *   HttpRequestView request = new HttpRequestView(
 *       exchange.getRequestMethod(),
 *       exchange.getRequestURI().getRawPath()
 *           + (exchange.getRequestURI().getRawQuery() == null ? "" : "?" + exchange.getRequestURI().getRawQuery()),
 *       exchange.getRequestHeaders(),          // a Map<String, List<String>>
 *       body,
 *       authenticatedUser(exchange));          // the caller scope: "" if there is no login
 *
 *   // 2. The guarded call.
 *   HttpResponseView response;
 *   try {
 *     response = layer.handle(request, (r, claim) -> orders.create(r, claim.fencingToken()));
 *   } catch (Exception e) {
 *     response = new HttpResponseView(500, Map.of(), new byte[0]);   // nothing was stored
 *   }
 *
 *   // 3. The answer: status, every header value, body.
 *   response.headers().forEach((name, values) -> exchange.getResponseHeaders().put(name, values));
 *   exchange.sendResponseHeaders(response.status(), response.body().length == 0 ? -1 : response.body().length);
 *   exchange.getResponseBody().write(response.body());
 *   exchange.close();
 * });
 * }</pre>
 *
 * <p>Points to get right in an integration:
 *
 * <ul>
 *   <li>The scope is who the caller is, from authentication, never from a request header the
 *       caller controls. The same key from two scopes is two records; a caller never sees
 *       another's stored answer.
 *   <li>Pass every header value, a repeated header as several values: a repeated {@code
 *       Idempotency-Key} is answered 400, as the contract says. Names may be in any case.
 *   <li>Pass the method as received, never upper-cased: methods are case-sensitive (RFC 9110), and
 *       {@code post} is not {@code POST}, so it is not guarded.
 *   <li>The path with query is the raw request target (no decoding), so that the fingerprint sees
 *       what the client sent; the same key on another path, query or body is answered 422.
 *   <li>Write all headers of the answer: a replay carries {@code Idempotent-Replayed: true}, a
 *       problem carries {@code Content-Type: application/problem+json} and, for 409, 425 and 503,
 *       {@code Retry-After}.
 *   <li>An exception from {@code handle} is the business code's own; nothing was stored and the
 *       key is free again, so answering 5xx lets the client retry with the same key.
 * </ul>
 *
 * <p>Only the answers the handler stores are replayed: status below 500 by default, the headers
 * {@code Content-Type}, {@code Location} and those configured (never {@code Set-Cookie} or
 * {@code Authorization}), and the body after the optional redactor.
 */
package dev.idempotency.server.http;
