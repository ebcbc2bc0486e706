package dev.idempotency.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idempotency.server.IdempotencyCapacityExceededException;
import dev.idempotency.server.IdempotencyStoreUnavailableException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The store contract against the in-memory store, plus its bound and its expiry by the clock. */
class InMemoryIdempotencyStoreTest extends IdempotencyStoreContract {
  private final FakeClock clock = new FakeClock();

  @Override
  protected IdempotencyStore newStore() {
    return InMemoryIdempotencyStore.builder().clock(clock).build();
  }

  @Override
  protected void advance(Duration d) {
    clock.advance(d);
  }

  private InMemoryIdempotencyStore bounded(int maximumSize) {
    return InMemoryIdempotencyStore.builder().clock(clock).maximumSize(maximumSize).build();
  }

  @Test
  void defaults() {
    InMemoryIdempotencyStore defaults = new InMemoryIdempotencyStore();
    assertThat(defaults.maximumSize()).isEqualTo(InMemoryIdempotencyStore.DEFAULT_MAXIMUM_SIZE).isEqualTo(100_000);
    assertThat(defaults.size()).isZero();
  }

  @Test
  void aLeaseEndsExactlyAtItsTtlByTheClock() {
    store.claim(id("k"), "fp", "owner-a", Duration.ofSeconds(30));
    clock.advance(Duration.ofMillis(29_999));

    assertThat(store.claim(id("k"), "fp", "owner-b", LONG)).isEqualTo(new ClaimResult.InProgress(Duration.ofMillis(1)));
    clock.advance(Duration.ofMillis(1));
    assertThat(store.claim(id("k"), "fp", "owner-b", LONG)).isEqualTo(new ClaimResult.Acquired("owner-b"));
  }

  @Test
  void leaseRemainingIsTheLeaseLessTheTimePassed() {
    store.claim(id("k"), "fp", "owner-a", Duration.ofSeconds(30));
    clock.advance(Duration.ofSeconds(10));
    assertThat(store.claim(id("k"), "fp", "owner-b", LONG)).isEqualTo(new ClaimResult.InProgress(Duration.ofSeconds(20)));

    store.renew(id("k"), "owner-a", Duration.ofSeconds(30));
    clock.advance(Duration.ofSeconds(5));
    assertThat(store.claim(id("k"), "fp", "owner-b", LONG)).isEqualTo(new ClaimResult.InProgress(Duration.ofSeconds(25)));
  }

  @Test
  void aRetentionEndsExactlyAtItsTtl() {
    store.claim(id("k"), "fp", "owner-a", LONG);
    store.complete(id("k"), "owner-a", bytes("answer"), Duration.ofHours(24));
    clock.advance(Duration.ofHours(24).minusMillis(1));
    assertThat(store.claim(id("k"), "fp", "owner-b", LONG)).isInstanceOf(ClaimResult.Completed.class);
    clock.advance(Duration.ofMillis(1));
    assertThat(store.claim(id("k"), "fp", "owner-b", LONG)).isEqualTo(new ClaimResult.Acquired("owner-b"));
  }

  @Test
  void whenFullOfClaimsInProgressANewClaimIsRefusedAndNothingIsEvicted() {
    InMemoryIdempotencyStore s = bounded(3);
    for (String k : List.of("a", "b", "c")) s.claim(id(k), "fp", "owner-" + k, LONG);

    assertThatThrownBy(() -> s.claim(id("d"), "fp", "owner-d", LONG))
        .isInstanceOf(IdempotencyCapacityExceededException.class)
        .isInstanceOf(IdempotencyStoreUnavailableException.class)
        .hasMessageContaining("3 claims in progress");
    assertThat(s.size()).isEqualTo(3);
    // Existing records still answer: only a new record needs room.
    for (String k : List.of("a", "b", "c")) {
      assertThat(s.claim(id(k), "fp", "other", LONG)).as(k).isInstanceOf(ClaimResult.InProgress.class);
    }
    assertThat(s.complete(id("d"), "owner-d", bytes("x"), LONG)).isFalse();
    for (String k : List.of("a", "b", "c")) {
      assertThat(s.complete(id(k), "owner-" + k, bytes(k), LONG)).as(k).isTrue();
    }
  }

  @Test
  void whenFullANewClaimEvictsTheCompletedRecordClosestToExpiryNeverAClaim() {
    InMemoryIdempotencyStore s = bounded(4);
    s.claim(id("claim-1"), "fp", "o1", LONG);
    s.claim(id("done-late"), "fp", "o2", LONG);
    s.complete(id("done-late"), "o2", bytes("late"), Duration.ofHours(2));
    s.claim(id("done-early"), "fp", "o3", LONG);
    s.complete(id("done-early"), "o3", bytes("early"), Duration.ofHours(1));
    s.claim(id("claim-2"), "fp", "o4", LONG);

    assertThat(s.claim(id("new-1"), "fp", "o5", LONG)).isEqualTo(new ClaimResult.Acquired("o5"));
    assertThat(s.size()).isEqualTo(4);
    assertThat(s.claim(id("done-late"), "fp", "x", LONG)).isInstanceOf(ClaimResult.Completed.class);

    assertThat(s.claim(id("new-2"), "fp", "o6", LONG)).isEqualTo(new ClaimResult.Acquired("o6"));
    assertThat(s.size()).isEqualTo(4);
    // Both completed records are gone; the four claims remain and the store is now full.
    assertThatThrownBy(() -> s.claim(id("new-3"), "fp", "o7", LONG))
        .isInstanceOf(IdempotencyCapacityExceededException.class);
    for (String k : List.of("claim-1", "claim-2", "new-1", "new-2")) {
      assertThat(s.claim(id(k), "fp", "other", LONG)).as(k).isInstanceOf(ClaimResult.InProgress.class);
    }
    assertThat(s.complete(id("claim-1"), "o1", bytes("1"), LONG)).isTrue();
  }

  @Test
  void expiredClaimsMakeRoomBeforeAnyCompletedRecordIsEvicted() {
    InMemoryIdempotencyStore s = bounded(2);
    s.claim(id("crashed"), "fp", "o1", Duration.ofSeconds(30));
    s.claim(id("done"), "fp", "o2", LONG);
    s.complete(id("done"), "o2", bytes("answer"), Duration.ofHours(24));
    clock.advance(Duration.ofSeconds(30));

    assertThat(s.claim(id("new"), "fp", "o3", LONG)).isEqualTo(new ClaimResult.Acquired("o3"));
    assertThat(s.claim(id("done"), "fp", "x", LONG)).isInstanceOf(ClaimResult.Completed.class);
    assertThat(s.release(id("crashed"), "o1")).isFalse();
  }

  @Test
  void writesDropExpiredRecordsWithoutAnyThread() {
    InMemoryIdempotencyStore s = bounded(10_000);
    for (int i = 0; i < 1_000; i++) {
      s.claim(id("old-" + i), "fp", "o", LONG);
      if (i % 2 == 0) s.complete(id("old-" + i), "o", bytes("answer"), Duration.ofMinutes(1));
      else s.renew(id("old-" + i), "o", Duration.ofMinutes(1));
    }
    assertThat(s.storedRecords()).isEqualTo(1_000);
    clock.advance(Duration.ofMinutes(1));

    // One claim in eight drops up to 16 expired records of each kind: 500 of each go within a
    // few hundred claims (these keys are fixed, so is the count).
    int claims = 0;
    while (s.storedRecords() > claims) {
      assertThat(claims).as("claims before the expired records were gone").isLessThan(400);
      s.claim(id("new-" + claims++), "fp", "o", LONG);
    }
    assertThat(claims).isGreaterThan(32); // a few at a time, not all at once
  }

  @Test
  void aCapacityOfOneStillWorks() {
    InMemoryIdempotencyStore s = bounded(1);
    s.claim(id("a"), "fp", "o1", LONG);
    assertThatThrownBy(() -> s.claim(id("b"), "fp", "o2", LONG)).isInstanceOf(IdempotencyCapacityExceededException.class);
    s.release(id("a"), "o1");
    assertThat(s.claim(id("b"), "fp", "o2", LONG)).isEqualTo(new ClaimResult.Acquired("o2"));
    s.complete(id("b"), "o2", bytes("b"), LONG);
    assertThat(s.claim(id("c"), "fp", "o3", LONG)).isEqualTo(new ClaimResult.Acquired("o3"));
    assertThat(s.size()).isEqualTo(1);
  }

  /**
   * Threads claim and complete distinct keys through a small store: it evicts completed records
   * as needed, never refuses (there is always a completed record to evict), never exceeds its
   * bound.
   */
  @Test
  void concurrentWritersNeverPushItPastItsBound() throws Exception {
    int maximum = 64;
    InMemoryIdempotencyStore s = bounded(maximum);
    int threads = 8;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        futures.add(pool.submit(() -> {
          for (int i = 0; i < 2_000; i++) {
            RecordId id = id(thread + "-" + i);
            assertThat(s.claim(id, "fp", "o", LONG)).isEqualTo(new ClaimResult.Acquired("o"));
            assertThat(s.storedRecords()).isLessThanOrEqualTo(maximum);
            assertThat(s.complete(id, "o", bytes("answer"), LONG)).isTrue();
          }
          return null;
        }));
      }
      for (Future<?> f : futures) f.get(60, TimeUnit.SECONDS);
    } finally {
      pool.shutdownNow();
    }
    assertThat(s.size()).isEqualTo(maximum);
  }

  /**
   * Writers claim, renew (with a shorter lease: out of deadline order), complete and release
   * distinct keys while each moves the clock: every answer is the one the state machine gives (an
   * owner's call answers false only once its lease has ended by the clock), the bound holds, and
   * once everything has expired the store and its deadline queues are empty: no record and no
   * queue entry is left behind.
   */
  @Test
  void expiryUnderConcurrentWritersLeavesNothingBehind() throws Exception {
    int maximum = 2_000;
    InMemoryIdempotencyStore s = bounded(maximum);
    int threads = 4;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        futures.add(pool.submit(() -> {
          for (int i = 0; i < 5_000; i++) {
            clock.advance(Duration.ofMillis(1));
            RecordId id = id(thread + "-" + i);
            long claimedBy = clock.millis();
            assertThat(s.claim(id, "fp", "o", Duration.ofSeconds(2))).isEqualTo(new ClaimResult.Acquired("o"));
            switch (i % 3) {
              case 0 -> {
                if (!s.complete(id, "o", bytes("answer " + i), Duration.ofSeconds(1 + i % 5))) {
                  assertThat(clock.millis() - claimedBy).as("complete refused: lease over").isGreaterThanOrEqualTo(2_000);
                }
              }
              case 1 -> {
                if (!s.renew(id, "o", Duration.ofMillis(500))) {
                  assertThat(clock.millis() - claimedBy).as("renew refused: lease over").isGreaterThanOrEqualTo(2_000);
                } else if (!s.release(id, "o")) {
                  assertThat(clock.millis() - claimedBy).as("release refused: lease over").isGreaterThanOrEqualTo(500);
                }
              }
              default -> s.renew(id, "o", Duration.ofMillis(300)); // left to expire
            }
            assertThat(s.storedRecords()).isLessThanOrEqualTo(maximum);
          }
          return null;
        }));
      }
      for (Future<?> f : futures) f.get(60, TimeUnit.SECONDS);
    } finally {
      pool.shutdownNow();
    }
    assertThat(s.queuedRecords()).as("queued before expiry").isPositive();
    clock.advance(Duration.ofMinutes(1));
    assertThat(s.size()).isZero();
    assertThat(s.queuedRecords()).isZero();
  }

  @Test
  void builderChecksItsArguments() {
    assertThatThrownBy(() -> InMemoryIdempotencyStore.builder().maximumSize(0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> InMemoryIdempotencyStore.builder().clock(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("clock");
  }
}
