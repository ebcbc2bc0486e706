package dev.idempotency.client;

import java.security.SecureRandom;
import java.util.Objects;
import java.util.Random;

/**
 * A {@link Random} that draws every value from a {@link SecureRandom} but is not one. It exists
 * for java-uuid-generator's {@code RandomBasedGenerator} (5.2.0): given a {@code SecureRandom} it
 * reads 16 bytes and builds the low half of the UUID from bytes 1 to 8, overlapping the high
 * half's bytes 0 to 7, so a key has 72 random bits; given any other {@code Random} it calls
 * {@link #nextLong()} twice, 128 independent bits of which the UUID keeps 122. This class makes
 * it take the second path with the first's source.
 *
 * <p>Each {@code nextLong} is one {@code SecureRandom.nextBytes} of 8 bytes. No state of its own:
 * as threadsafe as the {@code SecureRandom}, which the JDK's are. The seed of the {@code Random}
 * it extends is never used.
 */
final class SecureRandomFacade extends Random {
  private static final long serialVersionUID = 1L;

  private final SecureRandom secure;

  SecureRandomFacade(SecureRandom secure) {
    this.secure = Objects.requireNonNull(secure, "secure");
  }

  @Override
  public long nextLong() {
    byte[] b = new byte[Long.BYTES];
    secure.nextBytes(b);
    long v = 0;
    for (byte x : b) v = (v << 8) | (x & 0xFF);
    return v;
  }

  @Override
  public void nextBytes(byte[] bytes) {
    secure.nextBytes(bytes);
  }

  // Every other method of Random (nextInt, nextDouble, ...) is built on next(bits).
  @Override
  protected int next(int bits) {
    return secure.nextInt() >>> (32 - bits);
  }
}
