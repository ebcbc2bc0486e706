package dev.idempotency.server.http;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A bare HTTP/1.1 client on one socket, for what real clients will not send: a body longer than
 * any limit, a Content-Length that lies, headers that never end. Writes exactly the bytes a test
 * gives it; reads one answer.
 */
public final class RawHttp implements Closeable {
  // A bound on a test that goes wrong, never a measure of speed: a server that does not answer
  // fails the test rather than hanging the build.
  private static final int READ_TIMEOUT_MILLIS = 60_000;
  private static final int CHUNK = 8192;

  private final Socket socket;
  private final OutputStream out;
  private final InputStream in;

  private RawHttp(Socket socket) throws IOException {
    this.socket = socket;
    this.out = socket.getOutputStream();
    this.in = socket.getInputStream();
  }

  public static RawHttp connect(int port) throws IOException {
    Socket socket = new Socket(InetAddress.getLoopbackAddress(), port);
    socket.setSoTimeout(READ_TIMEOUT_MILLIS);
    socket.setTcpNoDelay(true);
    return new RawHttp(socket);
  }

  /** Writes {@code text} (ISO-8859-1, as HTTP heads are) and flushes. */
  public RawHttp send(String text) throws IOException {
    out.write(text.getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
    return this;
  }

  /** Writes {@code bytes} bytes of body, as they are (for a Content-Length body). */
  public RawHttp sendBytes(long bytes) throws IOException {
    byte[] chunk = new byte[CHUNK];
    Arrays.fill(chunk, (byte) 'x');
    for (long left = bytes; left > 0; left -= chunk.length) {
      out.write(chunk, 0, (int) Math.min(chunk.length, left));
    }
    out.flush();
    return this;
  }

  /** Writes a chunked body of {@code bytes} bytes and its last chunk. */
  public RawHttp sendChunked(long bytes) throws IOException {
    byte[] chunk = new byte[CHUNK];
    Arrays.fill(chunk, (byte) 'x');
    for (long left = bytes; left > 0; left -= chunk.length) {
      int n = (int) Math.min(chunk.length, left);
      out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
      out.write(chunk, 0, n);
      out.write('\r');
      out.write('\n');
    }
    out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
    return this;
  }

  /**
   * Runs {@code body} on a thread of its own, so that the test can read the answer while the body
   * is still being sent. A server that stops reading and closes ends it with an IOException, which
   * is the point of such a test and so is ignored.
   */
  public Thread sendInBackground(BodyWriter body) {
    Thread writer = new Thread(() -> {
      try {
        body.write(this);
      } catch (IOException e) {
        // The server closed the connection without reading the rest: expected.
      }
    }, "raw-http-body");
    writer.setDaemon(true);
    writer.start();
    return writer;
  }

  /** Ends the sending side: the server reads the end of the stream. */
  public void shutdownOutput() throws IOException {
    socket.shutdownOutput();
  }

  /** Reads one answer: status line, headers, and a body framed by Content-Length or chunked. */
  public Response readResponse() throws IOException {
    String statusLine = line();
    if (statusLine == null) throw new IOException("the server closed the connection without an answer");
    int status = Integer.parseInt(statusLine.split(" ", 3)[1]);
    Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    for (String h = line(); h != null && !h.isEmpty(); h = line()) {
      int colon = h.indexOf(':');
      headers.computeIfAbsent(h.substring(0, colon).trim(), k -> new ArrayList<>()).add(h.substring(colon + 1).trim());
    }
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    List<String> length = headers.getOrDefault("Content-Length", List.of());
    if (!length.isEmpty()) {
      body.write(in.readNBytes(Integer.parseInt(length.get(0))));
    } else if (headers.getOrDefault("Transfer-Encoding", List.of()).contains("chunked")) {
      for (int n = Integer.parseInt(line().trim(), 16); n > 0; n = Integer.parseInt(line().trim(), 16)) {
        body.write(in.readNBytes(n));
        line();
      }
      line();
    }
    return new Response(status, headers, body.toString(StandardCharsets.UTF_8));
  }

  /**
   * Whether the server closed the connection: the next read finds its end, or a reset. Blocks until
   * one of them, a byte, or the read timeout.
   */
  public boolean closedByServer() throws IOException {
    try {
      return in.read() < 0;
    } catch (SocketException e) {
      return true;
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }

  private String line() throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    for (int b = in.read(); b >= 0; b = in.read()) {
      if (b == '\n') {
        String s = line.toString(StandardCharsets.ISO_8859_1);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
      }
      line.write(b);
    }
    return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
  }

  /** What a test sends as a body, on the writer thread. */
  @FunctionalInterface
  public interface BodyWriter {
    void write(RawHttp http) throws IOException;
  }

  /** One answer. Header names compare ignoring case. */
  public record Response(int status, Map<String, List<String>> headers, String body) {
    public Optional<String> header(String name) {
      return headers.getOrDefault(name, List.of()).stream().findFirst();
    }
  }
}
