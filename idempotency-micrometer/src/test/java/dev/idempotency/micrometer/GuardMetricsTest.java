package dev.idempotency.micrometer;

import static dev.idempotency.micrometer.Readings.awaitTrue;
import static dev.idempotency.micrometer.Readings.id;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idempotency.contract.FakeTime;
import dev.idempotency.server.CallOutcome;
import dev.idempotency.server.IdempotencyGuard;
import dev.idempotency.server.IdempotencyGuardBuilder;
import dev.idempotency.server.IdempotencyInProgressException;
import dev.idempotency.server.IdempotencyKeyReusedException;
import dev.idempotency.server.IdempotentCall;
import dev.idempotency.server.ResultCodec;
import dev.idempotency.server.ScriptedStore;
import dev.idempotency.server.StorePolicy;
import dev.idempotency.server.store.IdempotencyCapacityExceededException;
import dev.idempotency.server.store.IdempotencyStore;
import dev.idempotency.server.store.IdempotencyStoreUnavailableException;
import dev.idempotency.server.store.InMemoryIdempotencyStore;
import dev.idempotency.server.store.RecordId;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A real guard over the memory store, driven through every outcome and every step the metrics
 * count, with one metrics listener; then every meter is read and compared exactly. Time is a
 * {@link FakeTime}, so the timers' totals are exact too.
 */
class GuardMetricsTest {
  // Every key and scope holds "secret": no tag value may.
  static final String SCOPE = "alice-secret";

  final FakeTime time = new FakeTime();
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  final GuardMetrics metrics = GuardMetrics.of(registry);
  final List<IdempotencyGuard> guards = new ArrayList<>();

  @AfterEach
  void closeGuards() {
    guards.forEach(IdempotencyGuard::close);
  }

  InMemoryIdempotencyStore.Builder memory() {
    return InMemoryIdempotencyStore.builder().ticker(time);
  }

  IdempotencyGuard guard(IdempotencyStore store, String namespace, java.util.function.UnaryOperator<IdempotencyGuardBuilder> more) {
    IdempotencyGuard g = more.apply(IdempotencyGuard.builder()
        .store(store).namespace(namespace).listener(metrics).ticker(time).sleeper(time)).build();
    guards.add(g);
    return g;
  }

  static IdempotentCall call(String key) {
    return IdempotentCall.of(key).withScope(SCOPE);
  }

  static final class CardDeclinedException extends RuntimeException {
    CardDeclinedException() {
      super("declined");
    }
  }

  @Test
  void everyOutcomeAndStepIsCountedExactlyAndTimedByTheGuardsTicker() {
    InMemoryIdempotencyStore paymentsMemory = memory().build();
    ScriptedStore store = new ScriptedStore(paymentsMemory);
    IdempotencyGuard payments = guard(store, "payments",
        b -> b.storeFailuresWhen(e -> e instanceof CardDeclinedException));

    // executed, timed: the work takes 120 ms by the guard's ticker.
    payments.execute(call("order-secret-1"), String.class, () -> {
      time.advance(Duration.ofMillis(120));
      return "receipt 1";
    });
    // replayed.
    assertThat(payments.execute(call("order-secret-1"), String.class, () -> "again")).isEqualTo("receipt 1");
    // key reused: the same key with another fingerprint.
    assertThatThrownBy(() -> payments.execute(call("order-secret-1").withFingerprint("another body"),
        String.class, () -> "x")).isInstanceOf(IdempotencyKeyReusedException.class);
    // in progress: a repeat while the first runs (nested on this thread: the claim is held), then executed.
    payments.execute(call("order-secret-2"), String.class, () -> {
      assertThatThrownBy(() -> payments.execute(call("order-secret-2"), String.class, () -> "twice"))
          .isInstanceOf(IdempotencyInProgressException.class);
      return "receipt 2";
    });
    // failed: the work throws, the claim is released.
    assertThatThrownBy(() -> payments.execute(call("order-secret-3"), String.class, () -> {
      throw new IllegalStateException("bug");
    })).isInstanceOf(IllegalStateException.class);
    // failure stored: the policy stores this failure.
    assertThatThrownBy(() -> payments.execute(call("order-secret-4"), String.class, () -> {
      throw new CardDeclinedException();
    })).isInstanceOf(CardDeclinedException.class);
    // executed, not stored: the store policy rejects the result (an HTTP 5xx, say).
    assertThat(guardedRun(payments, "order-secret-5")).isEqualTo("503");
    // store unavailable: the claim fails; fail closed.
    store.failClaim = new IdempotencyStoreUnavailableException("connection refused");
    assertThatThrownBy(() -> payments.execute(call("order-secret-6"), String.class, () -> "x"))
        .isInstanceOf(IdempotencyStoreUnavailableException.class);
    store.failClaim = null;
    // release failed: the work throws and the release fails too.
    store.failRelease = new IdempotencyStoreUnavailableException("connection reset");
    assertThatThrownBy(() -> payments.execute(call("order-secret-7"), String.class, () -> {
      throw new IllegalArgumentException("bad input");
    })).isInstanceOf(IllegalArgumentException.class);
    store.failRelease = null;
    // lease lost: the lease runs out under the work and another caller takes the key over.
    payments.execute(call("order-secret-8"), String.class, () -> {
      time.advance(Duration.ofSeconds(31));
      paymentsMemory.claim(new RecordId("payments", SCOPE, "order-secret-8"), "", "thief", Duration.ofMinutes(1));
      return "stale";
    });
    awaitTrue(() -> registry.get(IdempotencyMetrics.SERVER_LEASE_LOST).counter().count() == 1);

    // ran unguarded: a fail-open guard whose store cannot answer.
    ScriptedStore down = new ScriptedStore(memory().build());
    down.failClaim = new IdempotencyStoreUnavailableException("connection refused");
    IdempotencyGuard failOpen = guard(down, "payments", b -> b.failOpen(true));
    assertThat(failOpen.execute(call("order-secret-9"), String.class, () -> "unguarded")).isEqualTo("unguarded");

    // renewal failed: one renewal of a running call fails, the next succeeds.
    ScriptedStore renewOnce = new ScriptedStore(memory().build());
    renewOnce.renewalsToFail.set(1);
    IdempotencyGuard shortLease = guard(renewOnce, "payments", b -> b.leaseTtl(Duration.ofMillis(300)));
    shortLease.execute(call("order-secret-10"), String.class, () -> {
      time.advance(Duration.ofMillis(150)); // a renewal is due after 100 ms
      awaitTrue(() -> registry.get(IdempotencyMetrics.SERVER_LEASE_RENEWAL_FAILED).counter().count() == 1);
      return "slow";
    });

    // capacity exceeded, in a second namespace: a store with room for one record.
    IdempotencyGuard orders = guard(memory().maximumSize(1).maximumSizePerScope(1).build(), "orders", b -> b);
    orders.execute(call("order-secret-11"), String.class, () -> "order 11");
    assertThatThrownBy(() -> orders.execute(call("order-secret-12"), String.class, () -> "x"))
        .isInstanceOf(IdempotencyCapacityExceededException.class);

    // deferred completion, then recovered: storing fails in line (50 ms and 200 ms pauses), then
    // succeeds in the background once the store is back.
    store.failComplete = new IdempotencyStoreUnavailableException("connection reset");
    assertThat(payments.execute(call("order-secret-13"), String.class, () -> "receipt 13")).isEqualTo("receipt 13");
    store.failComplete = null;
    awaitTrue(() -> registry.get(IdempotencyMetrics.SERVER_COMPLETION_RECOVERED).counter().count() == 1);
    // deferred completion, then failed: the store stays down until the guard closes.
    store.failComplete = new IdempotencyStoreUnavailableException("connection reset");
    assertThat(payments.execute(call("order-secret-14"), String.class, () -> "receipt 14")).isEqualTo("receipt 14");
    payments.close(); // the last try fails: completeFailed, on this thread

    Map<String, Double> expected = zeros("payments", "orders");
    expected.put(calls("payments", CallOutcome.EXECUTED), 5.0); // 1, 2, 10, 13, 14
    expected.put(calls("payments", CallOutcome.LEASE_LOST), 1.0); // 8: ran, its result not stored
    expected.put(calls("payments", CallOutcome.REPLAYED), 1.0);
    expected.put(calls("payments", CallOutcome.KEY_REUSED), 1.0);
    expected.put(calls("payments", CallOutcome.IN_PROGRESS), 1.0);
    expected.put(calls("payments", CallOutcome.FAILED), 2.0); // 3, 7
    expected.put(calls("payments", CallOutcome.FAILURE_STORED), 1.0);
    expected.put(calls("payments", CallOutcome.EXECUTED_NOT_STORED), 1.0);
    expected.put(calls("payments", CallOutcome.STORE_UNAVAILABLE), 1.0);
    expected.put(calls("payments", CallOutcome.RAN_UNGUARDED), 1.0);
    expected.put(calls("orders", CallOutcome.EXECUTED), 1.0);
    expected.put(calls("orders", CallOutcome.CAPACITY_EXCEEDED), 1.0);
    expected.put(id(IdempotencyMetrics.SERVER_LEASE_LOST, "namespace", "payments"), 1.0);
    expected.put(id(IdempotencyMetrics.SERVER_LEASE_RENEWAL_FAILED, "namespace", "payments"), 1.0);
    expected.put(id(IdempotencyMetrics.SERVER_RELEASE_FAILED, "namespace", "payments"), 1.0);
    expected.put(id(IdempotencyMetrics.SERVER_COMPLETION_DEFERRED, "namespace", "payments"), 2.0);
    expected.put(id(IdempotencyMetrics.SERVER_COMPLETION_RECOVERED, "namespace", "payments"), 1.0);
    expected.put(id(IdempotencyMetrics.SERVER_COMPLETION_FAILED, "namespace", "payments"), 1.0);
    Map<String, Double> counts = Readings.counts(registry);
    System.out.println("meters after the guard scenario:");
    counts.forEach((k, v) -> System.out.println("  " + k + " = " + v));
    assertThat(counts).isEqualTo(expected);

    // Executed calls took 120 ms (1), 31 s (8), 150 ms (10) and 250 ms of in-line pauses each
    // while storing failed (13, 14); a failed one 250 ms of pauses while releasing failed (7).
    Map<String, Double> expectedNanos = new TreeMap<>();
    expected.keySet().stream().filter(k -> k.startsWith(IdempotencyMetrics.SERVER_CALLS + "{"))
        .forEach(k -> expectedNanos.put(k, 0.0));
    expectedNanos.put(calls("payments", CallOutcome.EXECUTED), nanos(120 + 150 + 250 + 250));
    expectedNanos.put(calls("payments", CallOutcome.LEASE_LOST), nanos(31_000));
    expectedNanos.put(calls("payments", CallOutcome.FAILED), nanos(250));
    Map<String, Double> totals = Readings.totalNanos(registry);
    System.out.println("timer totals, seconds:");
    totals.forEach((k, v) -> { if (v > 0) System.out.println("  " + k + " = " + v / 1e9); });
    assertThat(totals).isEqualTo(expectedNanos);
    assertThat(Readings.tagValues(registry)).noneMatch(v -> v.contains("secret"));
  }

  static double nanos(long millis) {
    return Duration.ofMillis(millis).toNanos();
  }

  /** A call whose store policy rejects its result, as the HTTP layer rejects a 5xx. */
  private static String guardedRun(IdempotencyGuard guard, String key) {
    try {
      return guard.run(call(key), ResultCodec.utf8(), StorePolicy.storeResultsWhen(r -> !r.startsWith("5")),
          claim -> "503").value();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static String calls(String namespace, CallOutcome outcome) {
    return id(IdempotencyMetrics.SERVER_CALLS, "namespace", namespace, "outcome", outcome.name().toLowerCase(Locale.ROOT));
  }

  /** Every meter of the namespaces at zero: what a namespace registers the first time it is seen. */
  static Map<String, Double> zeros(String... namespaces) {
    Map<String, Double> zeros = new TreeMap<>();
    for (String ns : namespaces) {
      for (CallOutcome outcome : CallOutcome.values()) zeros.put(calls(ns, outcome), 0.0);
      for (String name : List.of(IdempotencyMetrics.SERVER_LEASE_LOST, IdempotencyMetrics.SERVER_LEASE_RENEWAL_FAILED,
          IdempotencyMetrics.SERVER_COMPLETION_DEFERRED, IdempotencyMetrics.SERVER_COMPLETION_RECOVERED,
          IdempotencyMetrics.SERVER_COMPLETION_FAILED, IdempotencyMetrics.SERVER_RELEASE_FAILED)) {
        zeros.put(id(name, "namespace", ns), 0.0);
      }
    }
    return zeros;
  }

  @Test
  void aNamespaceGetsAllItsMetersAtZeroTheFirstTimeItIsHeardOf() {
    IdempotencyGuard guard = guard(memory().build(), "payments", b -> b);
    assertThat(registry.getMeters()).isEmpty();

    guard.execute(call("order-secret-1"), String.class, () -> "r");

    Map<String, Double> expected = zeros("payments");
    expected.put(calls("payments", CallOutcome.EXECUTED), 1.0);
    assertThat(Readings.counts(registry)).isEqualTo(expected);
  }

  @Test
  void extraTagsGoOnEveryMeter() {
    GuardMetrics tagged = GuardMetrics.of(registry, Tags.of("application", "shop"));
    tagged.callEnded(new RecordId("payments", SCOPE, "order-secret-1"), CallOutcome.REPLAYED, Duration.ofMillis(3));

    assertThat(registry.getMeters()).hasSize(CallOutcome.values().length + 6)
        .allSatisfy(m -> assertThat(m.getId().getTag("application")).isEqualTo("shop"));
    assertThat(registry.get(IdempotencyMetrics.SERVER_CALLS).tags("outcome", "replayed", "namespace", "payments")
        .timer().count()).isEqualTo(1);
  }

  @Test
  void argumentsAreCheckedByName() {
    assertThatThrownBy(() -> GuardMetrics.of(null))
        .isInstanceOf(NullPointerException.class).hasMessage("registry");
    assertThatThrownBy(() -> GuardMetrics.of(registry, null))
        .isInstanceOf(NullPointerException.class).hasMessage("tags");
  }
}
