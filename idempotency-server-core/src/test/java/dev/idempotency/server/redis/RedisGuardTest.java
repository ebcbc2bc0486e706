package dev.idempotency.server.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idempotency.server.GuardedResult;
import dev.idempotency.server.IdempotencyGuard;
import dev.idempotency.server.IdempotentCall;
import dev.idempotency.server.InProgressPolicy;
import dev.idempotency.server.ResultCodec;
import dev.idempotency.server.store.IdempotencyStoreUnavailableException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import redis.clients.jedis.UnifiedJedis;

/**
 * The real {@link IdempotencyGuard} over the Redis store, as several server instances would run
 * it: each instance its own Jedis client, store and guard, all on one Redis.
 */
class RedisGuardTest {
  private static final ResultCodec<String> TEXT = ResultCodec.utf8();

  private static final ResultCodec<byte[]> BYTES = ResultCodec.bytes();

  private static RedisDeployment deployment(String kind) {
    return kind.equals("cluster") ? RedisServerFixture.cluster() : RedisServerFixture.standalone();
  }

  private static IdempotencyGuard guard(UnifiedJedis client) {
    return IdempotencyGuard.builder()
        .store(RedisIdempotencyStore.builder(client).build())
        .namespace("orders")
        // Repeats wait for the first call and replay it, so every call ends with the one answer.
        .inProgressPolicy(InProgressPolicy.waitUpTo(Duration.ofSeconds(60)))
        .build();
  }

  /**
   * 32 threads over 4 instances run the same 48 keys; the script cache of every node is flushed
   * half way. Each key's business code runs exactly once and every call returns its answer.
   */
  @ParameterizedTest
  @ValueSource(strings = {"standalone", "cluster"})
  void thirtyTwoThreadsOnFourInstancesRunEachKeyOnce(String kind) throws Exception {
    RedisDeployment redis = deployment(kind);
    redis.flushAll();
    int threads = 32;
    int instances = 4;
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < 48; i++) keys.add(UUID.randomUUID().toString());
    List<UnifiedJedis> clients = new ArrayList<>();
    List<IdempotencyGuard> guards = new ArrayList<>();
    for (int i = 0; i < instances; i++) {
      clients.add(redis.newClient());
      guards.add(guard(clients.get(i)));
    }
    Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
    Map<String, Queue<String>> returned = new ConcurrentHashMap<>();
    CyclicBarrier halfway = new CyclicBarrier(threads + 1);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        IdempotencyGuard guard = guards.get(t % instances);
        List<String> order = new ArrayList<>(keys);
        Collections.shuffle(order, new Random(t));
        futures.add(pool.submit(() -> {
          for (int i = 0; i < order.size(); i++) {
            if (i == order.size() / 2) {
              halfway.await(); // the main thread flushes the script cache between these two
              halfway.await();
            }
            String key = order.get(i);
            String value = guard.execute(key, TEXT, () -> {
              runs.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
              return "ran " + key + " as " + UUID.randomUUID();
            });
            returned.computeIfAbsent(key, k -> new ConcurrentLinkedQueue<>()).add(value);
          }
          return null;
        }));
      }
      halfway.await(60, TimeUnit.SECONDS);
      long evalBefore = redis.commandCalls("eval");
      redis.scriptFlush();
      halfway.await(60, TimeUnit.SECONDS);
      for (Future<?> f : futures) f.get(120, TimeUnit.SECONDS);
      assertThat(redis.commandCalls("eval")).as("EVAL fallbacks after SCRIPT FLUSH").isGreaterThan(evalBefore);
    } finally {
      pool.shutdownNow();
      for (IdempotencyGuard g : guards) g.close();
      for (UnifiedJedis c : clients) c.close();
    }

    assertThat(runs.keySet()).containsExactlyInAnyOrderElementsOf(keys);
    assertThat(runs.values()).allSatisfy(n -> assertThat(n.get()).as("runs of one key").isEqualTo(1));
    for (String key : keys) {
      Queue<String> values = returned.get(key);
      assertThat(values).as(key).hasSize(threads);
      assertThat(values.stream().distinct()).as(key).hasSize(1);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"standalone", "cluster"})
  void aBinaryAnswerIsReplayedByteForByte(String kind) {
    RedisDeployment redis = deployment(kind);
    byte[] everyByte = new byte[256];
    for (int i = 0; i < everyByte.length; i++) everyByte[i] = (byte) i;
    try (UnifiedJedis client = redis.newClient(); IdempotencyGuard guard = guard(client)) {
      IdempotentCall call = IdempotentCall.of(UUID.randomUUID().toString());
      GuardedResult<byte[]> first = guard.executeDetailed(call, BYTES, everyByte::clone);
      GuardedResult<byte[]> replay = guard.executeDetailed(call, BYTES, () -> new byte[] {42});
      assertThat(first.replayed()).isFalse();
      assertThat(replay.replayed()).isTrue();
      assertThat(replay.value()).isEqualTo(everyByte);
    }
  }

  @Test
  void whileRedisIsDownNothingRunsAndWhenItIsBackTheSameGuardWorks() {
    AtomicInteger runs = new AtomicInteger();
    try (RedisServerProcess server = RedisServerFixture.newStandalone();
        UnifiedJedis client = server.newClient();
        IdempotencyGuard guard = guard(client)) {
      assertThat(guard.execute("before", TEXT, () -> "ran " + runs.incrementAndGet())).isEqualTo("ran 1");

      server.stop();
      assertThatThrownBy(() -> guard.execute("during", TEXT, () -> "ran " + runs.incrementAndGet()))
          .isInstanceOf(IdempotencyStoreUnavailableException.class);
      assertThatThrownBy(() -> guard.execute("before", TEXT, () -> "ran " + runs.incrementAndGet()))
          .isInstanceOf(IdempotencyStoreUnavailableException.class);
      assertThat(runs).as("nothing ran while Redis was down").hasValue(1);

      server.start(); // same port, empty (no persistence)
      assertThat(guard.execute("during", TEXT, () -> "ran " + runs.incrementAndGet())).isEqualTo("ran 2");
      assertThat(guard.execute("during", TEXT, () -> "ran " + runs.incrementAndGet())).isEqualTo("ran 2");
    }
  }
}
