package dev.idempotency.jdkhttp;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpPrincipal;
import dev.idempotency.server.Claim;
import dev.idempotency.server.http.HttpResponseView;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;

/**
 * The exchange the wrapped handler sees: the request from the server's exchange (its body from a
 * stream given here), the answer captured in memory until the layer has decided what to send.
 * Used by one handler on one thread.
 */
final class CapturingExchange extends HttpExchange {
  private final HttpExchange original;
  private final InputStream requestBody;
  private final Claim claim;
  private final Headers responseHeaders = new Headers();
  private final ByteArrayOutputStream responseBody = new ByteArrayOutputStream();
  private int status = -1;

  CapturingExchange(HttpExchange original, InputStream requestBody, Claim claim) {
    this.original = original;
    this.requestBody = requestBody;
    this.claim = claim;
  }

  /** The claim the request won; {@link Claim#UNGUARDED} for a method the layer does not guard. */
  Claim claim() {
    return claim;
  }

  /**
   * The captured answer.
   *
   * @throws UncheckedIOException if the handler never called {@code sendResponseHeaders}
   */
  HttpResponseView response() {
    if (status < 0) {
      throw new UncheckedIOException(new IOException("the handler returned without sendResponseHeaders"));
    }
    // The view copies the headers itself.
    return new HttpResponseView(status, responseHeaders, responseBody.toByteArray());
  }

  @Override
  public void sendResponseHeaders(int rCode, long responseLength) throws IOException {
    if (status >= 0) throw new IOException("headers already sent");
    status = rCode;
  }

  @Override
  public Headers getResponseHeaders() {
    return responseHeaders;
  }

  @Override
  public OutputStream getResponseBody() {
    return responseBody;
  }

  @Override
  public InputStream getRequestBody() {
    return requestBody;
  }

  @Override
  public int getResponseCode() {
    return status;
  }

  @Override
  public void close() {
    // The server's exchange is closed once the answer is sent.
  }

  @Override
  public void setStreams(InputStream i, OutputStream o) {
    throw new UnsupportedOperationException("filters that replace streams belong outside IdempotentExchangeHandler");
  }

  @Override
  public Headers getRequestHeaders() {
    return original.getRequestHeaders();
  }

  @Override
  public URI getRequestURI() {
    return original.getRequestURI();
  }

  @Override
  public String getRequestMethod() {
    return original.getRequestMethod();
  }

  @Override
  public HttpContext getHttpContext() {
    return original.getHttpContext();
  }

  @Override
  public InetSocketAddress getRemoteAddress() {
    return original.getRemoteAddress();
  }

  @Override
  public InetSocketAddress getLocalAddress() {
    return original.getLocalAddress();
  }

  @Override
  public String getProtocol() {
    return original.getProtocol();
  }

  @Override
  public Object getAttribute(String name) {
    // Kept here, not in the server's exchange: the JDK 17 server keeps an exchange's attributes in
    // its context, one map shared by every request on it, so overlapping requests would read each
    // other's claim.
    if (IdempotentExchangeHandler.CLAIM_ATTRIBUTE.equals(name)) return claim;
    return original.getAttribute(name);
  }

  @Override
  public void setAttribute(String name, Object value) {
    original.setAttribute(name, value);
  }

  @Override
  public HttpPrincipal getPrincipal() {
    return original.getPrincipal();
  }
}
