package dev.idempotency.jdkhttp;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.idempotency.contract.IdempotencyHeaders;
import dev.idempotency.server.Claim;
import dev.idempotency.server.http.HttpBusinessHandler;
import dev.idempotency.server.http.HttpRequestView;
import dev.idempotency.server.http.HttpResponseView;
import dev.idempotency.server.http.IdempotencyHttpLayer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * Puts the Idempotency-Key contract in front of any {@code com.sun.net.httpserver} handler.
 *
 * <pre>{@code
 * IdempotencyHttpLayer layer = IdempotencyHttpLayer.builder(guard).build();
 * server.createContext("/payments", new IdempotentExchangeHandler(layer, paymentsHandler));
 * }</pre>
 *
 * <p>The wrapped handler is written as usual ({@code sendResponseHeaders}, {@code
 * getResponseBody}). On a method the layer guards ({@link IdempotencyHttpLayer#guards}: POST and
 * PATCH by default) it sees a stand-in exchange that captures its answer, so the layer can store
 * the answer before it is sent; {@link #claim(HttpExchange)} gives it the claim it won. A repeat of
 * a completed request gets the stored answer with {@code Idempotent-Replayed: true}, and the
 * handler does not run. A handler that throws gets a 500, and its claim is released so that a
 * retry runs it again. Requests with any other method reach the handler with the server's own
 * exchange: body and answer stream, nothing is held.
 *
 * <p>A guarded request's body and its answer are held in memory (the layer fingerprints the one
 * and stores the other): this suits APIs that take and answer commands, not uploads or streams.
 * At most {@link IdempotencyHttpLayer#maxBodyBytes()} + 1 bytes of a body are read, chunked or
 * not, whatever its {@code Content-Length} says: a longer one is answered 413, and a request
 * without {@code Idempotency-Key} 400 without reading its body at all. Those answers carry {@code
 * Connection: close}, as the rest of the body is still on the connection.
 *
 * <p>The caller's scope comes from a function of the exchange; by default {@link
 * #credentialScope}, a digest of the {@code Authorization} header. Behind real authentication, pass
 * one that returns the authenticated principal.
 *
 * <p>This class is threadsafe if the wrapped handler and the scope function are.
 */
public final class IdempotentExchangeHandler implements HttpHandler {
  /**
   * The attribute under which the exchange the wrapped handler sees holds the {@link Claim} of its
   * request (the same as {@link #claim(HttpExchange)}); kept by that exchange, never in the
   * server's, whose attributes the JDK 17 server shares between the requests of a context.
   */
  public static final String CLAIM_ATTRIBUTE = Claim.class.getName();

  // A principal function's names (user ids, tenants) do not look like this, so a digest does not
  // collide with one by accident when a service changes its scope function.
  private static final String CREDENTIAL_PREFIX = "credential:";
  private static final byte[] NO_BODY = new byte[0];

  private final IdempotencyHttpLayer layer;
  private final HttpHandler next;
  private final Function<HttpExchange, String> scope;

  /**
   * Wraps {@code next}, scoping keys by {@link #credentialScope(HttpExchange)}.
   *
   * @throws NullPointerException if an argument is null
   */
  public IdempotentExchangeHandler(IdempotencyHttpLayer layer, HttpHandler next) {
    this(layer, next, IdempotentExchangeHandler::credentialScope);
  }

  /**
   * Wraps {@code next}.
   *
   * @param scope the caller scope of an exchange (an authenticated principal or tenant); the
   *     empty string for one anonymous scope; it must not return null
   * @throws NullPointerException if an argument is null
   */
  public IdempotentExchangeHandler(
      IdempotencyHttpLayer layer, HttpHandler next, Function<HttpExchange, String> scope) {
    this.layer = Objects.requireNonNull(layer, "layer");
    this.next = Objects.requireNonNull(next, "next");
    this.scope = Objects.requireNonNull(scope, "scope");
  }

  /** Answers {@code exchange} as the contract says, and closes it. */
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
   * sending it, for a caller that decides what happens to the answer in between; for a guarded
   * method {@link #handle(HttpExchange)} is {@code send(exchange, answer(exchange))}. On any other
   * method the handler reads the request body as it comes, and its answer is captured. A handler
   * that throws, or returns without sending headers, gives a 500 answer.
   *
   * @throws IOException if the request body cannot be read
   */
  public HttpResponseView answer(HttpExchange exchange) throws IOException {
    if (!layer.guards(exchange.getRequestMethod())) {
      try {
        return capture(exchange, exchange.getRequestBody(), Claim.UNGUARDED);
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
      return BoundedBody.mayFollow(headers) ? closing(missing) : missing;
    }
    int max = layer.maxBodyBytes();
    byte[] body = layer.readBody(exchange.getRequestBody(), BoundedBody.contentLength(headers));
    HttpResponseView answer = guarded(view(exchange, body, callerScope),
        (r, claim) -> capture(exchange, new ByteArrayInputStream(r.body()), claim));
    return body.length > max ? closing(answer) : answer;
  }

  /**
   * Sends {@code response} on {@code exchange}: status, headers and body; the server frames the
   * body itself, so a {@code Content-Length} or {@code Transfer-Encoding} in {@code response} is
   * left out.
   */
  public static void send(HttpExchange exchange, HttpResponseView response) throws IOException {
    Headers headers = exchange.getResponseHeaders();
    response.headers().forEach((name, values) -> {
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

  /**
   * The claim the request won, for the wrapped handler: hand its {@link Claim#fencingToken()} to
   * the resource it writes. {@link Claim#UNGUARDED} (token 0) for a method the layer does not guard.
   */
  public static Claim claim(HttpExchange exchange) {
    return exchange instanceof CapturingExchange capturing ? capturing.claim() : Claim.UNGUARDED;
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

  private static boolean isFraming(String header) {
    return "Content-Length".equalsIgnoreCase(header) || "Transfer-Encoding".equalsIgnoreCase(header);
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

  /** {@code answer} with {@code Connection: close}: body bytes left unread end the connection. */
  private static HttpResponseView closing(HttpResponseView answer) {
    Map<String, List<String>> headers = new LinkedHashMap<>(answer.headers());
    headers.put("Connection", List.of("close"));
    return new HttpResponseView(answer.status(), headers, answer.body());
  }

  /** Runs the handler on a stand-in exchange that reads {@code body} and captures the answer. */
  private HttpResponseView capture(HttpExchange exchange, InputStream body, Claim claim) throws IOException {
    CapturingExchange capturing = new CapturingExchange(exchange, body, claim);
    next.handle(capturing);
    return capturing.response();
  }

  private static HttpResponseView serverError(Exception e) {
    byte[] body = ("internal error: " + e.getClass().getSimpleName()).getBytes(StandardCharsets.UTF_8);
    return new HttpResponseView(
        500, Map.of("Content-Type", List.of("text/plain; charset=utf-8")), body);
  }
}
