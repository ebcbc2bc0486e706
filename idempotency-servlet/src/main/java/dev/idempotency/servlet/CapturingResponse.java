package dev.idempotency.servlet;

import dev.idempotency.server.http.HttpResponseView;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.ByteArrayOutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The servlet's answer, captured in memory (status, headers and body) until the layer has decided
 * what to send. Cookies go to the container's response: they belong to this caller at this moment,
 * so they go out with the first answer only and are never stored or replayed. Used by one servlet
 * on one thread.
 */
final class CapturingResponse extends HttpServletResponseWrapper {
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

  // Servlet 6.1's wrapper sends every form of sendRedirect to the container's response: each is
  // captured here instead, or the servlet's redirect would bypass the stored answer.
  @Override
  public void sendRedirect(String location) {
    sendRedirect(location, SC_FOUND, true);
  }

  @Override
  public void sendRedirect(String location, boolean clearBuffer) {
    sendRedirect(location, SC_FOUND, clearBuffer);
  }

  @Override
  public void sendRedirect(String location, int sc) {
    sendRedirect(location, sc, true);
  }

  @Override
  public void sendRedirect(String location, int sc, boolean clearBuffer) {
    if (clearBuffer) resetBuffer();
    status = sc;
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

  @Override
  public void setCharacterEncoding(Charset charset) {
    characterEncoding = charset == null ? null : charset.name();
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
