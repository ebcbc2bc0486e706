package dev.idempotency.examples.jdkhttp;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpPrincipal;
import dev.idempotency.server.http.HttpRequestView;
import dev.idempotency.server.http.HttpResponseView;
import dev.idempotency.server.http.IdempotentHttpHandler;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * Puts the Idempotency-Key contract in front of any {@code com.sun.net.httpserver} handler.
 * Copy this one file into your service; it needs only the JDK and {@code idempotency-server-core}.
 *
 * <pre>{@code
 * IdempotencyGuard guard = IdempotencyGuard.builder()
 *     .store(new InMemoryIdempotencyStore()).namespace("payments").build();
 * IdempotentHttpHandler layer = IdempotentHttpHandler.builder(guard).build();
 * server.createContext("/payments", new IdempotentExchangeHandler(layer, paymentsHandler));
 * }</pre>
 *
 * <p>The wrapped handler is written as usual ({@code sendResponseHeaders}, {@code
 * getResponseBody}); it sees a stand-in exchange that captures its answer, so the layer can store
 * the answer before it is sent. A repeat of a completed request gets the stored answer with
 * {@code Idempotent-Replayed: true}, and the wrapped handler does not run. A handler that
 * throws gets a 500 answer, and its claim is released so that a retry runs it again.
 *
 * <p>The request body and the answer are held in memory (the layer fingerprints the one and
 * stores the other): this suits APIs that take and answer commands, not uploads or streams.
 *
 * <p>The caller's scope comes from a function of the exchange; the default is the bearer token
 * of {@code Authorization: Bearer <token>}, or one anonymous scope without it. Behind real
 * authentication, use the authenticated principal instead.
 *
 * <p>This class is threadsafe if the wrapped handler is.
 */
public final class IdempotentExchangeHandler implements HttpHandler {
  private static final String BEARER = "Bearer ";

  private final IdempotentHttpHandler layer;
  private final HttpHandler next;
  private final Function<HttpExchange, String> scope;

  /** Wraps {@code next}, scoping keys by {@link #bearerToken(HttpExchange)}. */
  public IdempotentExchangeHandler(IdempotentHttpHandler layer, HttpHandler next) {
    this(layer, next, IdempotentExchangeHandler::bearerToken);
  }

  /**
   * Wraps {@code next}.
   *
   * @param scope the caller scope of an exchange (an authenticated principal or tenant); the
   *     empty string for one anonymous scope; never null
   */
  public IdempotentExchangeHandler(
      IdempotentHttpHandler layer, HttpHandler next, Function<HttpExchange, String> scope) {
    this.layer = Objects.requireNonNull(layer, "layer");
    this.next = Objects.requireNonNull(next, "next");
    this.scope = Objects.requireNonNull(scope, "scope");
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      send(exchange, answer(exchange));
    }
  }

  /**
   * Runs the layer (and, when it says so, the wrapped handler) and returns the answer without
   * sending it. For a caller that wants to decide what happens to the answer; {@link
   * #handle(HttpExchange)} is {@code send(exchange, answer(exchange))}.
   */
  public HttpResponseView answer(HttpExchange exchange) throws IOException {
    HttpRequestView request = read(exchange, scope.apply(exchange));
    try {
      return layer.handle(request, r -> runCaptured(exchange, r.body()));
    } catch (Exception e) {
      // The claim is released already: a retry with the same key runs the handler again.
      return serverError(e);
    }
  }

  /** Sends {@code response} on {@code exchange}: status, headers and body. */
  public static void send(HttpExchange exchange, HttpResponseView response) throws IOException {
    Headers headers = exchange.getResponseHeaders();
    response.headers().forEach((name, values) -> {
      // The server frames the body itself, from the length given below.
      if (!isFraming(name)) headers.put(name, new ArrayList<>(values));
    });
    byte[] body = response.body();
    boolean bodyless = body.length == 0 || "HEAD".equals(exchange.getRequestMethod());
    // The JDK HttpServer reads -1 as "no body" and 0 as "chunked".
    exchange.sendResponseHeaders(response.status(), bodyless ? -1 : body.length);
    if (!bodyless) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  private static boolean isFraming(String header) {
    return "Content-Length".equalsIgnoreCase(header) || "Transfer-Encoding".equalsIgnoreCase(header);
  }

  /** The token of {@code Authorization: Bearer <token>}, or the empty string without one. */
  public static String bearerToken(HttpExchange exchange) {
    String authorization = exchange.getRequestHeaders().getFirst("Authorization");
    if (authorization == null || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      return "";
    }
    return authorization.substring(BEARER.length()).trim();
  }

  private HttpRequestView read(HttpExchange exchange, String scope) throws IOException {
    byte[] body;
    try (InputStream in = exchange.getRequestBody()) {
      body = readBody(exchange.getRequestHeaders(), in, layer.maxBodyBytes());
    }
    URI uri = exchange.getRequestURI();
    String pathWithQuery = uri.getRawQuery() == null ? uri.getRawPath() : uri.getRawPath() + "?" + uri.getRawQuery();
    // The view copies the headers itself.
    return new HttpRequestView(
        exchange.getRequestMethod(), pathWithQuery, exchange.getRequestHeaders(), body,
        Objects.requireNonNull(scope, "scope"));
  }

  /**
   * The whole body. With a Content-Length the layer accepts, into an array of that size: no
   * growing buffer to copy from. Otherwise (chunked, or too large: the layer answers 413 by the
   * length read) as it comes.
   */
  private static byte[] readBody(Headers headers, InputStream in, int maxBodyBytes) throws IOException {
    long length = contentLength(headers);
    if (length < 0 || length > maxBodyBytes) return in.readAllBytes();
    byte[] body = new byte[(int) length];
    int n = in.readNBytes(body, 0, body.length);
    if (n < body.length) return Arrays.copyOf(body, n);
    int next = in.read();
    if (next < 0) return body;
    // More bytes than announced (the JDK server stops at the length; another exchange may not).
    ByteArrayOutputStream all = new ByteArrayOutputStream(body.length + 1 + in.available());
    all.write(body);
    all.write(next);
    in.transferTo(all);
    return all.toByteArray();
  }

  /** The request's Content-Length, or -1 if it has none or not exactly one that is a number. */
  private static long contentLength(Headers headers) {
    List<String> values = headers.get("Content-Length");
    if (values == null || values.size() != 1) return -1;
    try {
      return Long.parseLong(values.get(0).trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private HttpResponseView runCaptured(HttpExchange exchange, byte[] body) throws IOException {
    CapturingExchange capturing = new CapturingExchange(exchange, body);
    next.handle(capturing);
    return capturing.response();
  }

  private static HttpResponseView serverError(Exception e) {
    byte[] body = ("internal error: " + e.getClass().getSimpleName()).getBytes(StandardCharsets.UTF_8);
    return new HttpResponseView(
        500, Map.of("Content-Type", List.of("text/plain; charset=utf-8")), body);
  }

  /** The exchange the wrapped handler sees: request from the original, answer captured. */
  private static final class CapturingExchange extends HttpExchange {
    private final HttpExchange original;
    private final InputStream requestBody;
    private final Headers responseHeaders = new Headers();
    private final ByteArrayOutputStream responseBody = new ByteArrayOutputStream();
    private int status = -1;

    CapturingExchange(HttpExchange original, byte[] requestBody) {
      this.original = original;
      this.requestBody = new ByteArrayInputStream(requestBody);
    }

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
      // The real exchange is closed once the answer is sent.
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
}
