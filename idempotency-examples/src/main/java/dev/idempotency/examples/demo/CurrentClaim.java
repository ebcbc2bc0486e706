package dev.idempotency.examples.demo;

import dev.idempotency.server.Claim;
import dev.idempotency.server.GuardedResult;
import dev.idempotency.server.IdempotencyExecutor;
import dev.idempotency.server.IdempotentCall;
import dev.idempotency.server.IdempotentWork;
import dev.idempotency.server.ResultCodec;
import dev.idempotency.server.StorePolicy;

/**
 * An {@link IdempotencyExecutor} that lets the work's thread read the {@link Claim} it runs under
 * ({@link #get()}): both guards run the work on the caller's thread, and the payment code runs
 * there too, inside the layer.
 *
 * <p>Why not the exchange attribute that {@code IdempotentExchangeHandler.claim(exchange)} reads:
 * on JDK 17 the attributes of an {@code HttpExchange} are its {@code HttpContext}'s, one map that
 * every request on the context shares, so a payment read the claim of whichever request set it
 * last: another payment's fencing token, another payment's transaction.
 *
 * <p>This class is threadsafe.
 */
final class CurrentClaim implements IdempotencyExecutor {
  private static final ThreadLocal<Claim> CURRENT = new ThreadLocal<>();

  private final IdempotencyExecutor delegate;

  CurrentClaim(IdempotencyExecutor delegate) {
    this.delegate = delegate;
  }

  /** The claim the work on this thread runs under; {@link Claim#UNGUARDED} outside any. */
  static Claim get() {
    Claim claim = CURRENT.get();
    return claim == null ? Claim.UNGUARDED : claim;
  }

  @Override
  public <T> GuardedResult<T> run(IdempotentCall call, ResultCodec<T> codec, StorePolicy<T> policy,
      IdempotentWork<T> work) throws Exception {
    return delegate.run(call, codec, policy, claim -> {
      Claim outer = CURRENT.get();
      CURRENT.set(claim);
      try {
        return work.run(claim);
      } finally {
        if (outer == null) CURRENT.remove();
        else CURRENT.set(outer);
      }
    });
  }

  @Override
  public String namespace() {
    return delegate.namespace();
  }
}
