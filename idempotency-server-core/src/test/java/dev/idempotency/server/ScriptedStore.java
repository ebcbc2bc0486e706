package dev.idempotency.server;

import dev.idempotency.server.store.ClaimResult;
import dev.idempotency.server.store.IdempotencyStore;
import dev.idempotency.server.store.IdempotencyStoreUnavailableException;
import dev.idempotency.server.store.RecordId;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A store that delegates to a real one unless told to fail an operation: the stand-in for a store
 * whose server is down, which has no real peer in a unit test. Counts the calls that reach it.
 */
public class ScriptedStore implements IdempotencyStore {
  public final IdempotencyStore delegate;
  public volatile RuntimeException failClaim;
  public volatile RuntimeException failComplete;
  public volatile RuntimeException failRenew;
  public volatile RuntimeException failRelease;
  public final AtomicInteger claims = new AtomicInteger();
  public final AtomicInteger completes = new AtomicInteger();
  public final AtomicInteger renews = new AtomicInteger();
  public final AtomicInteger releases = new AtomicInteger();
  /** How many renewals fail from now on (then they reach the delegate again), besides failRenew. */
  public final AtomicInteger renewalsToFail = new AtomicInteger();
  // Calls that have returned or thrown: a test that moves the clock waits for these, so that the
  // call it waited for cannot read the clock after the move.
  public final AtomicInteger completesAnswered = new AtomicInteger();
  public final AtomicInteger renewsAnswered = new AtomicInteger();

  public ScriptedStore(IdempotencyStore delegate) {
    this.delegate = delegate;
  }

  public int calls() {
    return claims.get() + completes.get() + renews.get() + releases.get();
  }

  @Override
  public ClaimResult claim(RecordId id, String fingerprint, String ownerToken, Duration leaseTtl) {
    claims.incrementAndGet();
    if (failClaim != null) throw failClaim;
    return delegate.claim(id, fingerprint, ownerToken, leaseTtl);
  }

  @Override
  public boolean complete(RecordId id, String ownerToken, byte[] result, Duration retention) {
    completes.incrementAndGet();
    try {
      if (failComplete != null) throw failComplete;
      return delegate.complete(id, ownerToken, result, retention);
    } finally {
      completesAnswered.incrementAndGet();
    }
  }

  @Override
  public boolean renew(RecordId id, String ownerToken, Duration leaseTtl) {
    renews.incrementAndGet();
    try {
      if (failRenew != null) throw failRenew;
      if (renewalsToFail.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        throw new IdempotencyStoreUnavailableException("renewal refused (scripted)");
      }
      return delegate.renew(id, ownerToken, leaseTtl);
    } finally {
      renewsAnswered.incrementAndGet();
    }
  }

  @Override
  public boolean release(RecordId id, String ownerToken) {
    releases.incrementAndGet();
    if (failRelease != null) throw failRelease;
    return delegate.release(id, ownerToken);
  }
}
