package dev.idempotency.server.store;

import static dev.idempotency.server.store.ClaimAssertions.acquiredBy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idempotency.contract.FakeTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The store contract against the in-memory store, plus its bound and its expiry by the ticker. */
class InMemoryIdempotencyStoreTest extends IdempotencyStoreContract {
  private final FakeTime time = new FakeTime();

  @Override
  protected IdempotencyStore newStore() {
    return InMemoryIdempotencyStore.builder().ticker(time).build();
  }

  @Override
  protected void advance(Duration d) {
    time.advance(d);
  }

  // The evictions of stores built by evicting(), in order, as "key:retention left in ms".
  private final Queue<String> evictions = new ConcurrentLinkedQueue<>();

  /** A store of {@code maximumSize} records that one scope may fill, none evicted early. */
  private InMemoryIdempotencyStore bounded(int maximumSize) {
    return InMemoryIdempotencyStore.builder().ticker(time).maximumSize(maximumSize)
        .maximumSizePerScope(maximumSize).build();
  }

  /** As {@link #bounded}, evicting completed records early when full, as the store did by default. */
  private InMemoryIdempotencyStore evicting(int maximumSize) {
    return InMemoryIdempotencyStore.builder().ticker(time).maximumSize(maximumSize)
        .maximumSizePerScope(maximumSize)
        .evictCompletedEarly((id, left) -> evictions.add(id.key() + ":" + left.toMillis()))
        .build();
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
    time.advance(Duration.ofMillis(29_999));

    assertThat(store.claim(id("k"), "fp", "owner-b", LONG)).isEqualTo(new ClaimResult.InProgress(Duration.ofMillis(1)));
    time.advance(Duration.ofMillis(1));
    assertThat(store.claim(id("k"), "fp", "owner-b", LONG)).is(acquiredBy("owner-b"));
  }

  @Test
  void leaseRemainingIsTheLeaseLessTheTimePassed() {
    store.claim(id("k"), "fp", "owner-a", Duration.ofSeconds(30));
    time.advance(Duration.ofSeconds(10));
    assertThat(store.claim(id("k"), "fp", "owner-b", LONG)).isEqualTo(new ClaimResult.InProgress(Duration.ofSeconds(20)));

    store.renew(id("k"), "owner-a", Duration.ofSeconds(30));
    time.advance(Duration.ofSeconds(5));
    assertThat(store.claim(id("k"), "fp", "owner-b", LONG)).isEqualTo(new ClaimResult.InProgress(Duration.ofSeconds(25)));
  }

  @Test
  void aRetentionEndsExactlyAtItsTtl() {
    store.claim(id("k"), "fp", "owner-a", LONG);
    store.complete(id("k"), "owner-a", bytes("answer"), Duration.ofHours(24));
    time.advance(Duration.ofHours(24).minusMillis(1));
    assertThat(store.claim(id("k"), "fp", "owner-b", LONG)).isInstanceOf(ClaimResult.Completed.class);
    time.advance(Duration.ofMillis(1));
    assertThat(store.claim(id("k"), "fp", "owner-b", LONG)).is(acquiredBy("owner-b"));
  }

  /**
   * Fencing tokens drawn by many threads at once (each from its own lane) are unique across
   * records, and each thread's are increasing; the integrations tell claims apart by them.
   */
  @Test
  void fencingTokensAreUniqueAcrossRecordsAndThreads() throws Exception {
    InMemoryIdempotencyStore s = bounded(100_000);
    int threads = 8;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    java.util.Set<Long> all = java.util.concurrent.ConcurrentHashMap.newKeySet();
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        futures.add(pool.submit(() -> {
          long previous = 0;
          for (int i = 0; i < 2_000; i++) {
            ClaimResult r = s.claim(id(thread + "-" + i), "fp", "o", LONG);
            long token = ((ClaimResult.Acquired) r).fencingToken();
            assertThat(token).as("a thread's tokens increase").isGreaterThan(previous);
            assertThat(all.add(token)).as("token %d is unique", token).isTrue();
            previous = token;
          }
          return null;
        }));
      }
      for (Future<?> f : futures) f.get(60, TimeUnit.SECONDS);
    } finally {
      pool.shutdownNow();
    }
    assertThat(all).hasSize(threads * 2_000);
  }

  /**
   * A thread's newest claim waits out of the lease queue until the thread's next record comes: one
   * that is never followed, and never completed, still expires, is dropped and frees its slot.
   */
  @Test
  void aLastClaimNeverFollowedStillExpiresAndFreesItsSlot() {
    InMemoryIdempotencyStore s = bounded(2);
    s.claim(id("done"), "fp", "o", LONG);
    s.complete(id("done"), "o", bytes("answer"), LONG);
    s.claim(id("abandoned"), "fp", "o", Duration.ofSeconds(30)); // never completed, nothing after it
    assertThat(s.queuedRecords()).as("the abandoned claim, in its lane's slot, and the completed record").isEqualTo(2);
    assertThatThrownBy(() -> s.claim(id("third"), "fp", "o", LONG))
        .isInstanceOf(IdempotencyCapacityExceededException.class);
    time.advance(Duration.ofSeconds(30));
    assertThat(s.claim(id("third"), "fp", "o", LONG)).as("the expired claim made room").is(acquiredBy("o"));
    assertThat(s.size()).isEqualTo(2);
    s.complete(id("third"), "o", bytes("answer"), LONG);
    time.advance(LONG);
    assertThat(s.size()).isZero();
    assertThat(s.queuedRecords()).as("nothing left behind").isZero();
  }

  /**
   * A claim is renewed in place, where it is queued: a sweep that reaches it at its old deadline
   * queues it again at its new one. It is neither dropped then nor in the way of the expired
   * claims queued after it, and it is dropped at its new deadline.
   */
  @Test
  void aRenewedClaimLivesToItsNewDeadlineWithoutHoldingBackTheClaimsQueuedAfterIt() {
    InMemoryIdempotencyStore s = bounded(3);
    s.claim(id("renewed"), "fp", "o", Duration.ofSeconds(1));
    s.claim(id("crashed"), "fp", "o", Duration.ofSeconds(1)); // queues "renewed" behind it in the lane
    time.advance(Duration.ofMillis(500));
    assertThat(s.renew(id("renewed"), "o", Duration.ofSeconds(2))).isTrue(); // until 2.5 s
    s.claim(id("third"), "fp", "o", Duration.ofSeconds(1)); // queues "crashed"; until 1.5 s
    time.advance(Duration.ofMillis(500)); // 1 s: "crashed" is over, "renewed" is not

    assertThat(s.claim(id("fourth"), "fp", "o", LONG)).as("the expired claim made room").is(acquiredBy("o"));
    assertThat(s.claim(id("renewed"), "fp", "x", LONG)).isInstanceOf(ClaimResult.InProgress.class);
    time.advance(Duration.ofMillis(1_499)); // 2.499 s
    assertThat(s.size()).as("renewed and fourth").isEqualTo(2);
    time.advance(Duration.ofMillis(1));
    assertThat(s.size()).as("the renewed lease is over at its new deadline").isEqualTo(1);
    assertThat(s.queuedRecords()).as("fourth, in its lane's slot").isEqualTo(1);
  }

  /** A renewal may shorten a lease: the claim is dropped at its new, earlier deadline. */
  @Test
  void aLeaseShortenedByARenewalEndsAtItsNewDeadlineAndMakesRoomThen() {
    InMemoryIdempotencyStore s = bounded(1);
    s.claim(id("a"), "fp", "o", LONG);
    assertThat(s.renew(id("a"), "o", Duration.ofSeconds(1))).isTrue();
    time.advance(Duration.ofMillis(999));
    assertThatThrownBy(() -> s.claim(id("b"), "fp", "o", LONG))
        .isInstanceOf(IdempotencyCapacityExceededException.class);
    time.advance(Duration.ofMillis(1));
    assertThat(s.claim(id("b"), "fp", "o", LONG)).is(acquiredBy("o"));
    assertThat(s.complete(id("a"), "o", bytes("late"), LONG)).isFalse();
    assertThat(s.queuedRecords()).as("b, in its lane's slot").isEqualTo(1);
  }

  /**
   * A completion in place races the lease's end: the owner completes while another thread moves
   * the clock past the lease and claims the key, and a third sweeps. Exactly one of them wins each
   * time: the completion (the other's claim is answered with it) or the new claim (the completion
   * answers false and stored nothing). Never both, never neither.
   */
  @Test
  void aCompletionRacingTheLeasesEndEitherStoresOrLosesTheClaimNeverBoth() throws Exception {
    InMemoryIdempotencyStore s = bounded(100_000);
    ExecutorService pool = Executors.newFixedThreadPool(3);
    java.util.concurrent.atomic.AtomicBoolean sweeping = new java.util.concurrent.atomic.AtomicBoolean(true);
    int completedFirst = 0;
    int claimedFirst = 0;
    try {
      Future<?> sweeper = pool.submit(() -> {
        while (sweeping.get()) s.cleanUp();
      });
      for (int i = 0; i < 3_000; i++) {
        RecordId id = id("race-" + i);
        assertThat(s.claim(id, "fp", "owner", Duration.ofMillis(1))).is(acquiredBy("owner"));
        java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(2);
        Future<Boolean> complete = pool.submit(() -> {
          start.await();
          return s.complete(id, "owner", bytes("answer"), LONG);
        });
        Future<ClaimResult> next = pool.submit(() -> {
          start.await();
          time.advance(Duration.ofMillis(1));
          return s.claim(id, "fp", "next", LONG);
        });
        boolean stored = complete.get(30, TimeUnit.SECONDS);
        ClaimResult other = next.get(30, TimeUnit.SECONDS);
        if (stored) {
          assertThat(other).as("the completion came first: the next claim is its replay").isInstanceOf(ClaimResult.Completed.class);
          completedFirst++;
        } else {
          assertThat(other).as("the lease ended first: the next claim acquires").is(acquiredBy("next"));
          claimedFirst++;
        }
      }
      sweeping.set(false);
      sweeper.get(30, TimeUnit.SECONDS);
    } finally {
      sweeping.set(false);
      pool.shutdownNow();
    }
    assertThat(completedFirst + claimedFirst).isEqualTo(3_000);
  }

  @Test
  void whenFullOfClaimsInProgressANewClaimIsRefusedAndNothingIsEvicted() {
    InMemoryIdempotencyStore s = evicting(3);
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
    InMemoryIdempotencyStore s = evicting(4);
    s.claim(id("claim-1"), "fp", "o1", LONG);
    s.claim(id("done-late"), "fp", "o2", LONG);
    s.complete(id("done-late"), "o2", bytes("late"), Duration.ofHours(2));
    s.claim(id("done-early"), "fp", "o3", LONG);
    s.complete(id("done-early"), "o3", bytes("early"), Duration.ofHours(1));
    s.claim(id("claim-2"), "fp", "o4", LONG);

    assertThat(s.claim(id("new-1"), "fp", "o5", LONG)).is(acquiredBy("o5"));
    assertThat(s.size()).isEqualTo(4);
    assertThat(s.claim(id("done-late"), "fp", "x", LONG)).isInstanceOf(ClaimResult.Completed.class);

    assertThat(s.claim(id("new-2"), "fp", "o6", LONG)).is(acquiredBy("o6"));
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
    InMemoryIdempotencyStore s = evicting(2);
    s.claim(id("crashed"), "fp", "o1", Duration.ofSeconds(30));
    s.claim(id("done"), "fp", "o2", LONG);
    s.complete(id("done"), "o2", bytes("answer"), Duration.ofHours(24));
    time.advance(Duration.ofSeconds(30));

    assertThat(s.claim(id("new"), "fp", "o3", LONG)).is(acquiredBy("o3"));
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
    time.advance(Duration.ofMinutes(1));

    // One new claim in 32 drops up to 64 expired records of each kind: 500 of each go within a
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
    InMemoryIdempotencyStore s = evicting(1);
    s.claim(id("a"), "fp", "o1", LONG);
    assertThatThrownBy(() -> s.claim(id("b"), "fp", "o2", LONG)).isInstanceOf(IdempotencyCapacityExceededException.class);
    s.release(id("a"), "o1");
    assertThat(s.claim(id("b"), "fp", "o2", LONG)).is(acquiredBy("o2"));
    s.complete(id("b"), "o2", bytes("b"), LONG);
    assertThat(s.claim(id("c"), "fp", "o3", LONG)).is(acquiredBy("o3"));
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
    InMemoryIdempotencyStore s = evicting(maximum);
    int threads = 8;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        futures.add(pool.submit(() -> {
          for (int i = 0; i < 2_000; i++) {
            RecordId id = id(thread + "-" + i);
            assertThat(s.claim(id, "fp", "o", LONG)).is(acquiredBy("o"));
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
   * The bound is exact whichever thread frees or takes a slot: a record released on one thread
   * leaves its slot spare in that thread's lane, and a claim on another thread at the bound takes
   * it back. Each round fills the store to its bound from one thread (the next claim is refused)
   * and empties it from another.
   */
  @Test
  void slotsFreedOnOneThreadAreClaimedOnAnotherAndTheBoundStaysExact() throws Exception {
    int maximum = 100;
    InMemoryIdempotencyStore s = bounded(maximum);
    List<ExecutorService> threads = new ArrayList<>();
    for (int t = 0; t < 8; t++) threads.add(Executors.newSingleThreadExecutor());
    try {
      for (int round = 0; round < 16; round++) {
        String r = "round" + round;
        threads.get(round % 8).submit(() -> {
          for (int i = 0; i < maximum; i++) {
            assertThat(s.claim(id(r + "-" + i), "fp", "o", LONG)).as("claim %d of %s", i, r).is(acquiredBy("o"));
          }
          assertThatThrownBy(() -> s.claim(id(r + "-over"), "fp", "o", LONG))
              .isInstanceOf(IdempotencyCapacityExceededException.class);
          return null;
        }).get(30, TimeUnit.SECONDS);
        assertThat(s.size()).isEqualTo(maximum);
        threads.get((round * 3 + 1) % 8).submit(() -> {
          for (int i = 0; i < maximum; i++) assertThat(s.release(id(r + "-" + i), "o")).isTrue();
          return null;
        }).get(30, TimeUnit.SECONDS);
        assertThat(s.size()).isZero();
      }
    } finally {
      threads.forEach(ExecutorService::shutdownNow);
    }
  }

  /**
   * Writers claim, renew (with a shorter lease: out of deadline order), complete and release
   * distinct keys while each moves the clock: every answer is the one the state machine gives (an
   * owner's call answers false only once its lease has ended by the time), the bound holds, and
   * once everything has expired the store and its deadline queues are empty: no record and no
   * queue entry is left behind.
   */
  @Test
  void expiryUnderConcurrentWritersLeavesNothingBehind() throws Exception {
    int maximum = 2_000;
    InMemoryIdempotencyStore s = evicting(maximum);
    int threads = 4;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        futures.add(pool.submit(() -> {
          for (int i = 0; i < 5_000; i++) {
            time.advance(Duration.ofMillis(1));
            RecordId id = id(thread + "-" + i);
            long claimedBy = time.read();
            assertThat(s.claim(id, "fp", "o", Duration.ofSeconds(2))).is(acquiredBy("o"));
            switch (i % 3) {
              case 0 -> {
                if (!s.complete(id, "o", bytes("answer " + i), Duration.ofSeconds(1 + i % 5))) {
                  assertThat(Duration.ofNanos(time.read() - claimedBy).toMillis()).as("complete refused: lease over").isGreaterThanOrEqualTo(2_000);
                }
              }
              case 1 -> {
                if (!s.renew(id, "o", Duration.ofMillis(500))) {
                  assertThat(Duration.ofNanos(time.read() - claimedBy).toMillis()).as("renew refused: lease over").isGreaterThanOrEqualTo(2_000);
                } else if (!s.release(id, "o")) {
                  assertThat(Duration.ofNanos(time.read() - claimedBy).toMillis()).as("release refused: lease over").isGreaterThanOrEqualTo(500);
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
    time.advance(Duration.ofMinutes(1));
    assertThat(s.size()).isZero();
    assertThat(s.queuedRecords()).isZero();
  }

  // ---------------------------------------------------------------------------------------------
  // Each scope's share of the bound, and completed records kept for their retention.

  private RecordId in(String scope, String key) {
    return new RecordId(id("k").namespace(), scope, key);
  }

  /** The stored answer a repeat of {@code id} gets, as text; or what it got instead. */
  private static String replay(InMemoryIdempotencyStore s, RecordId id) {
    ClaimResult r = s.claim(id, "fp", "probe", LONG);
    return r instanceof ClaimResult.Completed c ? new String(c.result(), java.nio.charset.StandardCharsets.UTF_8) : r.toString();
  }

  private InMemoryIdempotencyStore shared(int maximumSize, int perScope) {
    return InMemoryIdempotencyStore.builder().ticker(time).maximumSize(maximumSize)
        .maximumSizePerScope(perScope).build();
  }

  @Test
  void byDefaultAScopeHasATenthOfTheBoundAndNothingIsEvictedEarly() {
    InMemoryIdempotencyStore defaults = new InMemoryIdempotencyStore();
    assertThat(defaults.maximumSizePerScope()).isEqualTo(10_000);
    assertThat(defaults.evictsCompletedEarly()).isFalse();
    assertThat(InMemoryIdempotencyStore.builder().maximumSize(1_000).build().maximumSizePerScope()).isEqualTo(100);
    assertThat(InMemoryIdempotencyStore.builder().maximumSize(5).build().maximumSizePerScope()).isEqualTo(1);
    assertThat(InMemoryIdempotencyStore.builder().maximumSize(10).maximumSizePerScope(10).build().maximumSizePerScope())
        .isEqualTo(10);
  }

  /**
   * A scope at its share is refused new claims, with a message that names the share and not the
   * scope; every other scope claims as before, and the full scope's own records still answer.
   * Its share frees as its records leave: released, or expired (dropped by the refused claim).
   */
  @Test
  void aScopeAtItsShareIsRefusedNewClaimsWhileOtherScopesGoOn() {
    InMemoryIdempotencyStore s = shared(10, 3);
    String flooder = "tenant-flooder-7f3a";
    s.claim(in(flooder, "f1"), "fp", "o1", LONG);
    s.complete(in(flooder, "f1"), "o1", bytes("f1"), Duration.ofHours(1));
    s.claim(in(flooder, "f2"), "fp", "o2", LONG);
    s.complete(in(flooder, "f2"), "o2", bytes("f2"), Duration.ofHours(2));
    s.claim(in(flooder, "f3"), "fp", "o3", LONG);

    assertThatThrownBy(() -> s.claim(in(flooder, "f4"), "fp", "o4", LONG))
        .isInstanceOf(IdempotencyCapacityExceededException.class)
        .hasMessageContaining("3 records")
        .hasMessageContaining("maximumSizePerScope")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(flooder));
    assertThat(s.storedRecords(id("k").namespace(), flooder)).isEqualTo(3);
    // The other scopes: the same key and others.
    for (String k : List.of("f4", "v1")) {
      assertThat(s.claim(in("victim", k), "fp", "v-" + k, LONG)).as(k).is(acquiredBy("v-" + k));
    }
    assertThat(s.claim(in("", "f4"), "fp", "anon", LONG)).is(acquiredBy("anon"));
    // The full scope's records still answer: only a new record needs room.
    assertThat(replay(s, in(flooder, "f1"))).isEqualTo("f1");
    assertThat(s.claim(in(flooder, "f3"), "fp", "x", LONG)).isInstanceOf(ClaimResult.InProgress.class);

    // A release frees a slot of the share...
    assertThat(s.release(in(flooder, "f3"), "o3")).isTrue();
    assertThat(s.claim(in(flooder, "f4"), "fp", "o4", LONG)).is(acquiredBy("o4"));
    assertThatThrownBy(() -> s.claim(in(flooder, "f5"), "fp", "o5", LONG))
        .isInstanceOf(IdempotencyCapacityExceededException.class);
    // ...and so does an expiry (f1's retention, f4's lease): the refused claim drops them first.
    time.advance(Duration.ofHours(1));
    assertThat(s.claim(in(flooder, "f5"), "fp", "o5", LONG)).is(acquiredBy("o5"));
    assertThat(replay(s, in(flooder, "f2"))).isEqualTo("f2");
    assertThat(s.storedRecords(id("k").namespace(), flooder)).isEqualTo(2);
  }

  /** The share is per namespace and scope: the same scope of another service has its own. */
  @Test
  void aScopesShareIsPerNamespace() {
    InMemoryIdempotencyStore s = shared(10, 1);
    String ns = id("k").namespace();
    assertThat(s.claim(new RecordId(ns, "alice", "a"), "fp", "o", LONG)).is(acquiredBy("o"));
    assertThat(s.claim(new RecordId(ns + "-orders", "alice", "a"), "fp", "o", LONG)).is(acquiredBy("o"));
    assertThatThrownBy(() -> s.claim(new RecordId(ns, "alice", "b"), "fp", "o", LONG))
        .isInstanceOf(IdempotencyCapacityExceededException.class);
  }

  /**
   * By default a full store never drops a completed record before its retention: it answers
   * capacity, with a message that names the global bound, until records expire.
   */
  @Test
  void byDefaultAFullStoreKeepsEveryCompletedRecordForItsRetentionAndRefusesNewClaims() {
    InMemoryIdempotencyStore s = shared(4, 2);
    for (String scope : List.of("a", "b")) {
      for (int i = 1; i <= 2; i++) {
        RecordId id = in(scope, "k" + i);
        s.claim(id, "fp", "o", LONG);
        s.complete(id, "o", bytes(scope + i), Duration.ofHours(i));
      }
    }

    assertThatThrownBy(() -> s.claim(in("c", "k1"), "fp", "o", LONG))
        .isInstanceOf(IdempotencyCapacityExceededException.class)
        .hasMessageContaining("holds 4 records")
        .hasMessageContaining("(maximumSize)")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("maximumSizePerScope"));
    time.advance(Duration.ofHours(1).minusMillis(1));
    assertThatThrownBy(() -> s.claim(in("c", "k1"), "fp", "o", LONG))
        .isInstanceOf(IdempotencyCapacityExceededException.class);
    for (String scope : List.of("a", "b")) {
      for (int i = 1; i <= 2; i++) {
        assertThat(replay(s, in(scope, "k" + i))).isEqualTo(scope + i);
      }
    }
    assertThat(s.size()).isEqualTo(4);
    // Once retentions end, their room is free again.
    time.advance(Duration.ofMillis(1));
    assertThat(s.claim(in("c", "k1"), "fp", "o", LONG)).is(acquiredBy("o"));
    assertThat(s.claim(in("c", "k2"), "fp", "o", LONG)).is(acquiredBy("o"));
    assertThat(replay(s, in("a", "k2"))).isEqualTo("a2");
  }

  /** With the explicit option, the listener hears each record evicted and the retention it had left. */
  @Test
  void earlyEvictionIsHeardWithTheRecordAndItsRetentionLeft() {
    InMemoryIdempotencyStore s = evicting(2);
    assertThat(s.evictsCompletedEarly()).isTrue();
    s.claim(id("first"), "fp", "o1", LONG);
    s.complete(id("first"), "o1", bytes("1"), Duration.ofHours(1));
    time.advance(Duration.ofMinutes(10));
    s.claim(id("second"), "fp", "o2", LONG);
    s.complete(id("second"), "o2", bytes("2"), Duration.ofHours(1));
    assertThat(evictions).isEmpty();

    assertThat(s.claim(id("third"), "fp", "o3", LONG)).is(acquiredBy("o3"));
    assertThat(evictions).containsExactly("first:" + Duration.ofMinutes(50).toMillis());
    assertThat(s.claim(id("first"), "fp", "o4", LONG)).is(acquiredBy("o4"));
    assertThat(evictions).containsExactly("first:" + Duration.ofMinutes(50).toMillis(), "second:" + Duration.ofHours(1).toMillis());
  }

  @Test
  void anEvictionListenerThatThrowsChangesNothing() {
    InMemoryIdempotencyStore s = InMemoryIdempotencyStore.builder().ticker(time).maximumSize(1).maximumSizePerScope(1)
        .evictCompletedEarly((id, left) -> {
          throw new IllegalStateException("listener bug");
        })
        .build();
    s.claim(id("a"), "fp", "o1", LONG);
    s.complete(id("a"), "o1", bytes("a"), LONG);
    assertThat(s.claim(id("b"), "fp", "o2", LONG)).is(acquiredBy("o2"));
    assertThat(s.size()).isEqualTo(1);
  }

  /** Evicting early makes room in a full store, never room beyond a scope's share. */
  @Test
  void earlyEvictionNeverMakesRoomForAScopeAtItsShare() {
    InMemoryIdempotencyStore s = InMemoryIdempotencyStore.builder().ticker(time).maximumSize(3).maximumSizePerScope(2)
        .evictCompletedEarly((id, left) -> evictions.add(id.key()))
        .build();
    for (String k : List.of("f1", "f2")) {
      s.claim(in("flooder", k), "fp", "o", LONG);
      s.complete(in("flooder", k), "o", bytes(k), LONG);
    }
    assertThatThrownBy(() -> s.claim(in("flooder", "f3"), "fp", "o", LONG))
        .isInstanceOf(IdempotencyCapacityExceededException.class)
        .hasMessageContaining("maximumSizePerScope");
    s.claim(in("victim", "v1"), "fp", "o", LONG);
    s.complete(in("victim", "v1"), "o", bytes("v1"), LONG);
    assertThat(evictions).isEmpty();
    // The store is full now: another scope's claim evicts the oldest completed record.
    assertThat(s.claim(in("third", "t1"), "fp", "o", LONG)).is(acquiredBy("o"));
    assertThat(evictions).containsExactly("f1");
  }

  /**
   * The counters follow every way a record comes and goes (claim, renew, complete, release,
   * lease expiry, retention expiry, a claim that loses the race), and a scope's counter is gone
   * once it holds nothing, so the counters take no memory beyond the records.
   */
  @Test
  void aScopesCountFollowsItsRecordsAndItsCounterLeavesWhenItHoldsNone() {
    InMemoryIdempotencyStore s = shared(100, 10);
    String ns = id("k").namespace();
    s.claim(in("a", "1"), "fp", "o", Duration.ofSeconds(30));
    s.claim(in("a", "2"), "fp", "o", LONG);
    s.renew(in("a", "2"), "o", LONG);
    s.complete(in("a", "2"), "o", bytes("2"), Duration.ofMinutes(1));
    s.claim(in("a", "2"), "fp", "late", LONG); // a repeat: no new record
    s.claim(in("b", "1"), "fp", "o", LONG);
    assertThat(s.storedRecords(ns, "a")).isEqualTo(2);
    assertThat(s.storedRecords(ns, "b")).isEqualTo(1);
    assertThat(s.countedScopes()).isEqualTo(2);

    assertThat(s.release(in("b", "1"), "o")).isTrue();
    assertThat(s.storedRecords(ns, "b")).isZero();
    assertThat(s.countedScopes()).isEqualTo(1);
    time.advance(Duration.ofSeconds(30)); // the lease of a/1 ends
    assertThat(s.claim(in("a", "1"), "fp", "o2", LONG)).is(acquiredBy("o2"));
    assertThat(s.storedRecords(ns, "a")).isEqualTo(2);
    s.release(in("a", "1"), "o2");
    time.advance(Duration.ofMinutes(1)); // the retention of a/2 ends
    assertThat(s.size()).isZero();
    assertThat(s.storedRecords(ns, "a")).isZero();
    assertThat(s.countedScopes()).isZero();
  }

  /**
   * Threads of two scopes claim, complete and release keys at once, so that a scope's counter
   * drops to zero and leaves its map over and over while other claims of the scope come in. No
   * count is ever above its share, none is lost on a retired counter: at the end each scope's count
   * is exactly the number of records it holds, and once they expire no counter is left.
   */
  @Test
  void concurrentClaimsOfAScopeKeepItsCountExactAndWithinItsShare() throws Exception {
    int share = 50;
    InMemoryIdempotencyStore s = shared(1_000, share);
    String ns = id("k").namespace();
    List<String> scopeNames = List.of("alpha", "beta");
    int threadsPerScope = 4;
    int rounds = 5_000;
    ExecutorService pool = Executors.newFixedThreadPool(scopeNames.size() * threadsPerScope);
    java.util.concurrent.atomic.AtomicIntegerArray kept = new java.util.concurrent.atomic.AtomicIntegerArray(2);
    java.util.concurrent.atomic.AtomicInteger refused = new java.util.concurrent.atomic.AtomicInteger();
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int sc = 0; sc < scopeNames.size(); sc++) {
        for (int t = 0; t < threadsPerScope; t++) {
          String scope = scopeNames.get(sc);
          int scopeIndex = sc;
          int thread = t;
          futures.add(pool.submit(() -> {
            for (int i = 0; i < rounds; i++) {
              RecordId id = in(scope, thread + "-" + i);
              ClaimResult r;
              try {
                r = s.claim(id, "fp", "o", LONG);
              } catch (IdempotencyCapacityExceededException full) {
                refused.incrementAndGet();
                continue;
              }
              assertThat(r).is(acquiredBy("o"));
              assertThat(s.storedRecords(ns, scope)).isLessThanOrEqualTo(share);
              // One in a hundred is kept; the others leave at once, so the count often drops to 0.
              if (i % 100 == 0 && s.complete(id, "o", bytes("kept"), Duration.ofMinutes(1))) {
                kept.incrementAndGet(scopeIndex);
              } else {
                assertThat(s.release(id, "o")).isTrue();
              }
            }
            return null;
          }));
        }
      }
      for (Future<?> f : futures) f.get(60, TimeUnit.SECONDS);
    } finally {
      pool.shutdownNow();
    }
    for (int sc = 0; sc < scopeNames.size(); sc++) {
      assertThat(s.storedRecords(ns, scopeNames.get(sc))).as(scopeNames.get(sc)).isEqualTo(kept.get(sc));
    }
    assertThat(s.storedRecords()).isEqualTo(kept.get(0) + kept.get(1));
    assertThat(refused).as("the share was reached").hasPositiveValue();
    time.advance(Duration.ofMinutes(1));
    assertThat(s.size()).isZero();
    assertThat(s.countedScopes()).isZero();
  }

  /**
   * A share of one under threads that claim and release new keys of one scope as fast as they can:
   * its counter drops to zero and is retired between almost every two claims, while other claims
   * of the scope are taking it. Never do two records of the scope live at once (each thread counts
   * the records it holds, from its claim until before its release).
   */
  @Test
  void aShareOfOneHoldsWhileTheScopesCounterIsRetiredAndRecreatedUnderRacingClaims() throws Exception {
    InMemoryIdempotencyStore s = shared(100, 1);
    String ns = id("k").namespace();
    int threads = 4;
    int rounds = 20_000;
    java.util.concurrent.atomic.AtomicInteger live = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicInteger acquired = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicInteger mostLive = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(threads);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        futures.add(pool.submit(() -> {
          start.await(30, TimeUnit.SECONDS);
          for (int i = 0; i < rounds; i++) {
            RecordId id = in("one", thread + "-" + i);
            try {
              s.claim(id, "fp", "o", LONG);
            } catch (IdempotencyCapacityExceededException full) {
              continue;
            }
            acquired.incrementAndGet();
            mostLive.accumulateAndGet(live.incrementAndGet(), Math::max);
            live.decrementAndGet();
            assertThat(s.release(id, "o")).isTrue();
          }
          return null;
        }));
      }
      for (Future<?> f : futures) f.get(60, TimeUnit.SECONDS);
    } finally {
      pool.shutdownNow();
    }
    assertThat(mostLive).as("records of the scope alive at once").hasValue(1);
    assertThat(acquired.get()).as("claims acquired").isGreaterThanOrEqualTo(rounds);
    assertThat(s.storedRecords(ns, "one")).isZero();
    assertThat(s.countedScopes()).isZero();
    assertThat(s.storedRecords()).isZero();
  }

  @Test
  void builderChecksItsArguments() {
    assertThatThrownBy(() -> InMemoryIdempotencyStore.builder().maximumSize(0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> InMemoryIdempotencyStore.builder().ticker(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("ticker");
    assertThatThrownBy(() -> InMemoryIdempotencyStore.builder().maximumSizePerScope(0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> InMemoryIdempotencyStore.builder().maximumSize(10).maximumSizePerScope(11).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maximumSizePerScope (11)")
        .hasMessageContaining("maximumSize (10)");
    assertThatThrownBy(() -> InMemoryIdempotencyStore.builder().evictCompletedEarly(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("listener");
  }
}
