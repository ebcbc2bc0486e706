package dev.idempotency.server.http;

import dev.idempotency.server.Claim;

/**
 * The business code behind an endpoint, as the HTTP layer calls it: at most once per key (per
 * caller scope) for the methods that require a key.
 *
 * <p>An answer whose status the layer does not store (5xx by default), or an exception, releases
 * the key: a retry with the same key calls the handler again (unless the guard stores that
 * exception: {@code IdempotencyGuardBuilder#storeFailuresWhen}).
 */
@FunctionalInterface
public interface HttpBusinessHandler {
  /**
   * Handles {@code request} and returns its answer; never null.
   *
   * @param claim the claim this request won; hand its {@link Claim#fencingToken()} to the
   *     resource the handler writes. A method the layer does not guard runs with no claim: token 0.
   * @throws Exception to fail the request: the exception propagates out of
   *     {@link IdempotencyHttpLayer#handle}
   */
  HttpResponseView handle(HttpRequestView request, Claim claim) throws Exception;
}
