package dev.idempotency.server.http;

/**
 * The business code behind an endpoint, as the HTTP layer calls it: at most once per key (per
 * caller scope) for the methods that require a key.
 *
 * <p>An answer whose status the layer does not store (5xx by default), or an exception, releases
 * the key: a retry with the same key calls the handler again.
 */
@FunctionalInterface
public interface HttpBusinessHandler {
  /**
   * Handles {@code request} and returns its answer; never null.
   *
   * @throws Exception to fail the request: nothing is stored and the exception propagates out of
   *     {@link IdempotentHttpHandler#handle}
   */
  HttpResponseView handle(HttpRequestView request) throws Exception;
}
