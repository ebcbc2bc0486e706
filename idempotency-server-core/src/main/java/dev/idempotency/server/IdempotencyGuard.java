package dev.idempotency.server;

import java.util.function.Supplier;

/**
 * SKELETON: the agreed public shape; the implementation replaces the bodies.
 *
 * <p>Runs business code at most once per key: {@code guard.execute(key, Receipt.class, () -> charge())}.
 *
 * <p>This class is threadsafe.
 */
public final class IdempotencyGuard {

  public static Builder builder() {
    throw new UnsupportedOperationException("not yet implemented");
  }

  /** Runs {@code supplier} once for {@code key}; a repeat returns the stored result (JSON codec). */
  public <T> T execute(String key, Class<T> type, Supplier<? extends T> supplier) {
    throw new UnsupportedOperationException("not yet implemented");
  }

  public <T> T execute(String key, ResultCodec<T> codec, Supplier<? extends T> supplier) {
    throw new UnsupportedOperationException("not yet implemented");
  }

  public <T> T execute(IdempotentCall call, ResultCodec<T> codec, Supplier<? extends T> supplier) {
    throw new UnsupportedOperationException("not yet implemented");
  }

  /** Like {@link #execute(IdempotentCall, ResultCodec, Supplier)}, also telling whether it was a replay. */
  public <T> GuardedResult<T> executeDetailed(
      IdempotentCall call, ResultCodec<T> codec, Supplier<? extends T> supplier) {
    throw new UnsupportedOperationException("not yet implemented");
  }

  /** SKELETON builder. */
  public static final class Builder {
    public IdempotencyGuard build() {
      throw new UnsupportedOperationException("not yet implemented");
    }
  }
}
