package dev.idempotency.server.redis;

import static dev.idempotency.server.store.ClaimAssertions.acquiredBy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idempotency.server.store.ClaimResult;
import dev.idempotency.server.store.IdempotencyStoreUnavailableException;
import dev.idempotency.server.store.RecordId;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.UnifiedJedis;

/**
 * What the Redis store promises beyond the store contract: its record format and key layout,
 * one script call per operation, binary-safe answers, real lease expiry, and exactly one
 * execution per key under concurrent claims from several clients. Run against a standalone
 * server and against a cluster.
 */
abstract class AbstractRedisStoreTest {
  static final Duration LEASE = Duration.ofSeconds(30);
  static final Duration RETENTION = Duration.ofHours(24);
  // Every key this store writes: the prefix, then the 43-character base64url digest as hash tag.
  static final Pattern KEY_SHAPE = Pattern.compile("idem:\\{[A-Za-z0-9_-]{43}}");

  UnifiedJedis client;
  RedisIdempotencyStore store;

  abstract RedisDeployment deployment();

  @BeforeEach
  void setUp() {
    deployment().flushAll();
    client = deployment().newClient();
    store = RedisIdempotencyStore.builder(client).build();
  }

  @AfterEach
  void tearDown() {
    client.close();
  }

  static RecordId id(String key) {
    return new RecordId("payments", "user-1", key);
  }

  static String keyOf(RecordId id) {
    return new String(new RecordKeys(RedisIdempotencyStore.DEFAULT_KEY_PREFIX).key(id), StandardCharsets.US_ASCII);
  }

  Map<String, String> rawRecord(RecordId id) {
    String key = keyOf(id);
    return deployment().nodeFor(key).admin(j -> j.hgetAll(key));
  }

  long pttl(RecordId id) {
    String key = keyOf(id);
    return deployment().nodeFor(key).admin(j -> j.pttl(key));
  }

  Set<String> allKeys() {
    Set<String> keys = new HashSet<>();
    for (RedisServerProcess node : deployment().nodes()) keys.addAll(node.keys());
    return keys;
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void aClaimWritesOneInProgressHashWhoseExpiryIsTheLease() {
    RecordId id = id("k1");
    assertThat(store.claim(id, "fp", "owner-a", LEASE)).is(acquiredBy("owner-a"));

    assertThat(rawRecord(id)).isEqualTo(Map.of("state", "p", "token", "owner-a", "fingerprint", "fp"));
    assertThat(pttl(id)).isPositive().isLessThanOrEqualTo(LEASE.toMillis());
    assertThat(allKeys()).containsExactly(keyOf(id));
  }

  @Test
  void completeKeepsTheAnswerForTheRetentionAndDropsTheToken() {
    RecordId id = id("k1");
    store.claim(id, "fp", "owner-a", LEASE);
    assertThat(store.complete(id, "owner-a", bytes("answer"), RETENTION)).isTrue();

    assertThat(rawRecord(id)).isEqualTo(Map.of("state", "c", "fingerprint", "fp", "result", "answer"));
    assertThat(pttl(id)).isGreaterThan(LEASE.toMillis()).isLessThanOrEqualTo(RETENTION.toMillis());
  }

  @Test
  void aRepeatGetsItsAnswerFromTheClaimItself() {
    RecordId id = id("k1");
    store.claim(id, "fp", "owner-a", LEASE);

    ClaimResult inProgress = store.claim(id, "fp", "owner-b", LEASE);
    assertThat(inProgress).isInstanceOf(ClaimResult.InProgress.class);
    assertThat(((ClaimResult.InProgress) inProgress).leaseRemaining())
        .isPositive().isLessThanOrEqualTo(LEASE);
    assertThat(store.claim(id, "other-fp", "owner-b", LEASE)).isInstanceOf(ClaimResult.FingerprintMismatch.class);
    assertThat(rawRecord(id)).containsEntry("token", "owner-a");

    store.complete(id, "owner-a", bytes("answer"), RETENTION);
    ClaimResult completed = store.claim(id, "fp", "owner-c", LEASE);
    assertThat(completed).isInstanceOf(ClaimResult.Completed.class);
    assertThat(((ClaimResult.Completed) completed).result()).isEqualTo(bytes("answer"));
    assertThat(store.claim(id, "other-fp", "owner-c", LEASE)).isInstanceOf(ClaimResult.FingerprintMismatch.class);
    assertThat(store.claim(id, "", "owner-c", LEASE)).isInstanceOf(ClaimResult.FingerprintMismatch.class);
  }

  @Test
  void onlyTheOwnerTokenCompletesRenewsOrReleases() {
    RecordId id = id("k1");
    store.claim(id, "fp", "owner-a", LEASE);

    assertThat(store.complete(id, "owner-b", bytes("forged"), RETENTION)).isFalse();
    assertThat(store.renew(id, "owner-b", LEASE)).isFalse();
    assertThat(store.release(id, "owner-b")).isFalse();
    assertThat(rawRecord(id)).isEqualTo(Map.of("state", "p", "token", "owner-a", "fingerprint", "fp"));

    assertThat(store.complete(id, "owner-a", bytes("answer"), RETENTION)).isTrue();
    // Completed: no token holds a claim any more, not even the one that completed it.
    assertThat(store.complete(id, "owner-a", bytes("again"), RETENTION)).isFalse();
    assertThat(store.renew(id, "owner-a", LEASE)).isFalse();
    assertThat(store.release(id, "owner-a")).isFalse();
    assertThat(rawRecord(id)).containsEntry("result", "answer");
  }

  @Test
  void renewSetsTheLeaseAnewFromNow() {
    RecordId id = id("k1");
    store.claim(id, "fp", "owner-a", Duration.ofSeconds(2));
    assertThat(store.renew(id, "owner-a", Duration.ofMinutes(10))).isTrue();
    assertThat(pttl(id)).isGreaterThan(Duration.ofSeconds(2).toMillis());
    assertThat(rawRecord(id)).containsEntry("state", "p").containsEntry("token", "owner-a");
  }

  @Test
  void releaseDeletesTheRecordSoTheNextClaimAcquires() {
    RecordId id = id("k1");
    store.claim(id, "fp", "owner-a", LEASE);
    assertThat(store.release(id, "owner-a")).isTrue();
    assertThat(allKeys()).isEmpty();
    assertThat(store.claim(id, "fp2", "owner-b", LEASE)).is(acquiredBy("owner-b"));
  }

  @Test
  void answerBodiesComeBackByteForByte() {
    byte[] everyByte = new byte[512];
    for (int i = 0; i < everyByte.length; i++) everyByte[i] = (byte) i;
    Map<RecordId, byte[]> answers = Map.of(
        id("every-byte"), everyByte,
        id("empty"), new byte[0],
        id("nul"), new byte[] {0},
        id("bad-utf8"), new byte[] {(byte) 0xC3, (byte) 0x28, (byte) 0xFF, (byte) 0xFE});
    answers.forEach((id, answer) -> {
      store.claim(id, "fp", "owner", LEASE);
      assertThat(store.complete(id, "owner", answer, RETENTION)).isTrue();
    });
    answers.forEach((id, answer) -> {
      ClaimResult replay = store.claim(id, "fp", "other", LEASE);
      assertThat(replay).isInstanceOf(ClaimResult.Completed.class);
      assertThat(((ClaimResult.Completed) replay).result()).as(id.key()).isEqualTo(answer);
    });
  }

  @Test
  void clientKeysOfEveryVisibleAsciiCharacterStayApartAndNeverShapeTheRedisKey() {
    List<String> clientKeys = new ArrayList<>();
    StringBuilder all = new StringBuilder();
    for (char c = 0x21; c <= 0x7E; c++) {
      clientKeys.add(String.valueOf(c));
      all.append(c);
    }
    clientKeys.add(all.toString());
    clientKeys.add(all.reverse().toString());
    clientKeys.addAll(List.of("{}", "{a}", "a{b}c", "}{", "{{x}}", "idem:{x}", "**", "a:b", "a*b?[c]",
        "{" + "x".repeat(253) + "}", "k".repeat(255)));

    for (String k : clientKeys) {
      RecordId id = id(k);
      assertThat(store.claim(id, "fp", "owner", LEASE)).as(k).isInstanceOf(ClaimResult.Acquired.class);
      assertThat(store.complete(id, "owner", bytes("answer to " + k), RETENTION)).isTrue();
    }
    for (String k : clientKeys) {
      ClaimResult replay = store.claim(id(k), "fp", "other", LEASE);
      assertThat(replay).as(k).isInstanceOf(ClaimResult.Completed.class);
      assertThat(new String(((ClaimResult.Completed) replay).result(), StandardCharsets.UTF_8))
          .isEqualTo("answer to " + k);
    }
    Set<String> keys = allKeys();
    assertThat(keys).hasSize(clientKeys.size());
    assertThat(keys).allSatisfy(key -> assertThat(key).matches(KEY_SHAPE));
  }

  @Test
  void namespaceScopeAndKeyAreLengthPrefixedSoNoSplitCollides() {
    List<RecordId> ids = List.of(
        new RecordId("ab", "c", "k"),
        new RecordId("a", "bc", "k"),
        new RecordId("a", "b", "ck"),
        new RecordId("a", "", "bck"),
        new RecordId("payments", "alice", "k"),
        new RecordId("payments", "bob", "k"),
        new RecordId("orders", "alice", "k"));
    for (RecordId id : ids) {
      assertThat(store.claim(id, "fp", "owner", LEASE)).as(id.toString()).isInstanceOf(ClaimResult.Acquired.class);
    }
    assertThat(allKeys()).hasSize(ids.size());
  }

  @Test
  void theRedisKeyHasOneLengthWhateverTheClientKey() {
    assertThat(keyOf(id("k"))).hasSize(keyOf(id("k".repeat(255))).length())
        .hasSize(RedisIdempotencyStore.DEFAULT_KEY_PREFIX.length() + 45);
    RedisIdempotencyStore prefixed = RedisIdempotencyStore.builder(client).keyPrefix("idem:test:").build();
    prefixed.claim(id("k"), "fp", "owner", LEASE);
    assertThat(allKeys()).singleElement().asString().startsWith("idem:test:{").endsWith("}");
  }

  @Test
  void aLeaseThatExpiresHandsTheKeyToTheNextClaimantAndRefusesTheOldOwner() {
    RecordId id = id("k1");
    assertThat(store.claim(id, "fp", "owner-a", Duration.ofMillis(50))).isInstanceOf(ClaimResult.Acquired.class);
    awaitGone(id);

    assertThat(store.claim(id, "fp", "owner-b", LEASE)).is(acquiredBy("owner-b"));
    assertThat(store.complete(id, "owner-a", bytes("late"), RETENTION)).isFalse();
    assertThat(store.renew(id, "owner-a", LEASE)).isFalse();
    assertThat(store.release(id, "owner-a")).isFalse();
    assertThat(rawRecord(id)).containsEntry("token", "owner-b");

    assertThat(store.complete(id, "owner-b", bytes("answer"), RETENTION)).isTrue();
    ClaimResult replay = store.claim(id, "fp", "owner-c", LEASE);
    assertThat(((ClaimResult.Completed) replay).result()).isEqualTo(bytes("answer"));
  }

  /** Waits, by Redis's own clock, until the record has expired; bounded so a bug cannot hang. */
  private void awaitGone(RecordId id) {
    String key = keyOf(id);
    RedisServerProcess node = deployment().nodeFor(key);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (node.admin(j -> j.exists(key))) {
      assertThat(System.nanoTime()).as("record still there after 30 s").isLessThan(deadline);
      RedisServerProcess.sleep(10);
    }
  }

  @Test
  void everyOperationIsOneScriptCall() {
    loadScriptsEverywhere();
    long evalBefore = deployment().commandCalls("eval");
    RecordId id = id("k1");

    long before = scriptCalls();
    store.claim(id, "fp", "owner-a", LEASE);
    store.complete(id, "owner-a", bytes("answer"), RETENTION);
    assertThat(scriptCalls() - before).as("new key: claim + complete").isEqualTo(2);

    before = scriptCalls();
    assertThat(store.claim(id, "fp", "owner-b", LEASE)).isInstanceOf(ClaimResult.Completed.class);
    assertThat(scriptCalls() - before).as("replay").isEqualTo(1);

    before = scriptCalls();
    assertThat(store.claim(id, "other", "owner-b", LEASE)).isInstanceOf(ClaimResult.FingerprintMismatch.class);
    assertThat(scriptCalls() - before).as("mismatch").isEqualTo(1);

    RecordId running = id("k2");
    store.claim(running, "fp", "owner-a", LEASE);
    before = scriptCalls();
    assertThat(store.claim(running, "fp", "owner-b", LEASE)).isInstanceOf(ClaimResult.InProgress.class);
    assertThat(scriptCalls() - before).as("in progress").isEqualTo(1);

    before = scriptCalls();
    assertThat(store.renew(running, "owner-a", LEASE)).isTrue();
    assertThat(scriptCalls() - before).as("renew").isEqualTo(1);

    before = scriptCalls();
    assertThat(store.release(running, "owner-a")).isTrue();
    assertThat(scriptCalls() - before).as("release").isEqualTo(1);

    assertThat(deployment().commandCalls("eval")).as("all by EVALSHA: no EVAL").isEqualTo(evalBefore);
  }

  /** SCRIPT LOAD of every script on every node; checks that Redis names each by our SHA1. */
  private void loadScriptsEverywhere() {
    for (String name : List.of("claim", "complete", "renew", "release")) {
      LuaScript script = LuaScript.load(name);
      for (RedisServerProcess node : deployment().nodes()) {
        String sha1 = node.admin(j -> j.scriptLoad(new String(script.body(), StandardCharsets.UTF_8)));
        assertThat(sha1).as(name).isEqualTo(script.sha1());
      }
    }
  }

  private long scriptCalls() {
    return deployment().commandCalls("evalsha") + deployment().commandCalls("eval");
  }

  @Test
  void afterScriptFlushOneCallFallsBackToEvalAndTheNextIsEvalshaAgain() {
    RecordId id = id("k1");
    store.claim(id, "fp", "owner-a", LEASE); // loaded on the node that owns id
    deployment().scriptFlush();

    RedisServerProcess node = deployment().nodeFor(keyOf(id));
    long evalsha = node.commandCalls("evalsha");
    long eval = node.commandCalls("eval");
    assertThat(store.claim(id, "fp", "owner-b", LEASE)).isInstanceOf(ClaimResult.InProgress.class);
    assertThat(node.commandCalls("evalsha") - evalsha).as("EVALSHA answered NOSCRIPT").isEqualTo(1);
    assertThat(node.commandCalls("eval") - eval).as("then EVAL").isEqualTo(1);

    evalsha = node.commandCalls("evalsha");
    eval = node.commandCalls("eval");
    assertThat(store.claim(id, "fp", "owner-b", LEASE)).isInstanceOf(ClaimResult.InProgress.class);
    assertThat(node.commandCalls("evalsha") - evalsha).isEqualTo(1);
    assertThat(node.commandCalls("eval") - eval).as("the script is cached again").isZero();
  }

  @Test
  void aForeignValueUnderARecordKeyIsAnUnavailableStoreNotAJedisError() {
    RecordId id = id("k1");
    String key = keyOf(id);
    deployment().nodeFor(key).admin(j -> j.set(key, "not a hash"));

    assertThatThrownBy(() -> store.claim(id, "fp", "owner", LEASE))
        .isInstanceOf(IdempotencyStoreUnavailableException.class)
        .hasCauseInstanceOf(redis.clients.jedis.exceptions.JedisDataException.class)
        .hasMessageContaining("WRONGTYPE");
  }

  @Test
  void argumentsAreCheckedWhereTheyEnter() {
    RecordId id = id("k1");
    assertThatThrownBy(() -> RedisIdempotencyStore.builder(null)).isInstanceOf(NullPointerException.class)
        .hasMessage("jedis");
    assertThatThrownBy(() -> RedisIdempotencyStore.builder(client).keyPrefix("a{b}:"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.claim(id, "fp", "owner", Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.claim(id, null, "owner", LEASE)).isInstanceOf(NullPointerException.class)
        .hasMessage("fingerprint");
    assertThatThrownBy(() -> store.complete(id, "owner", bytes("x"), Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.renew(id, "owner", Duration.ofDays(365 * 1000)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(allKeys()).isEmpty();
  }

  /**
   * 32 threads over 4 separate clients (4 server instances) claim the same 64 keys; the script
   * cache is flushed half way. Each key runs exactly once and every thread sees that run's answer.
   */
  @Test
  void manyInstancesRaceForTheSameKeysAndEachKeyRunsOnce() throws Exception {
    int threads = 32;
    int instances = 4;
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < 64; i++) keys.add("race-" + i);
    List<UnifiedJedis> clients = new ArrayList<>();
    List<RedisIdempotencyStore> stores = new ArrayList<>();
    for (int i = 0; i < instances; i++) {
      UnifiedJedis c = deployment().newClient();
      clients.add(c);
      stores.add(RedisIdempotencyStore.builder(c).build());
    }
    Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
    Map<String, String> answers = new ConcurrentHashMap<>();
    Map<String, Queue<String>> seen = new ConcurrentHashMap<>();
    CyclicBarrier halfway = new CyclicBarrier(threads + 1);
    long evalBefore = deployment().commandCalls("eval");
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        RedisIdempotencyStore instance = stores.get(t % instances);
        List<String> order = new ArrayList<>(keys);
        Collections.shuffle(order, new java.util.Random(t));
        futures.add(pool.submit(() -> {
          List<String> first = order.subList(0, order.size() / 2);
          List<String> second = order.subList(order.size() / 2, order.size());
          // Each thread does its half of the keys, waits for the script flush, then the rest.
          for (String k : first) runOnce(instance, k, runs, answers, seen);
          halfway.await();
          halfway.await();
          for (String k : second) runOnce(instance, k, runs, answers, seen);
          return null;
        }));
      }
      halfway.await(60, TimeUnit.SECONDS);
      deployment().scriptFlush();
      halfway.await(60, TimeUnit.SECONDS);
      for (Future<?> f : futures) f.get(60, TimeUnit.SECONDS);
    } finally {
      pool.shutdownNow();
      for (UnifiedJedis c : clients) c.close();
    }

    assertThat(runs).hasSize(keys.size());
    assertThat(runs.values()).allSatisfy(n -> assertThat(n.get()).isEqualTo(1));
    for (String k : keys) {
      // Every thread got an answer for every key, and it is the one run's answer.
      assertThat(seen.get(k)).as(k).hasSize(threads).containsOnly(answers.get(k));
    }
    assertThat(deployment().commandCalls("eval") - evalBefore).as("EVAL fallbacks after the flush").isPositive();
  }

  private static void runOnce(RedisIdempotencyStore store, String k, Map<String, AtomicInteger> runs,
      Map<String, String> answers, Map<String, Queue<String>> seen) {
    RecordId id = id(k);
    String token = UUID.randomUUID().toString();
    while (true) {
      ClaimResult claim = store.claim(id, "fp", token, LEASE);
      String answer;
      if (claim instanceof ClaimResult.Acquired) {
        runs.computeIfAbsent(k, x -> new AtomicInteger()).incrementAndGet();
        answer = "ran by " + token;
        answers.put(k, answer);
        assertThat(store.complete(id, token, bytes(answer), RETENTION)).isTrue();
      } else if (claim instanceof ClaimResult.Completed completed) {
        answer = new String(completed.result(), StandardCharsets.UTF_8);
      } else if (claim instanceof ClaimResult.InProgress) {
        Thread.yield();
        continue;
      } else {
        throw new AssertionError("unexpected " + claim);
      }
      seen.computeIfAbsent(k, x -> new ConcurrentLinkedQueue<>()).add(answer);
      return;
    }
  }
}
