package dev.idempotency.opentelemetry;

import dev.idempotency.server.store.ClaimResult;
import dev.idempotency.server.store.IdempotencyStore;
import dev.idempotency.server.store.RecordId;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A store that delegates to a real one unless told to fail an operation: the stand-in for a store
 * whose server is down, which has no real peer in a unit test.
 */
final class FlakyStore implements IdempotencyStore {
  private final IdempotencyStore delegate;
  volatile RuntimeException failClaim;
  volatile RuntimeException failComplete;
  volatile RuntimeException failRelease;
  /** How many renewals fail from now on; then they reach the delegate again. */
  final AtomicInteger renewalsToFail = new AtomicInteger();

  FlakyStore(IdempotencyStore delegate) {
    this.delegate = delegate;
  }

  @Override
  public ClaimResult claim(RecordId id, String fingerprint, String ownerToken, Duration leaseTtl) {
    if (failClaim != null) throw failClaim;
    return delegate.claim(id, fingerprint, ownerToken, leaseTtl);
  }

  @Override
  public boolean complete(RecordId id, String ownerToken, byte[] result, Duration retention) {
    if (failComplete != null) throw failComplete;
    return delegate.complete(id, ownerToken, result, retention);
  }

  @Override
  public boolean renew(RecordId id, String ownerToken, Duration leaseTtl) {
    if (renewalsToFail.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      throw new IllegalStateException("renewal refused (scripted)");
    }
    return delegate.renew(id, ownerToken, leaseTtl);
  }

  @Override
  public boolean release(RecordId id, String ownerToken) {
    if (failRelease != null) throw failRelease;
    return delegate.release(id, ownerToken);
  }
}
