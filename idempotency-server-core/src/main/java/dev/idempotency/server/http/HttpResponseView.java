package dev.idempotency.server.http;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An answer: what the business code returns, what the HTTP layer stores and replays, and what it
 * hands back to the integration to write out.
 *
 * <p>The header map is copied (unmodifiable, order kept); {@link #headerValues} ignores case. The
 * body array is not copied: do not change it after handing it over. Equality compares the body by
 * content.
 *
 * @param status the HTTP status code, 100 to 599
 * @param headers the answer's headers, a repeated header as several values
 * @param body the answer's body; empty when there is none
 */
public record HttpResponseView(int status, Map<String, List<String>> headers, byte[] body) {

  public HttpResponseView {
    if (status < 100 || status > 599) {
      throw new IllegalArgumentException("not an HTTP status code: " + status);
    }
    headers = Headers.copyOf(headers);
    Objects.requireNonNull(body, "body");
  }

  /** Every value of the header {@code name}, compared ignoring case; an empty list if absent. */
  public List<String> headerValues(String name) {
    return Headers.values(headers, name);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof HttpResponseView r
        && status == r.status
        && headers.equals(r.headers)
        && Arrays.equals(body, r.body);
  }

  @Override
  public int hashCode() {
    return Objects.hash(status, headers, Arrays.hashCode(body));
  }

  @Override
  public String toString() {
    return "HttpResponseView[" + status + ", headers=" + headers + ", body=" + body.length
        + " bytes]";
  }
}
