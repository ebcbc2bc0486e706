package dev.idempotency.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.contract.FakeTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import mockwebserver3.SocketEffect;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Many threads run many actions at once through one client, against a server that fails some
 * first attempts in each way the contract knows. Every action must send one key, on every
 * automatic and manual retry, and no two actions may share a key.
 */
class ConcurrentActionsTest {
  private static final int THREADS = 16;
  private static final int ACTIONS = 200;

  private final Map<String, Set<String>> keysPerAction = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> attemptsPerKey = new ConcurrentHashMap<>();
  private MockWebServer server;

  @BeforeEach
  void setUp() throws Exception {
    server = new MockWebServer();
    server.setDispatcher(new Dispatcher() {
      @Override
      public MockResponse dispatch(RecordedRequest request) {
        String action = request.getUrl().queryParameter("action");
        String key = request.getHeaders().get("Idempotency-Key");
        keysPerAction.computeIfAbsent(action, a -> ConcurrentHashMap.newKeySet()).add(String.valueOf(key));
        int attempt = attemptsPerKey.computeIfAbsent(String.valueOf(key), k -> new AtomicInteger())
            .incrementAndGet();
        if (attempt > 1) {
          return new MockResponse.Builder().code(201).addHeader("Idempotent-Replayed", "true").build();
        }
        switch (Integer.parseInt(action) % 4) {
          case 0:
            return new MockResponse.Builder().code(503).addHeader("Retry-After", "1").build();
          case 1: // ran, but the answer is lost
            return new MockResponse.Builder().onResponseStart(new SocketEffect.CloseSocket()).build();
          case 2: // still running: the caller tries the action again later
            return new MockResponse.Builder().code(409).addHeader("Retry-After", "1").build();
          default:
            return new MockResponse.Builder().code(201).build();
        }
      }
    });
    server.start();
  }

  @AfterEach
  void tearDown() {
    server.close();
  }

  @Test
  void everyActionKeepsItsOwnSingleKey() throws Exception {
    FakeTime time = new FakeTime();
    RecordingCounts counts = new RecordingCounts();
    IdempotencyInterceptor interceptor = IdempotencyInterceptor.builder()
        .registry(IdempotencyKeyRegistry.builder().clock(time.clock()).build())
        .retryPolicy(RetryPolicy.builder().budgetTokens(100_000).build())
        .ticker(time)
        .sleeper(time)
        .clock(time.clock())
        .listener(counts)
        .build();
    OkHttpClient client = new OkHttpClient.Builder().addInterceptor(interceptor).build();

    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    List<Future<IdempotencyOutcome>> outcomes = new ArrayList<>();
    CountDownLatch start = new CountDownLatch(1);
    try {
      for (int i = 0; i < ACTIONS; i++) {
        IdempotentAction action = IdempotentAction.of(Integer.toString(i));
        outcomes.add(pool.submit(() -> {
          start.await();
          return runUntilEnded(client, action);
        }));
      }
      start.countDown();
      for (Future<IdempotencyOutcome> f : outcomes) {
        assertThat(f.get(30, TimeUnit.SECONDS)).isInstanceOf(IdempotencyOutcome.Succeeded.class);
      }
    } finally {
      pool.shutdownNow();
    }

    assertThat(keysPerAction).hasSize(ACTIONS);
    assertThat(keysPerAction.values()).allSatisfy(keys -> assertThat(keys).hasSize(1));
    assertThat(attemptsPerKey).as("no two actions share a key").hasSize(ACTIONS);
    for (Map.Entry<String, Set<String>> e : keysPerAction.entrySet()) {
      int kind = Integer.parseInt(e.getKey()) % 4;
      int attempts = attemptsPerKey.get(e.getValue().iterator().next()).get();
      assertThat(attempts).as("action " + e.getKey()).isEqualTo(kind == 3 ? 1 : 2);
    }
    assertThat(counts.created.get()).isEqualTo(ACTIONS);
    assertThat(counts.reused.get()).as("each in-progress action tried again once").isEqualTo(ACTIONS / 4);
    assertThat(counts.forgotten.get()).isEqualTo(ACTIONS);
  }

  /** What an application does: tries the action again while it is in progress. */
  private IdempotencyOutcome runUntilEnded(OkHttpClient client, IdempotentAction action) throws Exception {
    for (int tries = 0; tries < 5; tries++) {
      Request request = new Request.Builder()
          .url(server.url("/pay").newBuilder().addQueryParameter("action", action.name()).build())
          .post(RequestBody.create("{\"action\":\"" + action.name() + "\"}", MediaType.get("application/json")))
          .tag(IdempotentAction.class, action)
          .build();
      try (Response response = client.newCall(request).execute()) {
        IdempotencyOutcome outcome = IdempotencyOutcome.of(response);
        if (!(outcome instanceof IdempotencyOutcome.InProgress)) return outcome;
      }
    }
    throw new AssertionError("action " + action.name() + " never ended");
  }

  private static final class RecordingCounts implements IdempotencyListener {
    final AtomicInteger created = new AtomicInteger();
    final AtomicInteger reused = new AtomicInteger();
    final AtomicInteger forgotten = new AtomicInteger();

    @Override
    public void keyCreated(IdempotentAction action, dev.idempotency.contract.IdempotencyKey key) {
      created.incrementAndGet();
    }

    @Override
    public void keyReused(IdempotentAction action, dev.idempotency.contract.IdempotencyKey key) {
      reused.incrementAndGet();
    }

    @Override
    public void keyForgotten(IdempotentAction action, dev.idempotency.contract.IdempotencyKey key) {
      forgotten.incrementAndGet();
    }
  }
}
