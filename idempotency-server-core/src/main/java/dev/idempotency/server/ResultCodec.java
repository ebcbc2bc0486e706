package dev.idempotency.server;

/**
 * Turns a result into the bytes a store keeps, and back. A replay returns
 * {@code decode(encode(value))}, which must equal the original value.
 *
 * <p>Implementations are threadsafe.
 */
public interface ResultCodec<T> {
  byte[] encode(T value);

  T decode(byte[] bytes);
}
