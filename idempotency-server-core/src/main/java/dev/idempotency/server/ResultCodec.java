package dev.idempotency.server;

import java.util.Arrays;
import java.util.Objects;

/**
 * Turns a result into the bytes a store keeps, and back. A replay returns
 * {@code decode(encode(value))}, which must equal the original value.
 *
 * <p>Implementations are threadsafe. An exception from {@code encode} reaches the caller of the
 * guard after the claim is released; one from {@code decode} reaches the repeat's caller.
 */
public interface ResultCodec<T> {
  byte[] encode(T value);

  T decode(byte[] bytes);

  /**
   * Decodes the {@code length} bytes of {@code bytes} that start at {@code offset}. The guard reads
   * a stored result with this, past the byte it keeps in front of the codec's bytes, so a codec
   * that can read a slice (as {@link JsonResultCodec} does) is spared a copy. The default copies
   * the slice and calls {@link #decode(byte[])}.
   */
  default T decode(byte[] bytes, int offset, int length) {
    Objects.checkFromIndexSize(offset, length, bytes.length);
    return decode(Arrays.copyOfRange(bytes, offset, offset + length));
  }

  /** The bytes as they are (copied in and out): for results the caller has encoded already. */
  static ResultCodec<byte[]> bytes() {
    return ResultCodecs.BYTES;
  }

  /** Strings as UTF-8. */
  static ResultCodec<String> utf8() {
    return ResultCodecs.UTF8;
  }

  /** No result: stores nothing, replays {@code null} (for work run for its effect alone). */
  static ResultCodec<Void> none() {
    return ResultCodecs.NONE;
  }

  /** JSON with Jackson's default mapper: {@link JsonResultCodec#of(Class)}. */
  static <T> ResultCodec<T> json(Class<T> type) {
    return JsonResultCodec.of(type);
  }
}
