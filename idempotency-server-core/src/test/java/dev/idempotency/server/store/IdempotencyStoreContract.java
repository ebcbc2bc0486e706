package dev.idempotency.server.store;

import static dev.idempotency.server.store.ClaimAssertions.acquiredBy;
import static dev.idempotency.server.store.ClaimAssertions.fencingToken;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The state machine of {@link IdempotencyStore}, as every store must implement it: the guard
 * cannot tell two stores apart that pass this suite.
 *
 * <p>A subclass provides the store and a way to let time pass. A store with an injected clock
 * advances it; a store that keeps its own time (Redis) sleeps. Expiry tests use TTLs of
 * {@link #shortTtl()} (300 ms by default) so that a sleeping subclass stays fast, and long TTLs
 * ({@link #LONG}) everywhere else, so that no test depends on how fast the machine runs.
 *
 * <p>Every test uses a namespace of its own, so a subclass may share one store (one server)
 * between tests without flushing it.
 */
public abstract class IdempotencyStoreContract {
  /** A TTL no test outlives: claims and records that must not expire during a test. */
  protected static final Duration LONG = Duration.ofMinutes(10);

  protected IdempotencyStore store;
  private String namespace;

  /**
   * A store for one test, called before each test (before a subclass's own {@code @BeforeEach}
   * methods, so start servers in {@code @BeforeAll}).
   */
  protected abstract IdempotencyStore newStore();

  /**
   * Lets at least {@code d} pass by the store's clock: advance a fake clock, or sleep a little
   * longer than {@code d} for a store that keeps its own time.
   */
  protected abstract void advance(Duration d);

  /** The TTL of records that a test lets expire. Short, so a sleeping {@link #advance} is cheap. */
  protected Duration shortTtl() {
    return Duration.ofMillis(300);
  }

  /** Rounds of the concurrent-claim test; a network store may lower it to stay fast. */
  protected int concurrencyRounds() {
    return 50;
  }

  @BeforeEach
  protected final void createStore() {
    store = newStore();
    namespace = "contract-" + UUID.randomUUID();
  }

  protected RecordId id(String key) {
    return new RecordId(namespace, "scope-1", key);
  }

  protected static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String token() {
    return UUID.randomUUID().toString();
  }

  private void assertCompleted(RecordId id, String fingerprint, byte[] expected) {
    ClaimResult replay = store.claim(id, fingerprint, token(), LONG);
    assertThat(replay).isInstanceOf(ClaimResult.Completed.class);
    assertThat(((ClaimResult.Completed) replay).result()).isEqualTo(expected);
  }

  private void assertInProgress(RecordId id, String fingerprint) {
    assertThat(store.claim(id, fingerprint, token(), LONG)).isInstanceOf(ClaimResult.InProgress.class);
  }

  private void assertAbsent(RecordId id) {
    String probe = token();
    // A claim of an absent record acquires it; release it again so the probe changes nothing.
    assertThat(store.claim(id, "probe", probe, LONG)).is(acquiredBy(probe));
    assertThat(store.release(id, probe)).isTrue();
  }

  @Test
  void aClaimOfAnAbsentRecordAcquiresItForTheCallersToken() {
    assertThat(store.claim(id("k"), "fp", "owner-a", LONG)).is(acquiredBy("owner-a"));
  }

  @Test
  void aRepeatWhileInProgressIsInProgressWithTheLeaseRemaining() {
    store.claim(id("k"), "fp", "owner-a", LONG);

    ClaimResult repeat = store.claim(id("k"), "fp", "owner-b", LONG);

    assertThat(repeat).isInstanceOf(ClaimResult.InProgress.class);
    assertThat(((ClaimResult.InProgress) repeat).leaseRemaining())
        .isPositive()
        .isLessThanOrEqualTo(LONG)
        .isGreaterThan(LONG.minusMinutes(1));
    // The repeat took nothing: the first owner still holds the claim.
    assertThat(store.complete(id("k"), "owner-b", bytes("b"), LONG)).isFalse();
    assertThat(store.complete(id("k"), "owner-a", bytes("a"), LONG)).isTrue();
    assertCompleted(id("k"), "fp", bytes("a"));
  }

  @Test
  void aDifferentFingerprintIsAMismatchWhileInProgressAndOnceCompleted() {
    store.claim(id("k"), "fp-1", "owner-a", LONG);
    assertThat(store.claim(id("k"), "fp-2", "owner-b", LONG)).isInstanceOf(ClaimResult.FingerprintMismatch.class);
    assertThat(store.claim(id("k"), "", "owner-b", LONG)).isInstanceOf(ClaimResult.FingerprintMismatch.class);

    assertThat(store.complete(id("k"), "owner-a", bytes("answer"), LONG)).isTrue();
    assertThat(store.claim(id("k"), "fp-2", "owner-c", LONG)).isInstanceOf(ClaimResult.FingerprintMismatch.class);
    assertThat(store.claim(id("k"), "", "owner-c", LONG)).isInstanceOf(ClaimResult.FingerprintMismatch.class);
    assertCompleted(id("k"), "fp-1", bytes("answer"));
  }

  @Test
  void aRecordClaimedWithoutAFingerprintMatchesOnlyRequestsWithoutOne() {
    store.claim(id("k"), "", "owner-a", LONG);
    assertThat(store.claim(id("k"), "fp", "owner-b", LONG)).isInstanceOf(ClaimResult.FingerprintMismatch.class);
    assertInProgress(id("k"), "");
    store.complete(id("k"), "owner-a", bytes("answer"), LONG);
    assertCompleted(id("k"), "", bytes("answer"));
  }

  /**
   * The guards' path: an answer handed over ({@code completeHandingOver}) is stored exactly as
   * {@code complete} stores it, and a replay's bytes read in place ({@code Completed.read}) are the
   * stored ones, while {@code result()} hands out a copy that its caller may modify.
   */
  @Test
  void anAnswerHandedOverIsStoredAsCompleteStoresItAndReadsInPlace() {
    byte[] answer = bytes("{\"id\":7,\"status\":\"paid\"}");
    store.claim(id("k"), "fp", "owner", LONG);
    assertThat(store.completeHandingOver(id("k"), "owner", answer.clone(), LONG)).isTrue();
    assertThat(store.completeHandingOver(id("k"), "owner", bytes("late"), LONG))
        .as("a completed record is no claim").isFalse();

    ClaimResult.Completed replay = (ClaimResult.Completed) store.claim(id("k"), "fp", "other", LONG);
    ClaimResult.Completed.Reader<byte[]> copyOut = stored -> stored.clone();
    assertThat(replay.read(copyOut)).isEqualTo(answer);
    java.util.Arrays.fill(replay.result(), (byte) '?'); // a copy
    assertThat(replay.read(copyOut)).isEqualTo(answer);
    assertCompleted(id("k"), "fp", answer);
  }

  @Test
  void aCompletedRecordAnswersEveryClaimWithExactlyTheStoredBytes() {
    byte[] everyByte = new byte[256];
    for (int i = 0; i < everyByte.length; i++) everyByte[i] = (byte) i;
    List<byte[]> answers = List.of(
        everyByte,
        new byte[0],
        new byte[] {0},
        new byte[] {(byte) 0xFF, 0, (byte) 0xFF},
        new byte[] {(byte) 0xC3, (byte) 0x28, (byte) 0xFE}, // not UTF-8
        bytes("{\"id\":42,\"status\":\"paid\"}"));
    for (int i = 0; i < answers.size(); i++) {
      RecordId id = id("k" + i);
      store.claim(id, "fp", "owner", LONG);
      byte[] given = answers.get(i).clone();
      assertThat(store.complete(id, "owner", given, LONG)).isTrue();
      java.util.Arrays.fill(given, (byte) '!'); // the caller's array is not the stored one
    }
    for (int i = 0; i < answers.size(); i++) {
      ClaimResult replay = store.claim(id("k" + i), "fp", "other", LONG);
      assertThat(replay).as("answer %d", i).isInstanceOf(ClaimResult.Completed.class);
      byte[] got = ((ClaimResult.Completed) replay).result();
      assertThat(got).as("answer %d", i).isEqualTo(answers.get(i));
      java.util.Arrays.fill(got, (byte) '?'); // nor is the array handed out
      assertCompleted(id("k" + i), "fp", answers.get(i));
    }
  }

  @Test
  void onceCompletedNoTokenHoldsTheRecordAnyMore() {
    store.claim(id("k"), "fp", "owner-a", LONG);
    assertThat(store.complete(id("k"), "owner-a", bytes("answer"), LONG)).isTrue();

    assertThat(store.complete(id("k"), "owner-a", bytes("again"), LONG)).isFalse();
    assertThat(store.renew(id("k"), "owner-a", LONG)).isFalse();
    assertThat(store.release(id("k"), "owner-a")).isFalse();
    assertCompleted(id("k"), "fp", bytes("answer"));
  }

  @Test
  void aWrongTokenCannotCompleteRenewOrReleaseAndChangesNothing() {
    store.claim(id("k"), "fp", "owner-a", shortTtl());

    assertThat(store.complete(id("k"), "owner-b", bytes("forged"), LONG)).isFalse();
    assertThat(store.renew(id("k"), "owner-b", LONG)).isFalse();
    assertThat(store.release(id("k"), "owner-b")).isFalse();
    assertThat(store.complete(id("k"), "", bytes("forged"), LONG)).isFalse();

    assertInProgress(id("k"), "fp");
    // The wrong renew did not extend the lease: it still expires with the first claim's TTL.
    advance(shortTtl());
    assertAbsent(id("k"));
  }

  @Test
  void theOwnerCanStillCompleteAfterWrongTokensTried() {
    store.claim(id("k"), "fp", "owner-a", LONG);
    store.release(id("k"), "owner-b");
    store.complete(id("k"), "owner-b", bytes("forged"), LONG);

    assertThat(store.complete(id("k"), "owner-a", bytes("answer"), LONG)).isTrue();
    assertCompleted(id("k"), "fp", bytes("answer"));
  }

  @Test
  void operationsOnAnAbsentRecordAnswerFalseAndCreateNothing() {
    assertThat(store.complete(id("k"), "owner", bytes("answer"), LONG)).isFalse();
    assertThat(store.renew(id("k"), "owner", LONG)).isFalse();
    assertThat(store.release(id("k"), "owner")).isFalse();
    assertThat(store.claim(id("k"), "fp", "owner-b", LONG)).is(acquiredBy("owner-b"));
  }

  @Test
  void releaseMakesTheRecordAcquirableAgainWithAnyFingerprint() {
    store.claim(id("k"), "fp", "owner-a", LONG);
    assertThat(store.release(id("k"), "owner-a")).isTrue();
    assertThat(store.release(id("k"), "owner-a")).as("released twice").isFalse();

    assertThat(store.claim(id("k"), "fp-2", "owner-b", LONG)).is(acquiredBy("owner-b"));
    assertThat(store.complete(id("k"), "owner-a", bytes("stale"), LONG)).isFalse();
    assertThat(store.complete(id("k"), "owner-b", bytes("answer"), LONG)).isTrue();
    assertCompleted(id("k"), "fp-2", bytes("answer"));
  }

  @Test
  void anExpiredLeaseIsAbsentAndItsStaleOwnerCannotTouchTheNewClaim() {
    store.claim(id("k"), "fp", "owner-a", shortTtl());
    advance(shortTtl());

    assertThat(store.claim(id("k"), "fp", "owner-b", LONG)).is(acquiredBy("owner-b"));
    assertThat(store.complete(id("k"), "owner-a", bytes("late"), LONG)).isFalse();
    assertThat(store.renew(id("k"), "owner-a", LONG)).isFalse();
    assertThat(store.release(id("k"), "owner-a")).isFalse();
    assertInProgress(id("k"), "fp");

    assertThat(store.complete(id("k"), "owner-b", bytes("answer"), LONG)).isTrue();
    assertCompleted(id("k"), "fp", bytes("answer"));
  }

  /**
   * Every owner of a record gets a fencing token above the one before it: after a release, after a
   * lease that ran out while its owner was away, after the retention of a completed record, with a
   * claim of another record in between. Repeats draw none.
   */
  @Test
  void fencingTokensIncreaseStrictlyAcrossTheSuccessiveOwnersOfARecord() {
    RecordId k = id("k");
    List<Long> tokens = new ArrayList<>();
    tokens.add(fencingToken(store.claim(k, "fp", "owner-1", LONG)));
    assertThat(fencingToken(store.claim(k, "fp", "repeat", LONG))).as("a repeat in progress").isZero();
    assertThat(store.release(k, "owner-1")).isTrue();
    tokens.add(fencingToken(store.claim(k, "fp", "owner-2", shortTtl())));
    store.claim(id("other"), "fp", "someone", LONG);
    advance(shortTtl()); // owner-2's lease runs out while it is away
    tokens.add(fencingToken(store.claim(k, "fp", "owner-3", LONG)));
    assertThat(store.complete(k, "owner-3", bytes("answer"), shortTtl())).isTrue();
    assertThat(fencingToken(store.claim(k, "fp", "repeat", LONG))).as("a replay").isZero();
    advance(shortTtl()); // the retention ends
    tokens.add(fencingToken(store.claim(k, "fp", "owner-4", LONG)));

    assertThat(tokens).doesNotContain(0L).isSorted().doesNotHaveDuplicates();
  }

  @Test
  void aStaleOwnerCannotReviveAnExpiredClaimNobodyTookOver() {
    store.claim(id("k"), "fp", "owner-a", shortTtl());
    advance(shortTtl());

    assertThat(store.renew(id("k"), "owner-a", LONG)).isFalse();
    assertThat(store.complete(id("k"), "owner-a", bytes("late"), LONG)).isFalse();
    assertThat(store.release(id("k"), "owner-a")).isFalse();
    assertThat(store.claim(id("k"), "other-fp", "owner-b", LONG)).is(acquiredBy("owner-b"));
  }

  @Test
  void aClaimRenewedBeforeItsLeaseEndsOutlivesTheOriginalLease() {
    store.claim(id("k"), "fp", "owner-a", shortTtl());
    assertThat(store.renew(id("k"), "owner-a", LONG)).isTrue();
    advance(shortTtl());

    ClaimResult repeat = store.claim(id("k"), "fp", "owner-b", LONG);
    assertThat(repeat).isInstanceOf(ClaimResult.InProgress.class);
    assertThat(((ClaimResult.InProgress) repeat).leaseRemaining()).isGreaterThan(shortTtl());
    assertThat(store.complete(id("k"), "owner-a", bytes("answer"), LONG)).isTrue();
    assertCompleted(id("k"), "fp", bytes("answer"));
  }

  @Test
  void renewSetsTheLeaseFromNowEvenWhenShorter() {
    store.claim(id("k"), "fp", "owner-a", LONG);
    assertThat(store.renew(id("k"), "owner-a", shortTtl())).isTrue();
    advance(shortTtl());

    assertAbsent(id("k"));
    assertThat(store.renew(id("k"), "owner-a", LONG)).isFalse();
  }

  @Test
  void aCompletedRecordExpiresAfterItsRetention() {
    store.claim(id("k"), "fp", "owner-a", LONG);
    assertThat(store.complete(id("k"), "owner-a", bytes("answer"), shortTtl())).isTrue();
    assertCompleted(id("k"), "fp", bytes("answer"));
    advance(shortTtl());

    assertThat(store.claim(id("k"), "other-fp", "owner-b", LONG)).is(acquiredBy("owner-b"));
  }

  @Test
  void completingKeepsTheRecordForTheRetentionNotTheLease() {
    store.claim(id("k"), "fp", "owner-a", shortTtl());
    assertThat(store.complete(id("k"), "owner-a", bytes("answer"), LONG)).isTrue();
    advance(shortTtl());

    assertCompleted(id("k"), "fp", bytes("answer"));
  }

  @Test
  void theSameKeyInAnotherScopeOrNamespaceIsAnotherRecord() {
    String otherNamespace = namespace + "-other";
    List<RecordId> ids = List.of(
        new RecordId(namespace, "alice", "k"),
        new RecordId(namespace, "bob", "k"),
        new RecordId(namespace, "", "k"),
        new RecordId(otherNamespace, "alice", "k"),
        // Splits of the same characters stay apart.
        new RecordId(namespace, "alicek", "x"),
        new RecordId(namespace, "a", "licek"));
    for (int i = 0; i < ids.size(); i++) {
      assertThat(store.claim(ids.get(i), "fp-" + i, "owner-" + i, LONG))
          .as(ids.get(i).toString())
          .is(acquiredBy("owner-" + i));
    }
    assertThat(store.complete(ids.get(0), "owner-0", bytes("alice's"), LONG)).isTrue();
    assertThat(store.release(ids.get(1), "owner-1")).isTrue();
    // Bob's token does not reach Alice's record, nor the other namespace's.
    assertThat(store.complete(ids.get(3), "owner-0", bytes("x"), LONG)).isFalse();

    assertCompleted(ids.get(0), "fp-0", bytes("alice's"));
    assertAbsent(ids.get(1));
    assertInProgress(ids.get(2), "fp-2");
    assertInProgress(ids.get(3), "fp-3");
    assertThat(store.complete(ids.get(3), "owner-3", bytes("other namespace"), LONG)).isTrue();
    assertCompleted(ids.get(3), "fp-3", bytes("other namespace"));
    assertCompleted(ids.get(0), "fp-0", bytes("alice's"));
  }

  @Test
  void argumentsAreCheckedWhereTheyEnter() {
    RecordId id = id("k");
    assertThatThrownBy(() -> store.claim(null, "fp", "owner", LONG)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> store.claim(id, null, "owner", LONG)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> store.claim(id, "fp", null, LONG)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> store.claim(id, "fp", "owner", null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> store.claim(id, "fp", "owner", Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.claim(id, "fp", "owner", Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class);
    // None of the refused calls claimed anything.
    assertThat(store.claim(id, "fp", "owner", LONG)).is(acquiredBy("owner"));
    assertThatThrownBy(() -> store.complete(id, "owner", null, LONG)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> store.complete(id, "owner", bytes("x"), Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.renew(id, "owner", Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertInProgress(id, "fp");
  }

  /**
   * 32 threads claim the same record at once, round after round: exactly one acquires, every
   * other one sees the claim in progress; once the winner completes, all of them get its answer.
   */
  @Test
  void ofManyConcurrentClaimsExactlyOneAcquires() throws Exception {
    int threads = 32;
    int rounds = concurrencyRounds();
    CyclicBarrier start = new CyclicBarrier(threads);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      for (int round = 0; round < rounds; round++) {
        RecordId id = id("race-" + round);
        List<Future<ClaimResult>> claims = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          String token = "owner-" + t;
          claims.add(pool.submit(() -> {
            start.await(30, TimeUnit.SECONDS);
            return store.claim(id, "fp", token, LONG);
          }));
        }
        List<String> winners = new ArrayList<>();
        int inProgress = 0;
        for (Future<ClaimResult> f : claims) {
          ClaimResult r = f.get(60, TimeUnit.SECONDS);
          if (r instanceof ClaimResult.Acquired a) winners.add(a.ownerToken());
          else if (r instanceof ClaimResult.InProgress) inProgress++;
          else throw new AssertionError("round " + round + ": unexpected " + r);
        }
        assertThat(winners).as("round %d", round).hasSize(1);
        assertThat(inProgress).as("round %d", round).isEqualTo(threads - 1);

        byte[] answer = bytes("round " + round + " won by " + winners.get(0));
        assertThat(store.complete(id, winners.get(0), answer, LONG)).isTrue();
        List<Future<ClaimResult>> replays = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          replays.add(pool.submit(() -> {
            start.await(30, TimeUnit.SECONDS);
            return store.claim(id, "fp", token(), LONG);
          }));
        }
        for (Future<ClaimResult> f : replays) {
          ClaimResult r = f.get(60, TimeUnit.SECONDS);
          assertThat(r).isInstanceOf(ClaimResult.Completed.class);
          assertThat(((ClaimResult.Completed) r).result()).isEqualTo(answer);
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
