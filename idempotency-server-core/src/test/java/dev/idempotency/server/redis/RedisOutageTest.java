package dev.idempotency.server.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idempotency.server.store.ClaimResult;
import dev.idempotency.server.store.IdempotencyStoreUnavailableException;
import dev.idempotency.server.store.RecordId;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.exceptions.JedisException;

/** Redis goes away and comes back on the same port: the store fails closed, then works again. */
class RedisOutageTest {
  private static final Duration LEASE = Duration.ofSeconds(30);
  private static final Duration RETENTION = Duration.ofMinutes(10);

  private RedisServerProcess server;
  private RedisClient client;
  private RedisIdempotencyStore store;
  private final AtomicInteger executions = new AtomicInteger();

  @BeforeEach
  void setUp() {
    server = RedisServerFixture.newStandalone();
    client = server.newClient();
    store = RedisIdempotencyStore.builder(client).build();
  }

  @AfterEach
  void tearDown() {
    client.close();
    server.close();
  }

  private static RecordId id(String key) {
    return new RecordId("payments", "", key);
  }

  /** What a guard does with the store: run the work only when the claim is acquired. */
  private String execute(String key) {
    RecordId id = id(key);
    ClaimResult claim = store.claim(id, "fp", "token-" + key, LEASE);
    if (claim instanceof ClaimResult.Completed completed) {
      return new String(completed.result(), StandardCharsets.UTF_8);
    }
    assertThat(claim).isInstanceOf(ClaimResult.Acquired.class);
    executions.incrementAndGet();
    String answer = "answer " + key;
    store.complete(id, "token-" + key, answer.getBytes(StandardCharsets.UTF_8), RETENTION);
    return answer;
  }

  @Test
  void whileRedisIsDownEveryOperationIsUnavailableAndNothingRuns() {
    assertThat(execute("before")).isEqualTo("answer before");
    store.claim(id("held"), "fp", "holder", LEASE);
    assertThat(executions).hasValue(1);

    server.kill();

    assertThatThrownBy(() -> execute("during"))
        .isInstanceOf(IdempotencyStoreUnavailableException.class)
        .hasCauseInstanceOf(JedisException.class);
    assertThatThrownBy(() -> execute("before")).isInstanceOf(IdempotencyStoreUnavailableException.class);
    assertThatThrownBy(() -> store.complete(id("held"), "holder", new byte[] {1}, RETENTION))
        .isInstanceOf(IdempotencyStoreUnavailableException.class);
    assertThatThrownBy(() -> store.renew(id("held"), "holder", LEASE))
        .isInstanceOf(IdempotencyStoreUnavailableException.class);
    assertThatThrownBy(() -> store.release(id("held"), "holder"))
        .isInstanceOf(IdempotencyStoreUnavailableException.class);
    assertThat(executions).as("nothing ran while Redis was down").hasValue(1);
  }

  @Test
  void whenRedisIsBackTheSameStoreWorksAgain() throws Exception {
    // Several threads first, so the client's pool holds several connections that the outage breaks.
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<String>> warm = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        String key = "warm-" + i;
        warm.add(pool.submit(() -> execute(key)));
      }
      for (Future<String> f : warm) f.get(30, TimeUnit.SECONDS);
    } finally {
      pool.shutdownNow();
    }
    server.stop();
    assertThatThrownBy(() -> execute("during")).isInstanceOf(IdempotencyStoreUnavailableException.class);

    int port = server.port();
    server.start();
    assertThat(server.port()).isEqualTo(port);
    int failedAfterRestart = 0;
    for (int i = 0; i < 20; i++) {
      try {
        assertThat(execute("after-" + i)).isEqualTo("answer after-" + i);
      } catch (IdempotencyStoreUnavailableException e) {
        failedAfterRestart++;
      }
    }
    // The pool's idle connections from before the restart are broken: the store drops them on
    // the first failure and retries on a fresh one, so not even the first call fails.
    assertThat(failedAfterRestart).as("calls failed after Redis came back").isZero();
    assertThat(execute("after-0")).as("a replay after recovery").isEqualTo("answer after-0");
  }
}
