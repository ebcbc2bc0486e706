package dev.idempotency.server.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.server.IdempotencyGuard;
import dev.idempotency.server.RecordingListener;
import dev.idempotency.server.ResultCodec;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.UnifiedJedis;

/**
 * The guard over a real Redis that goes away while the business code runs and comes back before
 * the lease ends: the result is stored when Redis is back, and the business code runs once.
 */
class RedisGuardOutageTest {
  private static final Duration LEASE = Duration.ofSeconds(5);
  private static final Duration DOWN_FOR = Duration.ofMillis(1_500);

  private static final ResultCodec<String> TEXT = ResultCodec.utf8();

  @Test
  void redisDownWhenTheResultIsStoredAndBackWithinTheLeaseStoresItAndTheRepeatIsAReplay() {
    RecordingListener listener = new RecordingListener();
    AtomicInteger runs = new AtomicInteger();
    AtomicLong stoppedAt = new AtomicLong();
    String key = UUID.randomUUID().toString();
    try (RedisServerProcess server = RedisServerFixture.newStandalone();
        UnifiedJedis client = server.newClient();
        IdempotencyGuard guard = IdempotencyGuard.builder()
            .store(RedisIdempotencyStore.builder(client).build())
            .namespace("payments")
            .leaseTtl(LEASE)
            .listener(listener)
            .build()) {
      String first = guard.execute(key, TEXT, () -> {
        runs.incrementAndGet();
        // Redis goes down after the business code started. The fixture's Redis keeps no data
        // across a restart; a snapshot taken now stands for a Redis that persists its data, so
        // the claim is still there, with its lease running, when it comes back.
        server.admin(jedis -> jedis.save());
        server.stop();
        stoppedAt.set(System.nanoTime());
        return "charged " + key;
      });
      assertThat(first).isEqualTo("charged " + key);
      assertThat(listener.events).as("the caller got its value while Redis was down").containsExactly("completeDeferred");

      sleep(DOWN_FOR);
      server.start();
      awaitTrue(() -> !listener.events.equals(List.of("completeDeferred")));
      assertThat(Duration.ofNanos(System.nanoTime() - stoppedAt.get())).as("stored within the lease").isLessThan(LEASE);
      assertThat(listener.events).containsExactly("completeDeferred", "completeRecovered", "executed");

      // Stored for the retention, not the lease.
      Set<String> keys = server.keys();
      assertThat(keys).hasSize(1);
      long pttl = server.admin(jedis -> jedis.pttl(keys.iterator().next()));
      assertThat(pttl).isGreaterThan(LEASE.toMillis());

      assertThat(guard.execute(key, TEXT, () -> "charged again " + runs.incrementAndGet())).isEqualTo(first);
      assertThat(runs).as("the business code ran once").hasValue(1);
      assertThat(listener.events).containsExactly("completeDeferred", "completeRecovered", "executed", "replayed");
    }
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  private static void awaitTrue(java.util.function.BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("condition not met in 30 s");
      sleep(Duration.ofMillis(5));
    }
  }
}
