package dev.idempotency.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.server.IdempotencyGuard;
import dev.idempotency.server.store.IdempotencyStore;
import dev.idempotency.server.store.InMemoryIdempotencyStore;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;

/** The contract over the default store: memory. */
@TestPropertySource(properties = PaymentsAppContract.NO_DATASOURCE)
class MemoryStoreAppTest extends PaymentsAppContract {
  @Autowired IdempotencyStore store;
  @Autowired IdempotencyGuard guard;

  @Test
  void theDefaultStoreIsInMemoryAndTheNamespaceIsBound() {
    assertThat(store).isInstanceOf(InMemoryIdempotencyStore.class);
    assertThat(guard.namespace()).isEqualTo("payments");
  }
}
