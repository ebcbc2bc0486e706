package dev.idempotency.servlet;

import dev.idempotency.contract.IdempotencyHeaders;
import dev.idempotency.server.Claim;
import dev.idempotency.server.http.HttpRequestView;
import dev.idempotency.server.http.HttpResponseView;
import dev.idempotency.server.http.IdempotencyHttpLayer;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.security.Principal;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * A Jakarta Servlet {@link Filter} that puts the Idempotency-Key contract in front of the
 * servlets it maps to (Jetty, Tomcat, Spring Boot). Copy this one file into your service.
 *
 * <pre>{@code
 * IdempotencyHttpLayer layer = IdempotencyHttpLayer.builder(guard).build();
 * context.addFilter(new FilterHolder(new IdempotencyFilter(layer)), "/payments/*",
 *     EnumSet.of(DispatcherType.REQUEST));
 * }</pre>
 *
 * <p>On a method the layer guards ({@link IdempotencyHttpLayer#guards}) the request body is read
 * once and handed to the servlet again, and the servlet's answer is captured by an {@link
 * HttpServletResponseWrapper} so that the layer can store it before it is sent. A repeat of a
 * completed request gets the stored answer with {@code Idempotent-Replayed: true} and the servlet
 * does not run. An exception from the servlet releases the claim (a retry runs it again) and
 * propagates to the container. Requests with any other method pass to the servlet untouched.
 *
 * <p>At most {@link IdempotencyHttpLayer#maxBodyBytes()} + 1 bytes of a body are read, chunked or
 * not, whatever its {@code Content-Length} says: a longer one is answered 413, and a request
 * without {@code Idempotency-Key} 400 without reading its body at all. Those answers carry {@code
 * Connection: close}, as the rest of the body is still on the connection.
 *
 * <p>The caller's scope comes from a function of the request; the default is the authenticated
 * principal's name ({@link HttpServletRequest#getUserPrincipal()}), or one anonymous scope.
 *
 * <p>This class is threadsafe.
 */
public final class IdempotencyFilter implements Filter {
  private static final byte[] NO_BODY = new byte[0];

  private final IdempotencyHttpLayer layer;
  private final Function<HttpServletRequest, String> scope;

  /** A filter scoping keys by the authenticated principal. */
  public IdempotencyFilter(IdempotencyHttpLayer layer) {
    this(layer, IdempotencyFilter::principalName);
  }

  /**
   * A filter.
   *
   * @param scope the caller scope of a request (an authenticated principal or tenant); the empty
   *     string for one anonymous scope; never null
   */
  public IdempotencyFilter(IdempotencyHttpLayer layer, Function<HttpServletRequest, String> scope) {
    this.layer = Objects.requireNonNull(layer, "layer");
    this.scope = Objects.requireNonNull(scope, "scope");
  }

  /**
   * The request attribute that holds the {@link Claim} of a guarded request while the servlet runs:
   * {@link #claim(ServletRequest)} reads it.
   */
  public static final String CLAIM_ATTRIBUTE = Claim.class.getName();

  /**
   * The claim the request won, for the servlet: hand its {@link Claim#fencingToken()} to the
   * resource it writes. {@link Claim#UNGUARDED} (token 0) for a method the layer does not guard.
   */
  public static Claim claim(ServletRequest request) {
    return request.getAttribute(CLAIM_ATTRIBUTE) instanceof Claim claim ? claim : Claim.UNGUARDED;
  }

  /** The authenticated principal's name, or the empty string when there is none. */
  public static String principalName(HttpServletRequest request) {
    Principal principal = request.getUserPrincipal();
    return principal == null ? "" : principal.getName();
  }

  @Override
  public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain)
      throws IOException, ServletException {
    if (!(req instanceof HttpServletRequest) || !(res instanceof HttpServletResponse)
        || !layer.guards(((HttpServletRequest) req).getMethod())) {
      // Not guarded: the servlet reads the body and writes its answer itself, as they come.
      chain.doFilter(req, res);
      return;
    }
    HttpServletRequest request = (HttpServletRequest) req;
    HttpServletResponse response = (HttpServletResponse) res;
    String callerScope = Objects.requireNonNull(scope.apply(request), "scope");
    boolean keyed = hasKey(request);
    byte[] body;
    boolean unread;
    if (keyed) {
      int max = layer.maxBodyBytes();
      // One byte over the limit is all the layer needs to answer 413.
      int limit = max == Integer.MAX_VALUE ? max : max + 1;
      body = readAtMost(request.getInputStream(), request.getContentLengthLong(), limit);
      unread = body.length > max;
    } else {
      // The layer answers 400 from the headers alone: no byte of the body is read.
      body = NO_BODY;
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

  /**
   * The body, or its first {@code limit} bytes if it is longer: no more is read. With a
   * Content-Length under the limit, into an array of that size: no growing buffer to copy from.
   */
  private static byte[] readAtMost(InputStream in, long length, int limit) throws IOException {
    if (length < 0 || length >= limit) return in.readNBytes(limit);
    byte[] body = new byte[(int) length];
    int n = in.readNBytes(body, 0, body.length);
    if (n < body.length) return Arrays.copyOf(body, n);
    // Containers end the stream at the length; read on in case one does not.
    byte[] more = in.readNBytes(limit - n);
    if (more.length == 0) return body;
    byte[] all = Arrays.copyOf(body, n + more.length);
    System.arraycopy(more, 0, all, n, more.length);
    return all;
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

  /** The request as the servlet sees it: the body, already read by the filter, read again. */
  private static final class CachedBodyRequest extends HttpServletRequestWrapper {
    private final byte[] body;

    CachedBodyRequest(HttpServletRequest request, byte[] body) {
      super(request);
      this.body = body;
    }

    @Override
    public ServletInputStream getInputStream() {
      ByteArrayInputStream in = new ByteArrayInputStream(body);
      return new ServletInputStream() {
        @Override
        public int read() {
          return in.read();
        }

        @Override
        public int read(byte[] b, int off, int len) {
          return in.read(b, off, len);
        }

        @Override
        public boolean isFinished() {
          return in.available() == 0;
        }

        @Override
        public boolean isReady() {
          return true;
        }

        @Override
        public void setReadListener(ReadListener listener) {
          throw new UnsupportedOperationException("the body is already in memory; read it directly");
        }
      };
    }

    @Override
    public BufferedReader getReader() {
      String encoding = getCharacterEncoding();
      Charset charset = encoding == null ? StandardCharsets.UTF_8 : Charset.forName(encoding);
      return new BufferedReader(new InputStreamReader(new ByteArrayInputStream(body), charset));
    }
  }

  /** The servlet's answer, captured in memory: status, headers and body. */
  private static final class CapturingResponse extends HttpServletResponseWrapper {
    private final Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    private final ByteArrayOutputStream body = new ByteArrayOutputStream();
    private int status = SC_OK;
    private String characterEncoding;
    private PrintWriter writer;
    private ServletOutputStream stream;

    CapturingResponse(HttpServletResponse response) {
      super(response);
    }

    HttpResponseView toView() {
      if (writer != null) writer.flush();
      return new HttpResponseView(status, new LinkedHashMap<>(headers), body.toByteArray());
    }

    @Override
    public void setStatus(int sc) {
      status = sc;
    }

    @Override
    public int getStatus() {
      return status;
    }

    @Override
    public void sendError(int sc) {
      sendError(sc, null);
    }

    @Override
    public void sendError(int sc, String msg) {
      status = sc;
      body.reset();
      if (msg != null) {
        setContentType("text/plain; charset=utf-8");
        body.writeBytes(msg.getBytes(StandardCharsets.UTF_8));
      }
    }

    @Override
    public void sendRedirect(String location) {
      status = SC_FOUND;
      setHeader("Location", location);
    }

    // addCookie is left to the real response: a cookie belongs to this caller at this moment, so
    // it goes out with the first answer and is never stored or replayed.

    @Override
    public void setHeader(String name, String value) {
      if (value == null) {
        headers.remove(name);
      } else {
        headers.put(name, new ArrayList<>(List.of(value)));
      }
    }

    @Override
    public void addHeader(String name, String value) {
      if (value != null) headers.computeIfAbsent(name, n -> new ArrayList<>()).add(value);
    }

    @Override
    public void setIntHeader(String name, int value) {
      setHeader(name, Integer.toString(value));
    }

    @Override
    public void addIntHeader(String name, int value) {
      addHeader(name, Integer.toString(value));
    }

    @Override
    public void setDateHeader(String name, long date) {
      setHeader(name, httpDate(date));
    }

    @Override
    public void addDateHeader(String name, long date) {
      addHeader(name, httpDate(date));
    }

    private static String httpDate(long epochMillis) {
      return DateTimeFormatter.RFC_1123_DATE_TIME.format(
          Instant.ofEpochMilli(epochMillis).atZone(ZoneOffset.UTC));
    }

    @Override
    public boolean containsHeader(String name) {
      return headers.containsKey(name);
    }

    @Override
    public String getHeader(String name) {
      List<String> values = headers.get(name);
      return values == null || values.isEmpty() ? null : values.get(0);
    }

    @Override
    public Collection<String> getHeaders(String name) {
      return List.copyOf(headers.getOrDefault(name, List.of()));
    }

    @Override
    public Collection<String> getHeaderNames() {
      return List.copyOf(headers.keySet());
    }

    @Override
    public void setContentType(String type) {
      setHeader("Content-Type", type);
    }

    @Override
    public String getContentType() {
      return getHeader("Content-Type");
    }

    @Override
    public void setCharacterEncoding(String charset) {
      characterEncoding = charset;
    }

    /** The charset the writer uses: as set, else from Content-Type, else UTF-8 (JSON's). */
    @Override
    public String getCharacterEncoding() {
      if (characterEncoding != null) return characterEncoding;
      String type = getContentType();
      int at = type == null ? -1 : type.toLowerCase(Locale.ROOT).indexOf("charset=");
      return at < 0 ? StandardCharsets.UTF_8.name() : type.substring(at + "charset=".length()).trim();
    }

    @Override
    public void setContentLength(int len) {
      // Computed from the captured body when the answer is written.
    }

    @Override
    public void setContentLengthLong(long len) {
      // Computed from the captured body when the answer is written.
    }

    @Override
    public ServletOutputStream getOutputStream() {
      if (writer != null) throw new IllegalStateException("getWriter() was already called");
      if (stream == null) {
        stream = new ServletOutputStream() {
          @Override
          public void write(int b) {
            body.write(b);
          }

          @Override
          public void write(byte[] b, int off, int len) {
            body.write(b, off, len);
          }

          @Override
          public boolean isReady() {
            return true;
          }

          @Override
          public void setWriteListener(WriteListener listener) {
            throw new UnsupportedOperationException("the answer is captured in memory; write it directly");
          }
        };
      }
      return stream;
    }

    @Override
    public PrintWriter getWriter() {
      if (stream != null) throw new IllegalStateException("getOutputStream() was already called");
      if (writer == null) {
        writer = new PrintWriter(new OutputStreamWriter(body, Charset.forName(getCharacterEncoding())));
      }
      return writer;
    }

    @Override
    public void flushBuffer() {
      if (writer != null) writer.flush();
    }

    @Override
    public boolean isCommitted() {
      return false;
    }

    @Override
    public void reset() {
      resetBuffer();
      headers.clear();
      status = SC_OK;
    }

    @Override
    public void resetBuffer() {
      if (writer != null) writer.flush();
      body.reset();
    }
  }
}
