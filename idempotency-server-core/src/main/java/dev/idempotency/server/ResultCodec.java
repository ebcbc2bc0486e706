package dev.idempotency.server;

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

  /** JSON with Jackson's default mapper: {@link JsonResultCodec#of(Class)}. */
  static <T> ResultCodec<T> json(Class<T> type) {
    return JsonResultCodec.of(type);
  }
}
