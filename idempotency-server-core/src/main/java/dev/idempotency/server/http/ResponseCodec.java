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
    List<byte[]> strings = new ArrayList<>();
    long size = 1 + 2 + 4;
    for (Map.Entry<String, List<String>> e : value.headers().entrySet()) {
      byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
      for (String v : e.getValue()) {
        byte[] bytes = v.getBytes(StandardCharsets.UTF_8);
        strings.add(name);
        strings.add(bytes);
        size += 8L + name.length + bytes.length;
      }
    }
    size += 4L + value.body().length;
    if (size > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("response too large to store: " + size + " bytes");
    }
    ByteBuffer out = ByteBuffer.allocate((int) size);
    out.put(VERSION);
    out.putShort((short) value.status());
    out.putInt(strings.size() / 2);
    for (byte[] s : strings) {
      out.putInt(s.length).put(s);
    }
    out.putInt(value.body().length).put(value.body());
    return out.array();
  }

  /**
   * @throws IllegalArgumentException if {@code bytes} is not a response this codec wrote
   */
  @Override
  public HttpResponseView decode(byte[] bytes) {
    Objects.requireNonNull(bytes, "bytes");
    ByteBuffer in = ByteBuffer.wrap(bytes);
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
    return new String(readBytes(in), StandardCharsets.UTF_8);
  }

  private static byte[] readBytes(ByteBuffer in) {
    int length = in.getInt();
    if (length < 0 || length > in.remaining()) {
      throw new IllegalArgumentException("corrupt stored response: a length of " + length);
    }
    byte[] b = new byte[length];
    in.get(b);
    return b;
  }
}
