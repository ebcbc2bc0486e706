package dev.idempotency.servlet;

import dev.idempotency.contract.IdempotencyHeaders;
import dev.idempotency.server.Claim;
import dev.idempotency.server.http.HttpRequestView;
import dev.idempotency.server.http.HttpResponseView;
import dev.idempotency.server.http.IdempotencyHttpLayer;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.security.Principal;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * A Jakarta Servlet 6 {@link Filter} that puts the Idempotency-Key contract in front of the
 * servlets it is mapped to (Jetty 12, Tomcat 10.1 and 11, Spring Boot 3).
 *
 * <pre>{@code
 * IdempotencyHttpLayer layer = IdempotencyHttpLayer.builder(guard).build();
 * context.addFilter(new FilterHolder(new IdempotencyFilter(layer)), "/payments/*",
 *     EnumSet.of(DispatcherType.REQUEST));
 * }</pre>
 *
 * <p>On a method the layer guards ({@link IdempotencyHttpLayer#guards}: POST and PATCH by default)
 * the filter reads the request body once and hands it to the servlet again (its form parameters
 * too), and captures the servlet's answer so that the layer can store it before it is sent; {@link
 * #claim(ServletRequest)} gives the servlet the claim it won. A repeat of a completed request gets
 * the stored answer with {@code Idempotent-Replayed: true}, and the servlet does not run. An
 * exception from the servlet releases the claim (a retry runs it again) and propagates to the
 * container. Cookies the servlet adds go out with the first answer only: they are never stored or
 * replayed. Requests with any other method pass to the servlet untouched, streaming both ways.
 *
 * <p>A guarded request's body and its answer are held in memory: this suits APIs that take and
 * answer commands, not uploads or streams (nor asynchronous servlets). At most {@link
 * IdempotencyHttpLayer#maxBodyBytes()} + 1 bytes of a body are read, chunked or not, whatever its
 * {@code Content-Length} says: a longer one is answered 413, and a request without {@code
 * Idempotency-Key} 400 without reading its body at all. Those answers carry {@code Connection:
 * close}, as the rest of the body is still on the connection.
 *
 * <p>The caller's scope comes from a function of the request; by default {@link #principalName},
 * the authenticated principal's name, or one anonymous scope without one.
 *
 * <p>This class is threadsafe if the scope function is.
 */
public final class IdempotencyFilter implements Filter {
  /**
   * The request attribute that holds the {@link Claim} of a guarded request while the servlet runs;
   * {@link #claim(ServletRequest)} reads it.
   */
  public static final String CLAIM_ATTRIBUTE = Claim.class.getName();

  private static final byte[] NO_BODY = new byte[0];

  private final IdempotencyHttpLayer layer;
  private final Function<HttpServletRequest, String> scope;

  /**
   * A filter scoping keys by the authenticated principal ({@link #principalName}).
   *
   * @throws NullPointerException if {@code layer} is null
   */
  public IdempotencyFilter(IdempotencyHttpLayer layer) {
    this(layer, IdempotencyFilter::principalName);
  }

  /**
   * A filter.
   *
   * @param scope the caller scope of a request (an authenticated principal or tenant); the empty
   *     string for one anonymous scope; it must not return null
   * @throws NullPointerException if an argument is null
   */
  public IdempotencyFilter(IdempotencyHttpLayer layer, Function<HttpServletRequest, String> scope) {
    this.layer = Objects.requireNonNull(layer, "layer");
    this.scope = Objects.requireNonNull(scope, "scope");
  }

  /**
   * The claim the request won, for the servlet: hand its {@link Claim#fencingToken()} to the
   * resource it writes. {@link Claim#UNGUARDED} (token 0) for a method the layer does not guard.
   */
  public static Claim claim(ServletRequest request) {
    return request.getAttribute(CLAIM_ATTRIBUTE) instanceof Claim claim ? claim : Claim.UNGUARDED;
  }

  /** The default scope: the authenticated principal's name, or the empty string when there is none. */
  public static String principalName(HttpServletRequest request) {
    Principal principal = request.getUserPrincipal();
    return principal == null ? "" : principal.getName();
  }

  @Override
  public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain)
      throws IOException, ServletException {
    if (!(req instanceof HttpServletRequest request) || !(res instanceof HttpServletResponse response)
        || !layer.guards(request.getMethod())) {
      // Not guarded: the servlet reads the body and writes its answer itself, as they come.
      chain.doFilter(req, res);
      return;
    }
    String callerScope = Objects.requireNonNull(scope.apply(request), "scope");
    boolean keyed = hasKey(request);
    byte[] body;
    boolean unread;
    if (keyed) {
      int max = layer.maxBodyBytes();
      body = layer.readBody(request.getInputStream(), request.getContentLengthLong());
      unread = body.length > max;
    } else {
      // The layer answers 400 from the headers alone: no byte of the body is read.
      body = NO_BODY;
      // Body bytes may follow the headers: chunked, or a Content-Length other than 0.
      unread = request.getContentLengthLong() > 0 || request.getHeader("Transfer-Encoding") != null;
    }
    HttpRequestView view = new HttpRequestView(
        request.getMethod(), pathWithQuery(request), headers(request), body, callerScope);

    HttpResponseView answer;
    try {
      answer = layer.handle(view, (v, claim) -> {
        if (!keyed) throw new IllegalStateException("the layer ran a request that has no Idempotency-Key");
        CapturingResponse captured = new CapturingResponse(response);
        CachedBodyRequest cached = new CachedBodyRequest(request, body);
        cached.setAttribute(CLAIM_ATTRIBUTE, claim);
        chain.doFilter(cached, captured);
        return captured.toView();
      });
    } catch (IOException | ServletException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new ServletException(e);
    }
    // The rest of the body is still on the connection: the container must not read it as a request.
    if (unread) response.setHeader("Connection", "close");
    write(answer, response);
  }

  /** Whether the request carries an Idempotency-Key, as the layer asks it (any case, any value). */
  private static boolean hasKey(HttpServletRequest request) {
    Enumeration<String> values = request.getHeaders(IdempotencyHeaders.IDEMPOTENCY_KEY);
    return values != null && values.hasMoreElements();
  }

  private static void write(HttpResponseView answer, HttpServletResponse response) throws IOException {
    response.setStatus(answer.status());
    answer.headers().forEach((name, values) -> {
      // The container frames the body itself, from the length set below.
      if (isFraming(name)) return;
      values.forEach(v -> response.addHeader(name, v));
    });
    if (answer.body().length > 0) {
      response.setContentLength(answer.body().length);
      response.getOutputStream().write(answer.body());
    }
    response.flushBuffer();
  }

  private static boolean isFraming(String header) {
    return "Content-Length".equalsIgnoreCase(header) || "Transfer-Encoding".equalsIgnoreCase(header);
  }

  private static String pathWithQuery(HttpServletRequest request) {
    String query = request.getQueryString();
    return query == null ? request.getRequestURI() : request.getRequestURI() + "?" + query;
  }

  private static Map<String, List<String>> headers(HttpServletRequest request) {
    Map<String, List<String>> headers = new LinkedHashMap<>();
    for (String name : Collections.list(request.getHeaderNames())) {
      headers.put(name, Collections.list(request.getHeaders(name)));
    }
    return headers;
  }
}
