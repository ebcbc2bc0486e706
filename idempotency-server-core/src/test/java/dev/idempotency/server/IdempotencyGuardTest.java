package dev.idempotency.server;

import static dev.idempotency.server.store.ClaimAssertions.acquiredBy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idempotency.contract.FakeTime;
import dev.idempotency.contract.InvalidIdempotencyKeyException;
import dev.idempotency.server.store.ClaimResult;
import dev.idempotency.server.store.IdempotencyCapacityExceededException;
import dev.idempotency.server.store.IdempotencyStore;
import dev.idempotency.server.store.IdempotencyStoreUnavailableException;
import dev.idempotency.server.store.InMemoryIdempotencyStore;
import dev.idempotency.server.store.RecordId;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class IdempotencyGuardTest {
  static final String NS = "payments";

  final FakeTime time = new FakeTime();
  final InMemoryIdempotencyStore memory = InMemoryIdempotencyStore.builder().ticker(time).build();
  final RecordingListener listener = new RecordingListener();
  final List<IdempotencyGuard> guards = new ArrayList<>();

  @AfterEach
  void closeGuards() {
    guards.forEach(IdempotencyGuard::close);
  }

  IdempotencyGuardBuilder builder(IdempotencyStore store) {
    return IdempotencyGuard.builder().store(store).namespace(NS).listener(listener).ticker(time);
  }

  IdempotencyGuard guard(IdempotencyGuardBuilder b) {
    IdempotencyGuard g = b.build();
    guards.add(g);
    return g;
  }

  IdempotencyGuard guard() {
    return guard(builder(memory));
  }

  /** A result with a few fields, about 200 bytes of JSON. */
  public record Receipt(String id, BigDecimal amount, String currency, List<String> items,
      Map<String, String> metadata, boolean captured, long createdAtEpochMilli) {}

  static Receipt receipt(String id) {
    return new Receipt(id, new BigDecimal("1234.50"), "EUR", List.of("sku-1", "sku-22", "sku-333"),
        Map.of("order", "ord_8f14e45fceea167a", "channel", "web"), true, 1_790_000_000_000L);
  }

  /** Every call ends with exactly one callEnded, naming how it ended, timed by the ticker. */
  @Test
  void everyCallEndsWithOneOutcome() {
    ScriptedStore store = new ScriptedStore(memory);
    IdempotencyGuard guard = guard(builder(store).storeFailuresWhen(e -> e instanceof IllegalArgumentException));
    List<java.time.Duration> elapsed = new CopyOnWriteArrayList<>();
    IdempotencyGuard timed = guard(builder(memory).namespace("timed").listener(new IdempotencyListener() {
      @Override
      public void callEnded(RecordId id, CallOutcome outcome, Duration d) {
        elapsed.add(d);
      }
    }));

    guard.execute("a", String.class, () -> "v");
    guard.execute("a", String.class, () -> "v");
    assertThatThrownBy(() -> guard.execute(IdempotentCall.of("a").withFingerprint("other"), String.class, () -> "v"))
        .isInstanceOf(IdempotencyKeyReusedException.class);
    assertThatThrownBy(() -> guard.execute("b", String.class, () -> {
      throw new IllegalStateException("bug");
    })).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> guard.execute("c", String.class, () -> {
      throw new IllegalArgumentException("declined");
    })).isInstanceOf(IllegalArgumentException.class);
    memory.claim(new RecordId(NS, "", "d"), "", "someone", Duration.ofMinutes(1));
    assertThatThrownBy(() -> guard.execute("d", String.class, () -> "v")).isInstanceOf(IdempotencyInProgressException.class);
    store.failClaim = new IdempotencyStoreUnavailableException("down");
    assertThatThrownBy(() -> guard.execute("e", String.class, () -> "v")).isInstanceOf(IdempotencyStoreUnavailableException.class);
    store.failClaim = new IdempotencyCapacityExceededException("full");
    assertThatThrownBy(() -> guard.execute("e", String.class, () -> "v")).isInstanceOf(IdempotencyCapacityExceededException.class);

    assertThat(listener.calls).containsExactly(CallOutcome.EXECUTED, CallOutcome.REPLAYED, CallOutcome.KEY_REUSED,
        CallOutcome.FAILED, CallOutcome.FAILURE_STORED, CallOutcome.IN_PROGRESS, CallOutcome.STORE_UNAVAILABLE,
        CallOutcome.CAPACITY_EXCEEDED);

    timed.execute("t", String.class, () -> {
      time.advance(Duration.ofMillis(250));
      return "slow";
    });
    assertThat(elapsed).containsExactly(Duration.ofMillis(250));
  }

  @Test
  void aTypedResultIsReplayedEqualAndTheBusinessCodeRunsOnce() {
    IdempotencyGuard guard = guard();
    AtomicInteger runs = new AtomicInteger();

    Receipt first = guard.execute("key-1", Receipt.class, () -> {
      runs.incrementAndGet();
      return receipt("ch_1");
    });
    GuardedResult<Receipt> repeat = guard.executeDetailed(
        IdempotentCall.of("key-1"), JsonResultCodec.of(Receipt.class), () -> {
          runs.incrementAndGet();
          return receipt("ch_2");
        });

    assertThat(runs).hasValue(1);
    assertThat(repeat.replayed()).isTrue();
    assertThat(repeat.value()).isEqualTo(first).isNotSameAs(first).isEqualTo(receipt("ch_1"));
    assertThat(JsonResultCodec.of(Receipt.class).encode(first).length).isBetween(150, 300);
    assertThat(listener.events).containsExactly("executed", "replayed");
  }

  @Test
  void theFirstCallIsNotAReplay() {
    GuardedResult<String> r =
        guard().executeDetailed(IdempotentCall.of("k"), ResultCodec.json(String.class), () -> "v");
    assertThat(r).isEqualTo(new GuardedResult<>("v", false));
  }

  @Test
  void nullAndEmptyResultsReplay() {
    IdempotencyGuard guard = guard();
    assertThat(guard.execute("k-null", String.class, () -> null)).isNull();
    assertThat(guard.executeDetailed(IdempotentCall.of("k-null"), ResultCodec.json(String.class), () -> "x"))
        .isEqualTo(new GuardedResult<>(null, true));

    ResultCodec<byte[]> raw = new ResultCodec<>() {
      public byte[] encode(byte[] v) { return v; }
      public byte[] decode(byte[] b) { return b; }
    };
    assertThat(guard.execute("k-empty", raw, () -> new byte[0])).isEmpty();
    assertThat(guard.executeDetailed(IdempotentCall.of("k-empty"), raw, () -> new byte[] {1}).value()).isEmpty();
  }

  @Test
  void theRunnableFormRunsOnce() {
    IdempotencyGuard guard = guard();
    AtomicInteger runs = new AtomicInteger();
    guard.execute("k", runs::incrementAndGet);
    guard.execute("k", runs::incrementAndGet);
    assertThat(runs).hasValue(1);
  }

  @Test
  void scopesAndNamespacesAreApartAndAnotherFingerprintIsAReusedKey() {
    IdempotencyGuard guard = guard();
    IdempotencyGuard otherService = guard(builder(memory).namespace("orders"));
    IdempotentCall alice = IdempotentCall.of("k").withScope("alice").withFingerprint("fp-1");

    assertThat(guard.execute(alice, String.class, () -> "alice")).isEqualTo("alice");
    assertThat(guard.execute(alice.withScope("bob"), String.class, () -> "bob")).isEqualTo("bob");
    assertThat(otherService.execute(alice, String.class, () -> "orders")).isEqualTo("orders");
    assertThat(guard.execute(alice, String.class, () -> "again")).isEqualTo("alice");

    AtomicInteger runs = new AtomicInteger();
    assertThatThrownBy(() -> guard.execute(alice.withFingerprint("fp-2"), String.class, () -> "x" + runs.incrementAndGet()))
        .isInstanceOf(IdempotencyKeyReusedException.class);
    assertThat(runs).hasValue(0);
    assertThat(listener.events).contains("keyReused");
  }

  @Test
  void invalidKeysThrowAndTouchNothing() {
    ScriptedStore store = new ScriptedStore(memory);
    IdempotencyGuard guard = guard(builder(store));
    AtomicInteger runs = new AtomicInteger();
    for (String bad : List.of("", "has space", "tab\tkey", "k".repeat(256), "caf\u00e9", "\"quoted\"x\u0000")) {
      assertThatThrownBy(() -> guard.execute(bad, String.class, () -> "x" + runs.incrementAndGet()))
          .as(bad)
          .isInstanceOf(InvalidIdempotencyKeyException.class);
    }
    assertThat(guard.execute("k".repeat(255), String.class, () -> "ok")).isEqualTo("ok");
    assertThat(runs).hasValue(0);
    assertThat(store.claims).hasValue(1);
  }

  @Test
  void aFailureReleasesTheClaimAndPropagatesUnchangedSoARetryRunsAgain() {
    IdempotencyGuard guard = guard();
    IllegalStateException boom = new IllegalStateException("boom");
    AtomicInteger runs = new AtomicInteger();

    assertThatThrownBy(() -> guard.execute("k", String.class, () -> {
      runs.incrementAndGet();
      throw boom;
    })).isSameAs(boom);
    assertThat(guard.execute("k", String.class, () -> "second " + runs.incrementAndGet())).isEqualTo("second 2");
    assertThat(guard.execute("k", String.class, () -> "third")).isEqualTo("second 2");
    assertThat(listener.events).containsExactly("executed", "replayed");
  }

  @Test
  void anErrorAlsoReleases() {
    IdempotencyGuard guard = guard();
    assertThatThrownBy(() -> guard.execute("k", String.class, () -> {
      throw new AssertionError("error");
    })).isInstanceOf(AssertionError.class);
    assertThat(memory.claim(new RecordId(NS, "", "k"), "", "probe", Duration.ofSeconds(1)))
        .is(acquiredBy("probe"));
  }

  @Test
  void failuresThePolicyAcceptsAreStoredAndReplayedTyped() {
    IdempotencyGuard guard = guard(builder(memory).storeFailuresWhen(e -> e instanceof IllegalArgumentException));
    IllegalArgumentException declined = new IllegalArgumentException("card declined");
    AtomicInteger runs = new AtomicInteger();

    assertThatThrownBy(() -> guard.execute("k", String.class, () -> {
      runs.incrementAndGet();
      throw declined;
    })).isSameAs(declined);
    for (int i = 0; i < 2; i++) {
      assertThatThrownBy(() -> guard.execute("k", String.class, () -> "ran " + runs.incrementAndGet()))
          .isInstanceOfSatisfying(IdempotencyStoredFailureException.class, e -> {
            assertThat(e.exceptionClassName()).isEqualTo("java.lang.IllegalArgumentException");
            assertThat(e.exceptionMessage()).isEqualTo("card declined");
            assertThat(e).hasMessageContaining("card declined");
          });
    }
    assertThat(runs).hasValue(1);
    assertThat(listener.events).containsExactly("failureStored:IllegalArgumentException", "replayed", "replayed");

    // A failure the policy does not accept is released, as without a policy.
    assertThatThrownBy(() -> guard.execute("k2", String.class, () -> {
      throw new IllegalStateException("transient");
    })).isInstanceOf(IllegalStateException.class);
    assertThat(guard.execute("k2", String.class, () -> "ok")).isEqualTo("ok");

    // No message, and a long message, survive too.
    assertThatThrownBy(() -> guard.execute("k3", String.class, () -> {
      throw new IllegalArgumentException();
    })).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> guard.execute("k3", String.class, () -> "x"))
        .isInstanceOfSatisfying(IdempotencyStoredFailureException.class,
            e -> assertThat(e.exceptionMessage()).isNull());
    assertThatThrownBy(() -> guard.execute("k4", String.class, () -> {
      throw new IllegalArgumentException("\u00e9".repeat(5_000));
    })).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> guard.execute("k4", String.class, () -> "x"))
        .isInstanceOfSatisfying(IdempotencyStoredFailureException.class,
            e -> assertThat(e.exceptionMessage()).isEqualTo("\u00e9".repeat(StoredOutcome.MAX_MESSAGE_CHARS)));
  }

  @Test
  void aRepeatWhileTheFirstRunsFailsFastWithARetryAfterHint() {
    IdempotencyGuard guard = guard();
    memory.claim(new RecordId(NS, "", "k"), "", "first", Duration.ofSeconds(30));
    AtomicInteger runs = new AtomicInteger();

    assertThatThrownBy(() -> guard.execute("k", String.class, () -> "x" + runs.incrementAndGet()))
        .isInstanceOfSatisfying(IdempotencyInProgressException.class,
            e -> assertThat(e.retryAfter()).isEqualTo(Duration.ofSeconds(1)));
    time.advance(Duration.ofMillis(29_700));
    assertThatThrownBy(() -> guard.execute("k", String.class, () -> "x" + runs.incrementAndGet()))
        .isInstanceOfSatisfying(IdempotencyInProgressException.class,
            e -> assertThat(e.retryAfter()).isEqualTo(Duration.ofMillis(300)));
    assertThat(runs).hasValue(0);
    assertThat(listener.events).containsExactly("inProgress", "inProgress");
  }

  @Test
  void theWaitPolicyReturnsTheFirstCallsResult() throws Exception {
    CountDownLatch waiting = new CountDownLatch(1);
    IdempotencyGuard guard = guard(builder(memory)
        .inProgressPolicy(InProgressPolicy.waitUpTo(Duration.ofMinutes(1)))
        .sleeper(d -> {
          waiting.countDown();
          Thread.sleep(d.toMillis());
        }));
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch finish = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<Receipt> first = pool.submit(() -> guard.execute("k", Receipt.class, () -> {
        started.countDown();
        await(finish);
        return receipt("first");
      }));
      // Once the first holds the claim, a second call waits for it...
      await(started);
      Future<GuardedResult<Receipt>> second = pool.submit(() ->
          guard.executeDetailed(IdempotentCall.of("k"), JsonResultCodec.of(Receipt.class), () -> receipt("second")));
      assertThat(waiting.await(30, TimeUnit.SECONDS)).isTrue();
      // ...and gets its result once it finishes.
      finish.countDown();
      assertThat(first.get(30, TimeUnit.SECONDS)).isEqualTo(receipt("first"));
      assertThat(second.get(30, TimeUnit.SECONDS)).isEqualTo(new GuardedResult<>(receipt("first"), true));
    } finally {
      finish.countDown();
      pool.shutdownNow();
    }
  }

  @Test
  void theWaitPolicyGivesUpAfterItsBoundByTheClock() {
    List<Duration> sleeps = new ArrayList<>();
    IdempotencyGuard guard = guard(builder(memory)
        .inProgressPolicy(InProgressPolicy.waitUpTo(Duration.ofSeconds(2)))
        .sleeper(d -> {
          sleeps.add(d);
          time.advance(d);
        }));
    memory.claim(new RecordId(NS, "", "k"), "", "first", Duration.ofMinutes(10));
    AtomicInteger runs = new AtomicInteger();

    assertThatThrownBy(() -> guard.execute("k", String.class, () -> "x" + runs.incrementAndGet()))
        .isInstanceOf(IdempotencyInProgressException.class);
    assertThat(runs).hasValue(0);
    assertThat(sleeps.stream().reduce(Duration.ZERO, Duration::plus)).isEqualTo(Duration.ofSeconds(2));
    // Backoff: 10, 20, 40 ... ms, at most 500 ms, the last one cut to the bound.
    assertThat(sleeps.subList(0, 4)).containsExactly(
        Duration.ofMillis(10), Duration.ofMillis(20), Duration.ofMillis(40), Duration.ofMillis(80));
    assertThat(sleeps).allSatisfy(d -> assertThat(d).isLessThanOrEqualTo(Duration.ofMillis(500)));
    assertThat(listener.events).containsExactly("inProgress");
  }

  @Test
  void aWaiterWhoseFirstCallReleasedRunsTheSupplierItself() {
    RecordId id = new RecordId(NS, "", "k");
    memory.claim(id, "", "first", Duration.ofMinutes(10));
    IdempotencyGuard guard = guard(builder(memory)
        .inProgressPolicy(InProgressPolicy.waitUpTo(Duration.ofSeconds(5)))
        .sleeper(d -> memory.release(id, "first"))); // the first call failed meanwhile

    GuardedResult<String> r = guard.executeDetailed(IdempotentCall.of("k"), ResultCodec.json(String.class), () -> "mine");
    assertThat(r).isEqualTo(new GuardedResult<>("mine", false));
    assertThat(listener.events).containsExactly("executed");
  }

  @Test
  void anInterruptedWaitGivesUpAndKeepsTheInterrupt() {
    IdempotencyGuard guard = guard(builder(memory)
        .inProgressPolicy(InProgressPolicy.waitUpTo(Duration.ofSeconds(5)))
        .sleeper(d -> {
          throw new InterruptedException();
        }));
    memory.claim(new RecordId(NS, "", "k"), "", "first", Duration.ofMinutes(10));
    try {
      assertThatThrownBy(() -> guard.execute("k", String.class, () -> "x"))
          .isInstanceOf(IdempotencyInProgressException.class);
      assertThat(Thread.currentThread().isInterrupted()).isTrue();
    } finally {
      Thread.interrupted();
    }
  }

  /**
   * 32 threads call with the same key at once, round after round: the business code runs once per
   * key; every other caller gets the in-progress exception or the replay of that one run.
   */
  @Test
  void manyThreadsOnOneKeyRunTheBusinessCodeOncePerKey() throws Exception {
    IdempotencyGuard guard = guard(IdempotencyGuard.builder().store(new InMemoryIdempotencyStore()).namespace(NS));
    int threads = 32;
    int rounds = 40;
    CyclicBarrier start = new CyclicBarrier(threads);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    int totalInProgress = 0;
    int totalReplays = 0;
    try {
      for (int round = 0; round < rounds; round++) {
        String key = "round-" + round;
        AtomicInteger runs = new AtomicInteger();
        List<Future<Object>> calls = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          calls.add(pool.submit(() -> {
            start.await(30, TimeUnit.SECONDS);
            try {
              return guard.executeDetailed(IdempotentCall.of(key), ResultCodec.json(String.class), () -> {
                int run = runs.incrementAndGet();
                Thread.yield(); // give the others a chance to find the claim in progress
                return key + " run " + run;
              });
            } catch (IdempotencyInProgressException e) {
              return e;
            }
          }));
        }
        int fresh = 0;
        int replays = 0;
        int inProgress = 0;
        for (Future<Object> f : calls) {
          Object r = f.get(60, TimeUnit.SECONDS);
          if (r instanceof IdempotencyInProgressException) {
            inProgress++;
            continue;
          }
          @SuppressWarnings("unchecked")
          GuardedResult<String> result = (GuardedResult<String>) r;
          assertThat(result.value()).isEqualTo(key + " run 1");
          if (result.replayed()) replays++;
          else fresh++;
        }
        assertThat(runs).as(key).hasValue(1);
        assertThat(fresh).as(key).isEqualTo(1);
        assertThat(fresh + replays + inProgress).as(key).isEqualTo(threads);
        totalInProgress += inProgress;
        totalReplays += replays;
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(totalInProgress + totalReplays).isEqualTo(rounds * (threads - 1));
  }

  /** With the wait policy, all 32 callers of a round get the one run's result. */
  @Test
  void manyThreadsWaitingOnOneKeyAllGetTheOneResult() throws Exception {
    IdempotencyGuard guard = guard(IdempotencyGuard.builder().store(new InMemoryIdempotencyStore()).namespace(NS)
        .inProgressPolicy(InProgressPolicy.waitUpTo(Duration.ofSeconds(60))));
    int threads = 32;
    CyclicBarrier start = new CyclicBarrier(threads);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      for (int round = 0; round < 10; round++) {
        String key = "round-" + round;
        AtomicInteger runs = new AtomicInteger();
        List<Future<String>> calls = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          calls.add(pool.submit(() -> {
            start.await(30, TimeUnit.SECONDS);
            return guard.execute(key, String.class, () -> key + " run " + runs.incrementAndGet());
          }));
        }
        for (Future<String> f : calls) assertThat(f.get(60, TimeUnit.SECONDS)).isEqualTo(key + " run 1");
        assertThat(runs).hasValue(1);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * A supplier that outlives its lease keeps its claim through renewals: the store's clock passes
   * the original lease while the supplier runs, and the claim is still in progress.
   */
  @Test
  void renewalKeepsASlowSuppliersClaim() {
    AtomicInteger renewals = new AtomicInteger();
    IdempotencyGuard guard = guard(builder(memory).leaseTtl(Duration.ofMillis(300))
        .listener(new IdempotencyListener() {
          @Override
          public void leaseRenewed(RecordId id) {
            renewals.incrementAndGet();
          }
        }));
    RecordId id = new RecordId(NS, "", "k");

    String result = guard.execute("k", String.class, () -> {
      for (int i = 0; i < 6; i++) {
        // A renewal period (100 ms) passes by the guard's ticker: the next tick renews, and the
        // store, on the same ticker, extends the lease from the moved time.
        int seen = renewals.get();
        time.advance(Duration.ofMillis(100));
        awaitTrue(() -> renewals.get() >= seen + 1);
      }
      // 600 ms by the store's time, twice the lease: still ours.
      assertThat(memory.claim(id, "", "other", Duration.ofMinutes(1))).isInstanceOf(ClaimResult.InProgress.class);
      return "slow";
    });

    assertThat(result).isEqualTo("slow");
    assertThat(memory.claim(id, "", "other", Duration.ofMinutes(1))).isInstanceOf(ClaimResult.Completed.class);
  }

  @Test
  void renewalStopsWhenTheSupplierEnds() throws Exception {
    ScriptedStore store = new ScriptedStore(memory);
    CountingScheduler given = new CountingScheduler();
    try {
      IdempotencyGuard guard = guard(builder(store).leaseTtl(Duration.ofMillis(150)).renewalScheduler(given));
      guard.execute("k", String.class, () -> {
        time.advance(Duration.ofMillis(50)); // a renewal period
        awaitTrue(() -> store.renews.get() >= 1);
        return "v";
      });
      int renewsWhenDone = store.renews.get();
      time.advance(Duration.ofMillis(300)); // six renewal periods
      // The renewal task cancels itself at its first tick with no call running: no tick after it.
      awaitTrue(() -> given.futures.get(0).isCancelled());
      assertThat(store.renews).hasValue(renewsWhenDone);
    } finally {
      given.shutdownNow();
    }
  }

  /**
   * The work ends while a renewal of its claim is in flight (the store holds it): the guard waits
   * for that renewal to answer before it completes, so no renewal reaches the store after the
   * completion, and the lease is not reported lost. A call alone on its thread is renewed from its
   * stripe's slot, with the handshake of OwnedClaim.stopRenewing.
   */
  @Test
  void aRenewalInFlightWhenTheWorkEndsIsAnsweredBeforeTheCompletion() throws Exception {
    java.util.Queue<String> order = new java.util.concurrent.ConcurrentLinkedQueue<>();
    CountDownLatch renewing = new CountDownLatch(1);
    CountDownLatch answerRenewal = new CountDownLatch(1);
    ScriptedStore store = new ScriptedStore(memory) {
      @Override
      public boolean renew(RecordId id, String ownerToken, Duration leaseTtl) {
        order.add("renew");
        renewing.countDown();
        await(answerRenewal);
        boolean renewed = super.renew(id, ownerToken, leaseTtl);
        order.add("renewed");
        return renewed;
      }

      @Override
      public boolean complete(RecordId id, String ownerToken, byte[] result, Duration retention) {
        order.add("complete");
        return super.complete(id, ownerToken, result, retention);
      }
    };
    RecordingListener heard = new RecordingListener();
    IdempotencyGuard guard = guard(builder(store).leaseTtl(Duration.ofMillis(150)).listener(heard));
    java.util.concurrent.atomic.AtomicReference<Thread> callerThread = new java.util.concurrent.atomic.AtomicReference<>();
    CountDownLatch workEnded = new CountDownLatch(1);
    ExecutorService caller = Executors.newSingleThreadExecutor();
    try {
      Future<String> call = caller.submit(() -> {
        callerThread.set(Thread.currentThread());
        return guard.execute("k", String.class, () -> {
          time.advance(Duration.ofMillis(50)); // a renewal period: the next tick renews
          await(renewing);
          workEnded.countDown();
          return "v";
        });
      });
      await(workEnded);
      // The work has returned while its renewal is held: the caller waits for the renewal (on the
      // claim's monitor, which the tick holds) before it completes. Without that wait it would
      // complete now, and "complete" would come before "renewed" below.
      awaitTrue(() -> callerThread.get().getState() == Thread.State.BLOCKED || call.isDone());
      answerRenewal.countDown();
      assertThat(call.get(30, TimeUnit.SECONDS)).isEqualTo("v");
    } finally {
      answerRenewal.countDown();
      caller.shutdownNow();
    }
    assertThat(order).startsWith("renew", "renewed", "complete");
    assertThat(order).filteredOn("renew"::equals).hasSize(1);
    assertThat(heard.events).noneMatch(e -> e.startsWith("leaseLost"));
    assertThat(memory.claim(new RecordId(NS, "", "k"), "", "other", Duration.ofMinutes(1)))
        .isInstanceOf(ClaimResult.Completed.class);
  }

  /** Sixteen slow calls at once renew their leases on one thread, not one thread each. */
  @Test
  void allCallsOfAGuardRenewOnOneThread() throws Exception {
    java.util.Set<String> renewingThreads = java.util.concurrent.ConcurrentHashMap.newKeySet();
    AtomicInteger renewals = new AtomicInteger();
    IdempotencyGuard guard = guard(builder(memory).leaseTtl(Duration.ofMillis(150)).listener(new IdempotencyListener() {
      @Override
      public void leaseRenewed(RecordId id) {
        renewingThreads.add(Thread.currentThread().getName());
        renewals.incrementAndGet();
      }
    }));
    int calls = 16;
    CountDownLatch finish = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(calls);
    try {
      List<Future<String>> futures = new ArrayList<>();
      for (int i = 0; i < calls; i++) {
        String key = "k" + i;
        futures.add(pool.submit(() -> guard.execute(key, String.class, () -> {
          await(finish);
          return key;
        })));
      }
      // Every call runs (its claim is held): two renewal periods pass, each renews every claim.
      awaitTrue(() -> memory.size() == calls);
      time.advance(Duration.ofMillis(50));
      awaitTrue(() -> renewals.get() >= calls);
      time.advance(Duration.ofMillis(50));
      awaitTrue(() -> renewals.get() >= calls * 2);
      finish.countDown();
      for (Future<String> f : futures) f.get(30, TimeUnit.SECONDS);
    } finally {
      finish.countDown();
      pool.shutdownNow();
    }
    assertThat(renewingThreads).singleElement().asString().startsWith("idempotency-lease-renewal-");
  }

  @Test
  void aGivenSchedulerRunsTheRenewalsAndOutlivesTheGuard() throws Exception {
    java.util.concurrent.ScheduledExecutorService shared = Executors.newSingleThreadScheduledExecutor();
    try {
      ScriptedStore store = new ScriptedStore(memory);
      IdempotencyGuard guard = guard(builder(store).leaseTtl(Duration.ofMillis(150)).renewalScheduler(shared));
      guard.execute("k", String.class, () -> {
        time.advance(Duration.ofMillis(50)); // a renewal period
        awaitTrue(() -> store.renews.get() >= 1);
        return "v";
      });
      guard.close();
      assertThat(shared.isShutdown()).isFalse();
    } finally {
      shared.shutdownNow();
    }
  }

  /** A scheduler that counts the tasks given to it and keeps their futures. */
  static final class CountingScheduler extends java.util.concurrent.ScheduledThreadPoolExecutor {
    final AtomicInteger scheduled = new AtomicInteger();
    final List<java.util.concurrent.ScheduledFuture<?>> futures = new CopyOnWriteArrayList<>();

    CountingScheduler() {
      super(1);
    }

    private <F extends java.util.concurrent.ScheduledFuture<?>> F counted(F f) {
      scheduled.incrementAndGet();
      futures.add(f);
      return f;
    }

    @Override
    public java.util.concurrent.ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
      return counted(super.schedule(command, delay, unit));
    }

    @Override
    public <V> java.util.concurrent.ScheduledFuture<V> schedule(
        java.util.concurrent.Callable<V> callable, long delay, TimeUnit unit) {
      return counted(super.schedule(callable, delay, unit));
    }

    @Override
    public java.util.concurrent.ScheduledFuture<?> scheduleAtFixedRate(
        Runnable command, long initialDelay, long period, TimeUnit unit) {
      return counted(super.scheduleAtFixedRate(command, initialDelay, period, unit));
    }

    @Override
    public java.util.concurrent.ScheduledFuture<?> scheduleWithFixedDelay(
        Runnable command, long initialDelay, long delay, TimeUnit unit) {
      return counted(super.scheduleWithFixedDelay(command, initialDelay, delay, unit));
    }
  }

  /**
   * Calls that end before their first renewal do not each schedule a renewal task: one task renews
   * all the claims running, scheduled once while any runs (the one-hour lease puts its first tick
   * minutes away, past the end of this test).
   */
  @Test
  void quickCallsShareOneRenewalTaskInsteadOfSchedulingOneEach() {
    CountingScheduler given = new CountingScheduler();
    try {
      IdempotencyGuard guard = guard(builder(memory).leaseTtl(Duration.ofHours(1)).renewalScheduler(given));
      for (int i = 0; i < 100; i++) {
        assertThat(guard.execute("k" + i, String.class, () -> "v")).isEqualTo("v");
      }
      assertThat(given.scheduled).hasValue(1);
      assertThat(listener.count("executed")).isEqualTo(100);
    } finally {
      given.shutdownNow();
    }
  }

  /**
   * The renewal task renews a slow call, and once no call runs it cancels itself, so an idle guard
   * leaves no task on the scheduler (and its own thread can end); the next slow call starts it
   * again and is renewed.
   */
  @Test
  void theRenewalTaskEndsWhenNoCallRunsAndStartsAgainForTheNext() {
    CountingScheduler given = new CountingScheduler();
    try {
      ScriptedStore store = new ScriptedStore(memory);
      IdempotencyGuard guard = guard(builder(store).leaseTtl(Duration.ofMillis(150)).renewalScheduler(given));
      for (int round = 1; round <= 2; round++) {
        int before = store.renews.get();
        guard.execute("k" + round, String.class, () -> {
          time.advance(Duration.ofMillis(50)); // a renewal period
          awaitTrue(() -> store.renews.get() >= before + 1);
          return "v";
        });
        int expected = round;
        awaitTrue(() -> given.futures.size() == expected && given.futures.get(expected - 1).isCancelled());
      }
      assertThat(given.scheduled).hasValue(2);
    } finally {
      given.shutdownNow();
    }
  }

  @Test
  void aStaleOwnerWhoseLeaseWasTakenOverCannotCompleteAndRenewalStops() {
    ScriptedStore store = new ScriptedStore(memory);
    IdempotencyGuard guard = guard(builder(store).leaseTtl(Duration.ofMillis(300)));
    RecordId id = new RecordId(NS, "", "k");

    GuardedResult<String> r = guard.executeDetailed(IdempotentCall.of("k"), ResultCodec.json(String.class), () -> {
      time.advance(Duration.ofMillis(300)); // the lease ends before a renewal comes
      assertThat(memory.claim(id, "", "thief", Duration.ofMinutes(1))).is(acquiredBy("thief"));
      awaitTrue(() -> listener.count("leaseLost") == 1);
      return "stale";
    });

    // The caller still gets its value; the store keeps the new owner's claim.
    assertThat(r).isEqualTo(new GuardedResult<>("stale", false));
    assertThat(store.completes).hasValue(0);
    assertThat(store.releases).hasValue(0);
    assertThat(memory.complete(id, "thief", new byte[] {1, 'x'}, Duration.ofMinutes(1))).isTrue();
    int renews = store.renews.get();
    assertThat(listener.events).containsExactly("leaseLost");
    assertThat(store.renews).hasValue(renews);
  }

  @Test
  void aLeaseLostUnnoticedByRenewalIsReportedWhenCompletingFails() {
    IdempotencyGuard guard = guard(builder(memory)); // 30 s lease: no renewal during this test
    RecordId id = new RecordId(NS, "", "k");

    String v = guard.execute("k", String.class, () -> {
      time.advance(Duration.ofSeconds(30));
      memory.claim(id, "", "thief", Duration.ofMinutes(1));
      return "stale";
    });

    assertThat(v).isEqualTo("stale");
    assertThat(listener.events).containsExactly("leaseLost");
    assertThat(listener.calls).as("the call ran but its result was not stored").containsExactly(CallOutcome.LEASE_LOST);
    assertThat(memory.claim(id, "", "other", Duration.ofMinutes(1))).isInstanceOf(ClaimResult.InProgress.class);
    assertThat(memory.complete(id, "thief", new byte[] {1}, Duration.ofMinutes(1))).isTrue();
  }

  @Test
  void aStoreThatCannotClaimFailsClosedAndNothingRuns() {
    ScriptedStore store = new ScriptedStore(memory);
    IdempotencyGuard guard = guard(builder(store));
    AtomicInteger runs = new AtomicInteger();

    store.failClaim = new IdempotencyStoreUnavailableException("connection refused");
    assertThatThrownBy(() -> guard.execute("k", String.class, () -> "x" + runs.incrementAndGet()))
        .isSameAs(store.failClaim);
    RuntimeException foreign = new RuntimeException("a store's own exception");
    store.failClaim = foreign;
    assertThatThrownBy(() -> guard.execute("k", String.class, () -> "x" + runs.incrementAndGet()))
        .isInstanceOf(IdempotencyStoreUnavailableException.class)
        .hasCause(foreign);
    store.failClaim = new IdempotencyCapacityExceededException("full");
    assertThatThrownBy(() -> guard.execute("k", String.class, () -> "x" + runs.incrementAndGet()))
        .isInstanceOf(IdempotencyCapacityExceededException.class);

    assertThat(runs).hasValue(0);
    assertThat(listener.events).containsExactly("storeUnavailable:false", "storeUnavailable:false", "storeUnavailable:false");
  }

  @Test
  void failOpenRunsTheSupplierUnguardedAndSaysSo() {
    ScriptedStore store = new ScriptedStore(memory);
    IdempotencyGuard guard = guard(builder(store).failOpen(true));
    store.failClaim = new IdempotencyStoreUnavailableException("connection refused");
    AtomicInteger runs = new AtomicInteger();

    assertThat(guard.executeDetailed(IdempotentCall.of("k"), ResultCodec.json(String.class), () -> "run " + runs.incrementAndGet()))
        .isEqualTo(new GuardedResult<>("run 1", false));
    assertThat(guard.execute("k", String.class, () -> "run " + runs.incrementAndGet())).isEqualTo("run 2");
    assertThat(listener.events).containsExactly("storeUnavailable:true", "storeUnavailable:true");
    assertThat(store.completes.get() + store.releases.get() + store.renews.get()).isZero();
  }

  /**
   * The store is down when the result is stored, for the three in-line tries and more: the caller
   * gets its value at once, repeats are told "in progress" (the claim is kept, not released), the
   * guard keeps trying in the background, and once the store is back the result is stored and a
   * repeat is a replay: the business code ran once.
   */
  @Test
  void whenCompletingFailsTheValueIsReturnedAndTheResultIsStoredWhenTheStoreIsBack() {
    ScriptedStore store = new ScriptedStore(memory);
    List<Duration> pauses = new CopyOnWriteArrayList<>();
    IdempotencyGuard guard = guard(builder(store).sleeper(pauses::add));
    store.failComplete = new IdempotencyStoreUnavailableException("connection reset");
    AtomicInteger runs = new AtomicInteger();

    assertThat(guard.execute("k", String.class, () -> "run " + runs.incrementAndGet())).isEqualTo("run 1");
    assertThat(pauses).containsExactly(Duration.ofMillis(50), Duration.ofMillis(200));
    assertThat(store.releases).hasValue(0);
    assertThat(listener.events).containsExactly("completeDeferred");

    // A retry is told the first is in progress rather than running the business code again...
    assertThatThrownBy(() -> guard.execute("k", String.class, () -> "run " + runs.incrementAndGet()))
        .isInstanceOf(IdempotencyInProgressException.class);
    // ...while the guard keeps trying: three tries in line, then two more in the background.
    awaitTrue(() -> store.completes.get() >= 5);
    store.failComplete = null;
    awaitTrue(() -> listener.count("executed") == 1);

    assertThat(guard.execute("k", String.class, () -> "run " + runs.incrementAndGet())).isEqualTo("run 1");
    assertThat(runs).hasValue(1);
    assertThat(listener.events).containsExactly("completeDeferred", "inProgress", "completeRecovered", "executed", "replayed");
    assertThat(pauses).as("the background tries do not sleep on the sleeper").hasSize(2);
    assertThat(store.releases).hasValue(0);
  }

  /**
   * The store stays down past the lease, as the guard's clock measures it from the claim: the
   * guard reports completeFailed and stops trying. The store has freed the key, and a retry runs
   * the business code again.
   */
  @Test
  void aStoreDownPastTheLeaseIsReportedAsCompleteFailedAndTheTriesStop() throws Exception {
    ScriptedStore store = new ScriptedStore(memory);
    CountingScheduler given = schedulerOfTheTest();
    IdempotencyGuard guard = guard(builder(store).sleeper(d -> {}).renewalScheduler(given));
    store.failComplete = new IdempotencyStoreUnavailableException("down");
    store.failRenew = new IdempotencyStoreUnavailableException("down");
    AtomicInteger runs = new AtomicInteger();

    assertThat(guard.execute("k", String.class, () -> "run " + runs.incrementAndGet())).isEqualTo("run 1");
    awaitTrue(() -> store.completes.get() >= 4); // tried in the background
    assertThat(listener.events).containsExactly("completeDeferred");

    time.advance(IdempotencyGuard.DEFAULT_LEASE_TTL);
    awaitTrue(() -> listener.count("completeFailed") == 1);
    int completes = store.completes.get();
    int renews = store.renews.get();
    awaitNothingScheduled(given); // the background tries are over: none is left to run
    assertThat(store.completes).as("no try after giving up").hasValue(completes);
    assertThat(store.renews).hasValue(renews);
    assertThat(listener.events).containsExactly("completeDeferred", "completeFailed");

    store.failComplete = null;
    store.failRenew = null;
    assertThat(guard.execute("k", String.class, () -> "run " + runs.incrementAndGet())).isEqualTo("run 2");
  }

  /**
   * Storing fails but the store renews (it is up again, or only refuses the larger write): the
   * lease is renewed while retrying, so the claim outlives the lease that was left; when storing
   * works the result is stored and replayed.
   */
  @Test
  void whileRetryingTheLeaseIsRenewedSoTheClaimOutlivesTheLeaseLeft() {
    ScriptedStore store = new ScriptedStore(memory);
    IdempotencyGuard guard = guard(builder(store).sleeper(d -> {}));
    store.failComplete = new IdempotencyStoreUnavailableException("OOM command not allowed");
    RecordId id = new RecordId(NS, "", "k");
    AtomicInteger runs = new AtomicInteger();

    assertThat(guard.execute("k", String.class, () -> "run " + runs.incrementAndGet())).isEqualTo("run 1");
    time.advance(Duration.ofSeconds(20)); // past a renewal period (10 s)
    // The renewal has answered, so the store read the clock before the next move: lease to 50 s.
    awaitTrue(() -> store.renewsAnswered.get() >= 1);
    time.advance(Duration.ofSeconds(20)); // 40 s since the claim: only the renewal holds it
    awaitTriesAfterTheClockMoved(store);
    assertThat(memory.claim(id, "", "other", Duration.ofMinutes(1))).isInstanceOf(ClaimResult.InProgress.class);
    assertThat(listener.events).containsExactly("completeDeferred");

    store.failComplete = null;
    awaitTrue(() -> listener.count("executed") == 1);
    assertThat(guard.execute("k", String.class, () -> "run " + runs.incrementAndGet())).isEqualTo("run 1");
    assertThat(runs).hasValue(1);
  }

  /**
   * A store that renews but never completes does not hold the key for ever: renewals stop one
   * lease TTL after the hand-off, and the guard gives up when the last renewal's lease ends.
   */
  @Test
  void aStoreThatRenewsButNeverCompletesHoldsTheKeyForTwoLeasesAtMost() {
    ScriptedStore store = new ScriptedStore(memory);
    IdempotencyGuard guard = guard(builder(store).sleeper(d -> {}));
    store.failComplete = new IdempotencyStoreUnavailableException("OOM command not allowed");

    guard.execute("k", String.class, () -> "v");
    long elapsedSeconds = 0;
    while (listener.count("completeFailed") == 0) {
      assertThat(elapsedSeconds).as("gave up within two leases").isLessThanOrEqualTo(60);
      time.advance(Duration.ofSeconds(10));
      elapsedSeconds += 10;
      awaitTriesAfterTheClockMoved(store);
    }
    assertThat(elapsedSeconds).isEqualTo(50); // renewed at 10 s and 20 s, not at 30 s: 20 + 30
    assertThat(store.renews).hasValue(2);
    assertThat(listener.events).containsExactly("completeDeferred", "completeFailed");
  }

  /** Completing answers false on a background try: the lease was lost; reported, no more tries. */
  @Test
  void aLeaseLostWhileRetryingIsReportedAndTheTriesStop() throws Exception {
    java.util.concurrent.atomic.AtomicBoolean answerFalse = new java.util.concurrent.atomic.AtomicBoolean();
    ScriptedStore store = new ScriptedStore(memory) {
      @Override
      public boolean complete(RecordId id, String ownerToken, byte[] result, Duration retention) {
        boolean stored = super.complete(id, ownerToken, result, retention);
        return stored && !answerFalse.get();
      }
    };
    CountingScheduler given = schedulerOfTheTest();
    IdempotencyGuard guard = guard(builder(store).sleeper(d -> {}).renewalScheduler(given));
    store.failComplete = new IdempotencyStoreUnavailableException("down");

    assertThat(guard.execute("k", String.class, () -> "v")).isEqualTo("v");
    awaitTrue(() -> store.completes.get() >= 4);
    answerFalse.set(true); // stands for "not yours", as after a takeover
    store.failComplete = null;
    awaitTrue(() -> listener.count("leaseLost") == 1);
    int completes = store.completes.get();
    awaitNothingScheduled(given);
    assertThat(store.completes).as("no try after the lease was lost").hasValue(completes);
    assertThat(store.renews).hasValue(0);
    assertThat(listener.events).containsExactly("completeDeferred", "leaseLost");
  }

  /**
   * Eight calls whose results wait to be stored at once are all retried on the guard's one
   * scheduler thread, not a thread each; with a scheduler given to the builder, on that one.
   */
  @Test
  void everyRetryRunsOnTheSharedScheduler() throws Exception {
    java.util.Set<String> retryThreads = java.util.concurrent.ConcurrentHashMap.newKeySet();
    java.util.concurrent.atomic.AtomicBoolean callersDone = new java.util.concurrent.atomic.AtomicBoolean();
    ScriptedStore store = new ScriptedStore(memory) {
      @Override
      public boolean complete(RecordId id, String ownerToken, byte[] result, Duration retention) {
        if (callersDone.get()) retryThreads.add(Thread.currentThread().getName());
        return super.complete(id, ownerToken, result, retention);
      }
    };
    IdempotencyGuard guard = guard(builder(store).sleeper(d -> {}));
    store.failComplete = new IdempotencyStoreUnavailableException("down");
    int calls = 8;
    ExecutorService pool = Executors.newFixedThreadPool(calls);
    try {
      List<Future<String>> futures = new ArrayList<>();
      for (int i = 0; i < calls; i++) {
        String key = "k" + i;
        futures.add(pool.submit(() -> guard.execute(key, String.class, () -> key)));
      }
      for (Future<String> f : futures) f.get(30, TimeUnit.SECONDS);
    } finally {
      pool.shutdownNow();
    }
    callersDone.set(true);
    awaitTrue(() -> store.completes.get() >= calls * 4); // each tried in the background
    store.failComplete = null;
    awaitTrue(() -> listener.count("executed") == calls);
    assertThat(retryThreads).singleElement().asString().startsWith("idempotency-lease-renewal-");

    java.util.concurrent.ScheduledExecutorService given =
        Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "given-scheduler"));
    try {
      callersDone.set(false);
      retryThreads.clear();
      IdempotencyGuard onGiven = guard(builder(store).sleeper(d -> {}).renewalScheduler(given));
      store.failComplete = new IdempotencyStoreUnavailableException("down");
      onGiven.execute("given", String.class, () -> "v");
      callersDone.set(true);
      int completes = store.completes.get();
      awaitTrue(() -> store.completes.get() > completes);
      store.failComplete = null;
      awaitTrue(() -> listener.count("executed") == calls + 1);
      assertThat(retryThreads).containsExactly("given-scheduler");
    } finally {
      given.shutdownNow();
    }
  }

  /**
   * close() does not drop a result still waiting: it gives it one last try and, the store being
   * down, reports it failed; nothing is tried after. If the store is back, that try stores it.
   */
  @Test
  void closingTheGuardEndsTheResultsStillWaitingAndReportsThem() throws Exception {
    ScriptedStore store = new ScriptedStore(memory);
    CountingScheduler own = schedulerOfTheTest();
    IdempotencyGuard guard = guard(builder(store).sleeper(d -> {}).renewalScheduler(own));
    store.failComplete = new IdempotencyStoreUnavailableException("down");
    guard.execute("k", String.class, () -> "v");
    awaitTrue(() -> store.completes.get() >= 4);

    long started = System.nanoTime();
    guard.close();
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
    assertThat(listener.events).containsExactly("completeDeferred", "completeFailed");
    int completes = store.completes.get();
    awaitNothingScheduled(own);
    assertThat(store.completes).hasValue(completes);

    // The same with a given scheduler, the store back by the time the guard closes: the last try
    // stores the result, and the given scheduler is left running with none of the guard's tasks.
    java.util.concurrent.ScheduledThreadPoolExecutor given = new java.util.concurrent.ScheduledThreadPoolExecutor(1);
    given.setRemoveOnCancelPolicy(true);
    try {
      listener.events.clear();
      IdempotencyGuard onGiven = guard(builder(store).sleeper(d -> {}).renewalScheduler(given));
      store.failComplete = new IdempotencyStoreUnavailableException("down");
      onGiven.execute("k2", String.class, () -> "v2");
      store.failComplete = null;
      onGiven.close();
      assertThat(listener.events).containsExactly("completeDeferred", "completeRecovered", "executed");
      assertThat(given.isShutdown()).isFalse();
      assertThat(given.getQueue()).isEmpty();
      assertThat(guard(builder(memory)).execute("k2", String.class, () -> "again")).isEqualTo("v2");
    } finally {
      given.shutdownNow();
    }
  }

  /** A call still running when the guard closes, whose result cannot be stored, is reported. */
  @Test
  void aResultThatCannotBeStoredAfterCloseIsReportedFailed() {
    ScriptedStore store = new ScriptedStore(memory);
    IdempotencyGuard guard = guard(builder(store).sleeper(d -> {}));
    store.failComplete = new IdempotencyStoreUnavailableException("down");
    assertThat(guard.execute("k", String.class, () -> {
      guard.close();
      return "v";
    })).isEqualTo("v");
    assertThat(listener.events).containsExactly("completeDeferred", "completeFailed");
    assertThat(store.completes).hasValue(3);
  }

  @Test
  void aCompleteThatSucceedsOnItsSecondTryStoresTheResult() {
    AtomicInteger failures = new AtomicInteger(1);
    IdempotencyStore flaky = new ScriptedStore(memory) {
      @Override
      public boolean complete(RecordId id, String ownerToken, byte[] result, Duration retention) {
        if (failures.getAndDecrement() > 0) throw new IdempotencyStoreUnavailableException("blip");
        return super.complete(id, ownerToken, result, retention);
      }
    };
    IdempotencyGuard guard = guard(builder(flaky).sleeper(d -> {}));
    assertThat(guard.execute("k", String.class, () -> "v")).isEqualTo("v");
    assertThat(guard.execute("k", String.class, () -> "w")).isEqualTo("v");
    assertThat(listener.events).containsExactly("executed", "replayed");
  }

  @Test
  void aReleaseThatFailsIsReportedAndTheOriginalExceptionStillPropagates() {
    ScriptedStore store = new ScriptedStore(memory);
    IdempotencyGuard guard = guard(builder(store).sleeper(d -> {}));
    store.failRelease = new IdempotencyStoreUnavailableException("down");
    IllegalStateException boom = new IllegalStateException("boom");

    assertThatThrownBy(() -> guard.execute("k", String.class, () -> {
      throw boom;
    })).isSameAs(boom);
    assertThat(store.releases).hasValue(3);
    assertThat(listener.events).containsExactly("releaseFailed");
  }

  @Test
  void aResultTheCodecCannotEncodeReleasesTheClaim() {
    IdempotencyGuard guard = guard();
    ResultCodec<String> broken = new ResultCodec<>() {
      public byte[] encode(String v) { throw new IllegalArgumentException("cannot encode"); }
      public String decode(byte[] b) { return "never"; }
    };
    assertThatThrownBy(() -> guard.execute("k", broken, () -> "v")).hasMessage("cannot encode");
    assertThat(guard.execute("k", String.class, () -> "again")).isEqualTo("again");
  }

  @Test
  void aRecordThisGuardDidNotWriteIsAnUnavailableStore() {
    RecordId id = new RecordId(NS, "", "k");
    memory.claim(id, "", "someone", Duration.ofMinutes(1));
    memory.complete(id, "someone", "raw bytes".getBytes(StandardCharsets.UTF_8), Duration.ofMinutes(1));
    assertThatThrownBy(() -> guard().execute("k", String.class, () -> "v"))
        .isInstanceOf(IdempotencyStoreUnavailableException.class);
  }

  @Test
  void aThrowingListenerChangesNothing() {
    IdempotencyGuard guard = guard(builder(memory).listener(new IdempotencyListener() {
      @Override
      public void executed(RecordId id) {
        throw new IllegalStateException("listener bug");
      }

      @Override
      public void replayed(RecordId id) {
        throw new IllegalStateException("listener bug");
      }
    }));
    assertThat(guard.execute("k", String.class, () -> "v")).isEqualTo("v");
    assertThat(guard.execute("k", String.class, () -> "w")).isEqualTo("v");
  }

  @Test
  void aClosedGuardRefusesCalls() {
    IdempotencyGuard guard = guard();
    guard.close();
    guard.close();
    AtomicInteger runs = new AtomicInteger();
    assertThatThrownBy(() -> guard.execute("k", String.class, () -> "x" + runs.incrementAndGet()))
        .isInstanceOf(IllegalStateException.class);
    assertThat(runs).hasValue(0);
  }

  @Test
  void defaultsAndArgumentChecks() {
    IdempotencyGuard guard = guard(IdempotencyGuard.builder().store(memory));
    assertThat(guard.namespace()).isEqualTo("default");
    assertThat(guard.leaseTtl()).isEqualTo(Duration.ofSeconds(30));
    assertThat(guard.retention()).isEqualTo(Duration.ofHours(24));
    assertThat(guard.renewEvery()).isEqualTo(Duration.ofSeconds(10));

    assertThatThrownBy(() -> IdempotencyGuard.builder().build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("store");
    assertThatThrownBy(() -> IdempotencyGuard.builder().store(null))
        .isInstanceOf(NullPointerException.class).hasMessage("store");
    assertThatThrownBy(() -> IdempotencyGuard.builder().namespace(""))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> IdempotencyGuard.builder().leaseTtl(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> IdempotencyGuard.builder().retention(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> IdempotencyGuard.builder().renewalFraction(1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> InProgressPolicy.waitUpTo(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> guard.execute((String) null, String.class, () -> "v"))
        .isInstanceOf(NullPointerException.class).hasMessage("key");
    assertThatThrownBy(() -> guard.execute("k", String.class, null))
        .isInstanceOf(NullPointerException.class).hasMessage("supplier");
  }

  /**
   * Waits until a background try of storing the result has run wholly after the clock moved (or
   * the tries ended): the try in flight when it moved may have read the old time, so this waits
   * for two answers from {@code complete}; the second try began after the first one ended.
   */
  void awaitTriesAfterTheClockMoved(ScriptedStore store) {
    int answered = store.completesAnswered.get();
    awaitTrue(() -> store.completesAnswered.get() >= answered + 2
        || listener.count("completeFailed") + listener.count("leaseLost") > 0);
  }

  static void await(CountDownLatch latch) {
    try {
      if (!latch.await(30, TimeUnit.SECONDS)) throw new AssertionError("latch not released in 30 s");
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  final List<CountingScheduler> schedulers = new CopyOnWriteArrayList<>();

  /** A scheduler that a test can look into, shut down after the test. */
  CountingScheduler schedulerOfTheTest() {
    CountingScheduler s = new CountingScheduler();
    s.setRemoveOnCancelPolicy(true);
    schedulers.add(s);
    return s;
  }

  @AfterEach
  void shutDownSchedulers() {
    schedulers.forEach(CountingScheduler::shutdownNow);
  }

  /**
   * Waits until the scheduler holds no task and runs none: no background try of the guard can come
   * after this (a try schedules the next before it ends), so a test asserts "no more tries"
   * without sleeping through a backoff.
   */
  static void awaitNothingScheduled(CountingScheduler s) {
    awaitTrue(() -> s.getQueue().isEmpty() && s.getActiveCount() == 0);
  }

  /** Waits for a condition another thread makes true; bounded so a bug cannot hang the build. */
  static void awaitTrue(java.util.function.BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("condition not met in 30 s");
      Thread.onSpinWait();
      try {
        Thread.sleep(1);
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    }
  }
}
