package dev.idempotency.server.http;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.contract.FakeTime;
import dev.idempotency.contract.ProblemType;
import dev.idempotency.server.IdempotencyGuard;
import dev.idempotency.server.store.InMemoryIdempotencyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * One caller's flood of new keys through the HTTP layer, over a guard over the default in-memory
 * store: the incident of a victim whose payment ran twice after another caller sent 101,000 fresh
 * keys in 8 s. The store may not free the victim's record to make room, and the flooder may take
 * its own share of the store only.
 */
class ScopeFloodTest {
  private static final String VICTIM = "tenant-victim";
  private static final String FLOODER = "tenant-flooder";
  private static final String THIRD = "tenant-third";
  private static final String PAYMENT = "{\"amountCents\":1250}";
  private static final int FLOOD = 101_000;

  private final FakeTime time = new FakeTime();
  private final InMemoryIdempotencyStore store = InMemoryIdempotencyStore.builder().ticker(time).build();
  private final IdempotencyGuard guard =
      IdempotencyGuard.builder().store(store).namespace("payments").ticker(time).build();
  private final IdempotencyHttpLayer http = IdempotencyHttpLayer.builder(guard).build();
  // How often the payment code ran, per scope: the effect, not the answers.
  private final Map<String, AtomicInteger> payments = new ConcurrentHashMap<>();

  private final HttpBusinessHandler pay =
      (request, claim) -> {
        int n = payments.computeIfAbsent(request.scope(), s -> new AtomicInteger()).incrementAndGet();
        return new HttpResponseView(
            201,
            Map.of("Content-Type", List.of("application/json")),
            ("{\"payment\":" + n + "}").getBytes(UTF_8));
      };

  @AfterEach
  void close() {
    guard.close();
  }

  @Test
  void aFloodOfNewKeysFromOneScopeNeverEvictsAnotherScopesRecordAndShutsOutOnlyTheFlooder() throws Exception {
    HttpResponseView paid = http.handle(post("victim-key-K", VICTIM), pay);
    assertThat(paid.status()).isEqualTo(201);

    // 101,000 fresh keys from another scope, in 8.4 s by the clock.
    long floodStart = time.read();
    int created = 0;
    int refused = 0; // 503 with Retry-After: 1
    HttpResponseView firstRefusal = null;
    List<HttpResponseView> others = new ArrayList<>();
    for (int i = 0; i < FLOOD; i++) {
      if (i % 12 == 0) time.advance(Duration.ofMillis(1));
      HttpResponseView answer = http.handle(post("flood-" + i, FLOODER), pay);
      if (answer.status() == 201) {
        created++;
      } else if (answer.status() == 503 && answer.headerValues("Retry-After").equals(List.of("1"))) {
        if (firstRefusal == null) firstRefusal = answer;
        refused++;
      } else {
        others.add(answer);
      }
    }
    assertThat(Duration.ofNanos(time.read() - floodStart).toMillis()).isEqualTo((FLOOD + 11) / 12);

    // The victim's retry of K, within the retention: the stored answer; the payment ran once.
    HttpResponseView retry = http.handle(post("victim-key-K", VICTIM), pay);
    assertThat(retry.headerValues("Idempotent-Replayed")).as("the victim's retry is a replay").containsExactly("true");
    assertThat(retry.status()).isEqualTo(201);
    assertThat(retry.body()).isEqualTo(paid.body());
    assertThat(payments.get(VICTIM)).as("the victim's payment code ran").hasValue(1);

    // The flooder had its share (a tenth of the default 100,000 records), then 503s.
    assertThat(store.maximumSizePerScope()).isEqualTo(10_000);
    assertThat(created).isEqualTo(10_000);
    assertThat(refused).isEqualTo(FLOOD - 10_000);
    assertThat(payments.get(FLOODER)).hasValue(10_000);
    assertThat(others).isEmpty();
    IdempotencyHttpLayerTest.assertProblem(firstRefusal, 503, ProblemType.STORE_UNAVAILABLE);
    assertThat(new String(firstRefusal.body(), UTF_8)).contains("no room for a new key");

    // A third scope is untouched: fresh 201s, and its own replays.
    for (int i = 0; i < 3; i++) {
      HttpResponseView fresh = http.handle(post("third-" + i, THIRD), pay);
      assertThat(fresh.status()).isEqualTo(201);
      assertThat(fresh.headerValues("Idempotent-Replayed")).isEmpty();
    }
    assertThat(http.handle(post("third-0", THIRD), pay).headerValues("Idempotent-Replayed")).containsExactly("true");
    assertThat(payments.get(THIRD)).hasValue(3);
  }

  private static HttpRequestView post(String key, String scope) {
    return new HttpRequestView(
        "POST", "/payments", Map.of("Idempotency-Key", List.of(key)), PAYMENT.getBytes(UTF_8), scope);
  }
}
