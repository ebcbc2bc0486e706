package dev.idempotency.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idempotency.contract.ReadmeSnippets;
import dev.idempotency.server.store.IdempotencyStore;
import dev.idempotency.server.store.InMemoryIdempotencyStore;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;

/** The README's guard snippets, compiled and run. Keep them in step with README.md. */
class ReadmeGuardExampleTest {
  record Receipt(String chargeId, BigDecimal amount) {}

  static final class CardDeclinedException extends RuntimeException {
    CardDeclinedException(String message) {
      super(message);
    }
  }

  final AtomicInteger charges = new AtomicInteger();

  Receipt charge(String order) {
    return new Receipt("ch_" + charges.incrementAndGet() + "_" + order, new BigDecimal("12.50"));
  }

  @Test
  void quickstart() {
    String key = UUID.randomUUID().toString(); // from the client's Idempotency-Key header
    String userId = "user-1";                  // from authentication, never from the caller
    String order = "ord-1";

    // README: quickstart
    IdempotencyGuard guard = IdempotencyGuard.builder()
        .store(new InMemoryIdempotencyStore())
        .namespace("payments")
        .build();

    Receipt receipt = guard.execute(
        IdempotentCall.of(key).withScope(userId),
        Receipt.class,
        () -> charge(order));
    // README: end

    Receipt again = guard.execute(IdempotentCall.of(key).withScope(userId), Receipt.class, () -> charge(order));
    assertThat(again).isEqualTo(receipt);
    assertThat(charges).hasValue(1);
    guard.close();
  }

  /** The ledger a payment writes, fenced: it refuses a write older than one it has taken. */
  static final class Ledger {
    private long highestToken;

    synchronized Receipt charge(String order, long fencingToken) {
      if (fencingToken <= highestToken) throw new IllegalStateException("a stale owner's write");
      highestToken = fencingToken;
      return new Receipt("ch_" + fencingToken + "_" + order, new BigDecimal("12.50"));
    }
  }

  @Test
  void generalForm() throws Exception {
    String key = UUID.randomUUID().toString();
    String userId = "user-1";
    String order = "ord-1";
    Ledger ledger = new Ledger();
    IdempotencyGuard guard = IdempotencyGuard.builder().store(new InMemoryIdempotencyStore()).build();

    // README: general form
    GuardedResult<Receipt> result = guard.run(
        IdempotentCall.of(key).withScope(userId),
        ResultCodec.json(Receipt.class),
        StorePolicy.<Receipt>storeEveryResult()
            .storeFailuresWhen(e -> e instanceof CardDeclinedException),
        claim -> ledger.charge(order, claim.fencingToken()));
    // README: end

    assertThat(result.replayed()).isFalse();
    GuardedResult<Receipt> again = guard.run(IdempotentCall.of(key).withScope(userId),
        ResultCodec.json(Receipt.class), StorePolicy.storeEveryResult(), claim -> ledger.charge(order, 0));
    assertThat(again).isEqualTo(new GuardedResult<>(result.value(), true));
    guard.close();
  }

  @Test
  void theReadmeShowsThisCode() {
    assertThat(ReadmeSnippets.assertReadmeShows(
            Path.of("src/test/java/dev/idempotency/server/ReadmeGuardExampleTest.java"), Path.of("../README.md")))
        .containsExactly("quickstart", "general form", "policies", "memory store", "lossy store");
  }

  @Test
  void policies() {
    IdempotencyStore store = new InMemoryIdempotencyStore();
    IdempotencyListener metrics = IdempotencyListener.NONE;

    // README: policies
    IdempotencyGuard guard = IdempotencyGuard.builder()
        .store(store)
        .namespace("payments")
        .leaseTtl(Duration.ofSeconds(30))     // default; renewed every 10 s while the code runs
        .retention(Duration.ofHours(24))      // default
        .inProgressPolicy(InProgressPolicy.waitUpTo(Duration.ofSeconds(5))) // default: failFast()
        .storeFailuresWhen(e -> e instanceof CardDeclinedException)         // default: none
        .failOpen(false)                      // default: fail closed
        .listener(metrics)
        .build();
    // README: end

    assertThatThrownBy(() -> guard.execute("k", Receipt.class, () -> {
      throw new CardDeclinedException("insufficient funds");
    })).isInstanceOf(CardDeclinedException.class);
    assertThatThrownBy(() -> guard.execute("k", Receipt.class, () -> charge("o")))
        .isInstanceOf(IdempotencyStoredFailureException.class)
        .hasMessageContaining("insufficient funds");
    assertThat(charges).hasValue(0);
    guard.close();
  }

  @Test
  void memoryStore() {
    LongAdder evictions = new LongAdder();

    // README: memory store
    InMemoryIdempotencyStore store = InMemoryIdempotencyStore.builder()
        .maximumSize(100_000)          // default
        .maximumSizePerScope(10_000)   // default: a tenth; maximumSize lets one scope fill the store
        .build();
    // README: end
    // README: lossy store
    InMemoryIdempotencyStore lossy = InMemoryIdempotencyStore.builder()
        .evictCompletedEarly((id, retentionLeft) -> evictions.increment()) // a metric, a log line
        .build();
    // README: end

    InMemoryIdempotencyStore defaults = new InMemoryIdempotencyStore();
    assertThat(store.maximumSize()).isEqualTo(defaults.maximumSize());
    assertThat(store.maximumSizePerScope()).isEqualTo(defaults.maximumSizePerScope());
    assertThat(lossy.evictsCompletedEarly()).isTrue();
    assertThat(evictions.sum()).isZero();
  }
}
