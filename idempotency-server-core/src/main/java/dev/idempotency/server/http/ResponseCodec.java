package dev.idempotency.server.http;

import dev.idempotency.server.ResultCodec;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The stored form of an {@link HttpResponseView}: compact, binary-safe, and checked on the way
 * back in. All integers are big-endian.
 *
 * <pre>
 *   u8   format version (1)
 *   u16  status
 *   i32  number of header pairs; a header with n values is n pairs
 *   per pair: i32 name length, name (UTF-8), i32 value length, value (UTF-8)
 *   i32  body length, body bytes
 * </pre>
 *
 * <p>This class is threadsafe.
 */
final class ResponseCodec implements ResultCodec<HttpResponseView> {
  static final ResponseCodec INSTANCE = new ResponseCodec();

  // A leading version byte lets a later format read (or refuse) records a store still retains
  // from this one: answers live for the retention TTL, across deployments.
  private static final byte VERSION = 1;

  private ResponseCodec() {}

  @Override
  public byte[] encode(HttpResponseView value) {
    Objects.requireNonNull(value, "value");
    // Sized first, then written into one array: no intermediate copies. Header names and values
    // are nearly always ASCII, where a string's UTF-8 length is its length.
    byte[] body = value.body();
    long size = 1 + 2 + 4 + 4L + body.length;
    int pairs = 0;
    for (Map.Entry<String, List<String>> e : value.headers().entrySet()) {
      int name = utf8Length(e.getKey());
      for (String v : e.getValue()) {
        size += 8L + name + utf8Length(v);
        pairs++;
      }
    }
    if (size > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("response too large to store: " + size + " bytes");
    }
    byte[] out = new byte[(int) size];
    out[0] = VERSION;
    out[1] = (byte) (value.status() >>> 8);
    out[2] = (byte) value.status();
    int at = putInt(out, 3, pairs);
    for (Map.Entry<String, List<String>> e : value.headers().entrySet()) {
      for (String v : e.getValue()) {
        at = putString(out, at, e.getKey());
        at = putString(out, at, v);
      }
    }
    at = putInt(out, at, body.length);
    System.arraycopy(body, 0, out, at, body.length);
    return out;
  }

  private static int utf8Length(String s) {
    return isAscii(s) ? s.length() : s.getBytes(StandardCharsets.UTF_8).length;
  }

  private static boolean isAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) >= 0x80) return false;
    }
    return true;
  }

  /** Writes {@code s} as its UTF-8 length and bytes at {@code at}; returns the next position. */
  private static int putString(byte[] out, int at, String s) {
    if (!isAscii(s)) {
      byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
      at = putInt(out, at, bytes.length);
      System.arraycopy(bytes, 0, out, at, bytes.length);
      return at + bytes.length;
    }
    int n = s.length();
    at = putInt(out, at, n);
    for (int i = 0; i < n; i++) out[at + i] = (byte) s.charAt(i);
    return at + n;
  }

  private static int putInt(byte[] out, int at, int v) {
    out[at] = (byte) (v >>> 24);
    out[at + 1] = (byte) (v >>> 16);
    out[at + 2] = (byte) (v >>> 8);
    out[at + 3] = (byte) v;
    return at + 4;
  }

  /**
   * @throws IllegalArgumentException if {@code bytes} is not a response this codec wrote
   */
  @Override
  public HttpResponseView decode(byte[] bytes) {
    return decode(bytes, 0, Objects.requireNonNull(bytes, "bytes").length);
  }

  /** Decodes in place, without copying the slice: a replay reads past the guard's tag byte. */
  @Override
  public HttpResponseView decode(byte[] bytes, int offset, int length) {
    Objects.checkFromIndexSize(offset, length, bytes.length);
    ByteBuffer in = ByteBuffer.wrap(bytes, offset, length);
    try {
      byte version = in.get();
      if (version != VERSION) {
        throw new IllegalArgumentException("unknown stored response format " + version);
      }
      int status = Short.toUnsignedInt(in.getShort());
      int pairs = in.getInt();
      // Each pair takes at least 8 bytes: a count that cannot fit is corrupt, not a reason to
      // allocate.
      if (pairs < 0 || pairs > in.remaining() / 8) {
        throw new IllegalArgumentException("corrupt stored response: " + pairs + " header pairs");
      }
      Map<String, List<String>> headers = new LinkedHashMap<>();
      for (int i = 0; i < pairs; i++) {
        String name = readString(in);
        String value = readString(in);
        headers.computeIfAbsent(name, n -> new ArrayList<>(1)).add(value);
      }
      byte[] body = readBytes(in);
      if (in.hasRemaining()) {
        throw new IllegalArgumentException(
            "corrupt stored response: " + in.remaining() + " bytes after the body");
      }
      return new HttpResponseView(status, headers, body);
    } catch (BufferUnderflowException e) {
      throw new IllegalArgumentException("corrupt stored response: truncated", e);
    }
  }

  private static String readString(ByteBuffer in) {
    int length = readLength(in);
    // Decoded straight from the stored array (a wrapped one), without an intermediate copy.
    String s = new String(in.array(), in.arrayOffset() + in.position(), length, StandardCharsets.UTF_8);
    in.position(in.position() + length);
    return s;
  }

  private static byte[] readBytes(ByteBuffer in) {
    byte[] b = new byte[readLength(in)];
    in.get(b);
    return b;
  }

  private static int readLength(ByteBuffer in) {
    int length = in.getInt();
    if (length < 0 || length > in.remaining()) {
      throw new IllegalArgumentException("corrupt stored response: a length of " + length);
    }
    return length;
  }
}
