package dev.idempotency.servlet;

import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/** Reads a guarded request's body, never more than the layer's limit plus one byte. */
final class BoundedBody {
  private BoundedBody() {}

  /** How much to read at most: one byte over the layer's limit is all it needs to answer 413. */
  static int readLimit(int maxBodyBytes) {
    return maxBodyBytes == Integer.MAX_VALUE ? maxBodyBytes : maxBodyBytes + 1;
  }

  /**
   * The body, or its first {@code limit} bytes if it is longer: no more is read, whatever {@code
   * length} (the Content-Length, -1 for none) announces. With a length under the limit, into an
   * array of that size: no growing buffer to copy from.
   */
  static byte[] readAtMost(InputStream in, long length, int limit) throws IOException {
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

  /** Whether body bytes may follow the headers: chunked, or a Content-Length other than 0. */
  static boolean mayFollow(HttpServletRequest request) {
    return request.getContentLengthLong() > 0 || request.getHeader("Transfer-Encoding") != null;
  }
}
