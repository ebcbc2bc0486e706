package dev.idempotency.server.http;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A request as the HTTP layer sees it, built by an integration from its framework's request.
 *
 * <p>The header map is copied (unmodifiable, order kept); header lookup through {@link
 * #headerValues} ignores case, so the integration may pass names as its framework spells them.
 * The body array is not copied: do not change it after handing it over. Equality compares the
 * body by content.
 *
 * @param method the HTTP method as received, e.g. {@code POST}
 * @param pathWithQuery the request target's path and query, e.g. {@code /orders?dry=false}
 * @param headers every header the request carried, a repeated header as several values
 * @param body the whole request body; empty when there is none
 * @param scope the caller scope: the authenticated principal or tenant, as the integration
 *     establishes it; the empty string for one anonymous scope. Never taken from the request
 *     unauthenticated: it is what keeps one caller from seeing another's stored answer.
 */
public record HttpRequestView(
    String method,
    String pathWithQuery,
    Map<String, List<String>> headers,
    byte[] body,
    String scope) {

  public HttpRequestView {
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(pathWithQuery, "pathWithQuery");
    headers = Headers.copyOf(headers);
    Objects.requireNonNull(body, "body");
    Objects.requireNonNull(scope, "scope");
    if (method.isEmpty()) throw new IllegalArgumentException("method is empty");
  }

  /** Every value of the header {@code name}, compared ignoring case; an empty list if absent. */
  public List<String> headerValues(String name) {
    return Headers.values(headers, name);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof HttpRequestView r
        && method.equals(r.method)
        && pathWithQuery.equals(r.pathWithQuery)
        && headers.equals(r.headers)
        && Arrays.equals(body, r.body)
        && scope.equals(r.scope);
  }

  @Override
  public int hashCode() {
    return Objects.hash(method, pathWithQuery, headers, Arrays.hashCode(body), scope);
  }

  /** The method, target, header names and body size; never a header value or the scope. */
  @Override
  public String toString() {
    return "HttpRequestView[" + method + " " + pathWithQuery + ", headers=" + headers.keySet()
        + ", body=" + body.length + " bytes, scope=" + (scope.isEmpty() ? "\"\"" : "(hidden)") + "]";
  }
}
