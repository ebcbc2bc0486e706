package dev.idempotency.jdkhttp;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpPrincipal;
import dev.idempotency.contract.IdempotencyHeaders;
import dev.idempotency.server.Claim;
import dev.idempotency.server.http.HttpBusinessHandler;
import dev.idempotency.server.http.HttpRequestView;
import dev.idempotency.server.http.HttpResponseView;
import dev.idempotency.server.http.IdempotencyHttpLayer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
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
 * IdempotencyHttpLayer layer = IdempotencyHttpLayer.builder(guard).build();
 * server.createContext("/payments", new IdempotentExchangeHandler(layer, paymentsHandler));
 * }</pre>
 *
 * <p>The wrapped handler is written as usual ({@code sendResponseHeaders}, {@code
 * getResponseBody}). On a method the layer guards ({@link IdempotencyHttpLayer#guards}) it sees a
 * stand-in exchange that captures its answer, so the layer can store the answer before it is
 * sent. A repeat of a completed request gets the stored answer with {@code Idempotent-Replayed:
 * true}, and the wrapped handler does not run. A handler that throws gets a 500 answer, and its
 * claim is released so that a retry runs it again. Requests with any other method go to the
 * handler as they are, their body and answer streamed.
 *
 * <p>A guarded request's body and its answer are held in memory (the layer fingerprints the one
 * and stores the other): this suits APIs that take and answer commands, not uploads or streams.
 * At most {@link IdempotencyHttpLayer#maxBodyBytes()} + 1 bytes of a body are read, chunked or
 * not, whatever its {@code Content-Length} says: a longer one is answered 413, and a request
 * without {@code Idempotency-Key} 400 without reading its body at all. Those answers carry {@code
 * Connection: close}, as the rest of the body is still on the connection.
 *
 * <p>The caller's scope comes from a function of the exchange. The default, {@link
 * #credentialScope}, is a digest of the {@code Authorization} header, so that a credential never
 * becomes part of a record's identity, or one anonymous scope without it. Behind real
 * authentication, use the authenticated principal instead.
 *
 * <p>This class is threadsafe if the wrapped handler is.
 */
public final class IdempotentExchangeHandler implements HttpHandler {
  // A principal function's names (user ids, tenants) do not look like this, so a digest does not
  // collide with one by accident when a service changes its scope function.
  private static final String CREDENTIAL_PREFIX = "credential:";
  private static final byte[] NO_BODY = new byte[0];

  private final IdempotencyHttpLayer layer;
  private final HttpHandler next;
  private final Function<HttpExchange, String> scope;

  /** Wraps {@code next}, scoping keys by {@link #credentialScope(HttpExchange)}. */
  public IdempotentExchangeHandler(IdempotencyHttpLayer layer, HttpHandler next) {
    this(layer, next, IdempotentExchangeHandler::credentialScope);
  }

  /**
   * Wraps {@code next}.
   *
   * @param scope the caller scope of an exchange (an authenticated principal or tenant); the
   *     empty string for one anonymous scope; never null
   */
  public IdempotentExchangeHandler(
      IdempotencyHttpLayer layer, HttpHandler next, Function<HttpExchange, String> scope) {
    this.layer = Objects.requireNonNull(layer, "layer");
    this.next = Objects.requireNonNull(next, "next");
    this.scope = Objects.requireNonNull(scope, "scope");
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (layer.guards(exchange.getRequestMethod())) {
        send(exchange, answer(exchange));
      } else {
        passThrough(exchange);
      }
    }
  }

  /**
   * Runs the layer (and, when it says so, the wrapped handler) and returns the answer without
   * sending it. For a caller that wants to decide what happens to the answer; for a guarded
   * method {@link #handle(HttpExchange)} is {@code send(exchange, answer(exchange))}. On any
   * other method the handler reads the request body as it comes, and its answer is captured.
   */
  public HttpResponseView answer(HttpExchange exchange) throws IOException {
    if (!layer.guards(exchange.getRequestMethod())) {
      try {
        return capture(exchange, exchange.getRequestBody());
      } catch (IOException | RuntimeException e) {
        return serverError(e);
      }
    }
    String callerScope = Objects.requireNonNull(scope.apply(exchange), "scope");
    Headers headers = exchange.getRequestHeaders();
    if (!hasKey(headers)) {
      // The layer answers 400 from the headers alone: no byte of the body is read.
      HttpResponseView missing = guarded(view(exchange, NO_BODY, callerScope), (r, claim) -> {
        throw new IllegalStateException("the layer ran a request that has no Idempotency-Key");
      });
      return mayHaveBody(headers) ? closing(missing) : missing;
    }
    int max = layer.maxBodyBytes();
    // One byte over the limit is all the layer needs to answer 413.
    int limit = max == Integer.MAX_VALUE ? max : max + 1;
    byte[] body = readAtMost(exchange.getRequestBody(), contentLength(headers), limit);
    HttpResponseView answer = guarded(view(exchange, body, callerScope), (r, claim) -> {
      exchange.setAttribute(CLAIM_ATTRIBUTE, claim);
      return capture(exchange, new ByteArrayInputStream(r.body()));
    });
    return body.length > max ? closing(answer) : answer;
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

  /**
   * The exchange attribute that holds the {@link Claim} of a guarded request while the wrapped
   * handler runs: {@link #claim(HttpExchange)} reads it.
   */
  public static final String CLAIM_ATTRIBUTE = Claim.class.getName();

  /**
   * The claim the request won, for the wrapped handler: hand its {@link Claim#fencingToken()} to
   * the resource it writes. {@link Claim#UNGUARDED} (token 0) for a method the layer does not guard.
   */
  public static Claim claim(HttpExchange exchange) {
    return exchange.getAttribute(CLAIM_ATTRIBUTE) instanceof Claim claim ? claim : Claim.UNGUARDED;
  }

  /**
   * The default scope: {@code credential:} and the SHA-256 (base64url) of the request's whole
   * {@code Authorization} header, whatever its scheme ({@code Bearer}, {@code Basic}, an empty
   * {@code Bearer}); the empty string, one anonymous scope, without that header. Requests share a
   * scope only if they carry the same credential, and the credential itself never appears in a
   * record id, an exception or a listener event. The digest is not keyed: it keeps a token out of
   * sight, not a weak password from a guess; behind real authentication scope by the principal.
   */
  public static String credentialScope(HttpExchange exchange) {
    List<String> values = exchange.getRequestHeaders().get("Authorization");
    if (values == null || values.isEmpty()) return "";
    MessageDigest sha256;
    try {
      sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
    for (int i = 0; i < values.size(); i++) {
      // A header value holds no line break, so this separator keeps repeated headers apart.
      if (i > 0) sha256.update((byte) '\n');
      sha256.update(values.get(i).getBytes(StandardCharsets.UTF_8));
    }
    return CREDENTIAL_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(sha256.digest());
  }

  /** A method the layer does not guard: the handler gets the exchange itself, streaming both ways. */
  private void passThrough(HttpExchange exchange) throws IOException {
    try {
      next.handle(exchange);
    } catch (IOException | RuntimeException e) {
      // Once a status went out the answer can only be cut off; before, it is a 500 as on a guarded one.
      if (exchange.getResponseCode() != -1) throw e;
      send(exchange, serverError(e));
    }
  }

  private HttpResponseView guarded(HttpRequestView request, HttpBusinessHandler business) {
    try {
      return layer.handle(request, business);
    } catch (Exception e) {
      // The claim is released already: a retry with the same key runs the handler again.
      return serverError(e);
    }
  }

  private static HttpRequestView view(HttpExchange exchange, byte[] body, String scope) {
    URI uri = exchange.getRequestURI();
    String pathWithQuery = uri.getRawQuery() == null ? uri.getRawPath() : uri.getRawPath() + "?" + uri.getRawQuery();
    // The view copies the headers itself.
    return new HttpRequestView(exchange.getRequestMethod(), pathWithQuery, exchange.getRequestHeaders(), body, scope);
  }

  /** Whether the request carries an Idempotency-Key, as the layer asks it (any case, any value). */
  private static boolean hasKey(Headers headers) {
    List<String> values = headers.get(IdempotencyHeaders.IDEMPOTENCY_KEY);
    return values != null && !values.isEmpty();
  }

  /** Whether body bytes may follow the headers: chunked, or a Content-Length other than 0. */
  private static boolean mayHaveBody(Headers headers) {
    return headers.containsKey("Transfer-Encoding")
        || (headers.containsKey("Content-Length") && contentLength(headers) != 0);
  }

  /** {@code answer} with {@code Connection: close}: body bytes left unread end the connection. */
  private static HttpResponseView closing(HttpResponseView answer) {
    Map<String, List<String>> headers = new LinkedHashMap<>(answer.headers());
    headers.put("Connection", List.of("close"));
    return new HttpResponseView(answer.status(), headers, answer.body());
  }

  /**
   * The body, or its first {@code limit} bytes if it is longer: no more is read. With a
   * Content-Length under the limit, into an array of that size: no growing buffer to copy from.
   */
  private static byte[] readAtMost(InputStream in, long length, int limit) throws IOException {
    if (length < 0 || length >= limit) return in.readNBytes(limit);
    byte[] body = new byte[(int) length];
    int n = in.readNBytes(body, 0, body.length);
    if (n < body.length) return Arrays.copyOf(body, n);
    // The JDK server ends the stream at the length; an exchange that does not may have more.
    byte[] more = in.readNBytes(limit - n);
    if (more.length == 0) return body;
    byte[] all = Arrays.copyOf(body, n + more.length);
    System.arraycopy(more, 0, all, n, more.length);
    return all;
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

  /** Runs the handler on a stand-in exchange that reads {@code body} and captures the answer. */
  private HttpResponseView capture(HttpExchange exchange, InputStream body) throws IOException {
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

    CapturingExchange(HttpExchange original, InputStream requestBody) {
      this.original = original;
      this.requestBody = requestBody;
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
