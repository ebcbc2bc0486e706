package dev.idempotency.servlet;

import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.InputStreamReader;
import java.net.URLDecoder;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The request as the servlet sees it: the body the filter read, read again. Like a container's
 * request, it hands out one stream (or one reader, not both), and the parameters of a form body
 * ({@code application/x-www-form-urlencoded}) come from that body, after the query string's:
 * the container's own stream is spent, so it cannot parse them. Used by one servlet on one thread.
 */
final class CachedBodyRequest extends HttpServletRequestWrapper {
  private static final String FORM = "application/x-www-form-urlencoded";

  private final byte[] body;
  private ServletInputStream stream;
  private BufferedReader reader;
  private Map<String, String[]> parameters;

  CachedBodyRequest(HttpServletRequest request, byte[] body) {
    super(request);
    this.body = body;
  }

  @Override
  public ServletInputStream getInputStream() {
    if (reader != null) throw new IllegalStateException("getReader() was already called");
    if (stream == null) stream = new BodyStream(new ByteArrayInputStream(body));
    return stream;
  }

  @Override
  public BufferedReader getReader() {
    if (stream != null) throw new IllegalStateException("getInputStream() was already called");
    if (reader == null) {
      reader = new BufferedReader(new InputStreamReader(new ByteArrayInputStream(body), charset()));
    }
    return reader;
  }

  @Override
  public String getParameter(String name) {
    String[] values = parameters().get(name);
    return values == null ? null : values[0];
  }

  @Override
  public Map<String, String[]> getParameterMap() {
    return Collections.unmodifiableMap(parameters());
  }

  @Override
  public Enumeration<String> getParameterNames() {
    return Collections.enumeration(parameters().keySet());
  }

  @Override
  public String[] getParameterValues(String name) {
    String[] values = parameters().get(name);
    return values == null ? null : values.clone();
  }

  /** The container's parameters (the query string's, as its stream is spent), then the form body's. */
  private Map<String, String[]> parameters() {
    if (parameters != null) return parameters;
    Map<String, List<String>> all = new LinkedHashMap<>();
    super.getParameterMap().forEach((name, values) -> all.put(name, new ArrayList<>(List.of(values))));
    String type = getContentType();
    if (type != null && type.toLowerCase(Locale.ROOT).startsWith(FORM) && body.length > 0) {
      Charset charset = charset();
      for (String pair : new String(body, StandardCharsets.ISO_8859_1).split("&")) {
        if (pair.isEmpty()) continue;
        int eq = pair.indexOf('=');
        try {
          String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), charset);
          String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), charset);
          all.computeIfAbsent(name, n -> new ArrayList<>()).add(value);
        } catch (IllegalArgumentException e) {
          // A broken %-escape: skipped, as Tomcat skips it, rather than failing every retry alike.
        }
      }
    }
    Map<String, String[]> map = new LinkedHashMap<>();
    all.forEach((name, values) -> map.put(name, values.toArray(String[]::new)));
    return parameters = map;
  }

  /** The request's charset, as declared, else UTF-8 (JSON's, and what browsers send forms in). */
  private Charset charset() {
    String encoding = getCharacterEncoding();
    return encoding == null ? StandardCharsets.UTF_8 : Charset.forName(encoding);
  }

  /** The body from memory: always ready, never blocks. */
  private static final class BodyStream extends ServletInputStream {
    private final ByteArrayInputStream in;

    BodyStream(ByteArrayInputStream in) {
      this.in = in;
    }

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
  }
}
