package dev.idempotency.spring;

import dev.idempotency.server.store.IdempotencyStore;
import dev.idempotency.server.store.RecordId;
import java.util.Objects;
import java.util.UUID;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * UP when the store answers, DOWN with the reason when it does not. The probe is one
 * {@link IdempotencyStore#release} of a record nobody holds, under a token nobody has: one round
 * trip to Redis or the database that changes nothing and works for any store. Threadsafe.
 */
public final class IdempotencyStoreHealthIndicator extends AbstractHealthIndicator {
  // Its own namespace: no service's record can have this id, and the release never matches.
  private static final RecordId PROBE = new RecordId("idempotency-health", "", "probe");

  private final IdempotencyStore store;

  /** @throws NullPointerException if {@code store} is null */
  public IdempotencyStoreHealthIndicator(IdempotencyStore store) {
    super("the idempotency store does not answer");
    this.store = Objects.requireNonNull(store, "store");
  }

  @Override
  protected void doHealthCheck(Health.Builder builder) {
    builder.withDetail("store", store.getClass().getSimpleName());
    try {
      store.release(PROBE, UUID.randomUUID().toString());
      builder.up();
    } catch (RuntimeException e) {
      // The store's exceptions name no key, scope or credential (the contract's rule).
      builder.down().withDetail("reason", String.valueOf(e.getMessage()));
    }
  }
}
