package dev.idempotency.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.idempotency.contract.FakeTime;
import dev.idempotency.contract.InvalidIdempotencyKeyException;
import dev.idempotency.server.http.HttpBusinessHandler;
import dev.idempotency.server.http.HttpRequestView;
import dev.idempotency.server.http.HttpResponseView;
import dev.idempotency.server.http.IdempotencyHttpLayer;
import dev.idempotency.server.store.ClaimResult;
import dev.idempotency.server.store.IdempotencyStoreUnavailableException;
import dev.idempotency.server.store.InMemoryIdempotencyStore;
import dev.idempotency.server.store.RecordId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Contract v2, "secrets never become identifiers": a scope and keys that look like credentials,
 * and the owner tokens the guard makes, go through every path of the guard and of the HTTP layer.
 * No exception message (nor a cause's), no argument of a listener event, no log line of the guard
 * and no problem answer shows any of them verbatim.
 */
class NoSecretInMessagesTest {
  // Every secret of this test contains this; no text it collects may.
  private static final String SECRET = "tok_SECRET_";
  private static final String SCOPE = SECRET + "scope_5b0e8c1f9a7d2e4b";
  private static final String KEY = SECRET + "key_abc123def456";
  private static final String NS = "payments";

  private final FakeTime time = new FakeTime();
  private final InMemoryIdempotencyStore memory = InMemoryIdempotencyStore.builder().ticker(time).build();
  private final RecordingListener listener = new RecordingListener();
  // The owner tokens the guard sent to the store.
  private final Set<String> tokens = ConcurrentHashMap.newKeySet();
  private final ScriptedStore store =
      new ScriptedStore(memory) {
        @Override
        public ClaimResult claim(RecordId id, String fingerprint, String ownerToken, Duration leaseTtl) {
          tokens.add(ownerToken);
          return super.claim(id, fingerprint, ownerToken, leaseTtl);
        }
      };
  // What the exceptions thrown to callers show, and what the guard logged.
  private final List<String> thrown = new CopyOnWriteArrayList<>();
  private final List<String> logged = new CopyOnWriteArrayList<>();
  private final List<IdempotencyGuard> guards = new ArrayList<>();
  private final Logger julLogger = Logger.getLogger("dev.idempotency.server");
  private final Handler capture =
      new Handler() {
        @Override
        public void publish(LogRecord record) {
          logged.add(record.getLoggerName() + " " + record.getLevel() + " " + new SimpleFormatter().formatMessage(record));
          if (record.getThrown() != null) logged.addAll(RecordingListener.shownBy(record.getThrown()));
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
      };

  @BeforeEach
  void captureLogs() {
    julLogger.addHandler(capture);
  }

  @AfterEach
  void stop() {
    guards.forEach(IdempotencyGuard::close);
    julLogger.removeHandler(capture);
  }

  private IdempotencyGuard guard(IdempotencyGuardBuilder b) {
    IdempotencyGuard g = b.build();
    guards.add(g);
    return g;
  }

  private IdempotencyGuardBuilder builder() {
    return IdempotencyGuard.builder().store(store).namespace(NS).listener(listener).ticker(time).sleeper(d -> {});
  }

  private static IdempotentCall call(String path) {
    return IdempotentCall.of(KEY + "-" + path).withScope(SCOPE);
  }

  /** Runs {@code action}, which must throw; keeps what its exception shows. */
  private Throwable expectThrown(Runnable action) {
    Throwable t = catchThrowable(action::run);
    assertThat(t).as("an exception").isNotNull();
    thrown.addAll(RecordingListener.shownBy(t));
    return t;
  }

  @Test
  void noPathOfTheGuardShowsTheScopeAKeyOrAnOwnerToken() {
    IdempotencyGuard guard = guard(builder().storeFailuresWhen(e -> e instanceof IllegalArgumentException));

    // Fresh, replay, and the call and record ids themselves.
    assertThat(guard.execute(call("fresh"), String.class, () -> "paid")).isEqualTo("paid");
    assertThat(guard.executeDetailed(call("fresh"), ResultCodec.json(String.class), () -> "again").replayed()).isTrue();
    thrown.add(call("fresh").toString());
    thrown.add(new RecordId(NS, SCOPE, KEY).toString());

    // In progress: a repeat while the first runs.
    assertThat(guard.execute(call("running"), String.class, () -> {
      Throwable inProgress = expectThrown(() -> guard.execute(call("running"), String.class, () -> "twice"));
      assertThat(inProgress).isInstanceOf(IdempotencyInProgressException.class);
      return "once";
    })).isEqualTo("once");

    // The key reused for another request; a malformed key.
    assertThat(expectThrown(() -> guard.execute(call("fresh").withFingerprint("another request"), String.class, () -> "x")))
        .isInstanceOf(IdempotencyKeyReusedException.class);
    assertThat(expectThrown(() -> guard.execute(call("has a space"), String.class, () -> "x")))
        .isInstanceOf(InvalidIdempotencyKeyException.class);

    // The store down when claiming: fail closed (its own exception, and a foreign one), then open.
    store.failClaim = new IdempotencyStoreUnavailableException("connection refused");
    assertThat(expectThrown(() -> guard.execute(call("outage"), String.class, () -> "x")))
        .isInstanceOf(IdempotencyStoreUnavailableException.class);
    store.failClaim = new IllegalStateException("pool exhausted");
    assertThat(expectThrown(() -> guard.execute(call("outage"), String.class, () -> "x")))
        .isInstanceOf(IdempotencyStoreUnavailableException.class);
    IdempotencyGuard failOpen = guard(builder().failOpen(true));
    assertThat(failOpen.execute(call("outage"), String.class, () -> "unguarded")).isEqualTo("unguarded");
    store.failClaim = null;

    // A failure released (and a release that fails), a failure stored and replayed.
    expectThrown(() -> guard.execute(call("failed"), String.class, () -> {
      throw new IllegalStateException("card network down");
    }));
    store.failRelease = new IdempotencyStoreUnavailableException("connection reset");
    expectThrown(() -> guard.execute(call("release-fails"), String.class, () -> {
      throw new IllegalStateException("card network down");
    }));
    store.failRelease = null;
    expectThrown(() -> guard.execute(call("declined"), String.class, () -> {
      throw new IllegalArgumentException("card declined");
    }));
    assertThat(expectThrown(() -> guard.execute(call("declined"), String.class, () -> "x")))
        .isInstanceOf(IdempotencyStoredFailureException.class);

    // A deferred completion that recovers...
    store.failComplete = new IdempotencyStoreUnavailableException("OOM command not allowed");
    assertThat(guard.execute(call("deferred-recovers"), String.class, () -> "v")).isEqualTo("v");
    store.failComplete = null;
    IdempotencyGuardTest.awaitTrue(() -> listener.count("completeRecovered") == 1);
    // ...one that fails when the lease runs out...
    store.failComplete = new IdempotencyStoreUnavailableException("OOM command not allowed");
    store.failRenew = new IdempotencyStoreUnavailableException("OOM command not allowed");
    assertThat(guard.execute(call("deferred-fails"), String.class, () -> "v")).isEqualTo("v");
    int completes = store.completes.get();
    IdempotencyGuardTest.awaitTrue(() -> store.completes.get() >= completes + 1); // tried in the background
    time.advance(IdempotencyGuard.DEFAULT_LEASE_TTL);
    IdempotencyGuardTest.awaitTrue(() -> listener.count("completeFailed") == 1);
    // ...and one still pending when its guard closes.
    IdempotencyGuard closing = guard(builder());
    assertThat(closing.execute(call("pending-at-close"), String.class, () -> "v")).isEqualTo("v");
    closing.close();
    assertThat(listener.count("completeFailed")).isEqualTo(2);
    store.failComplete = null;
    store.failRenew = null;

    // Leases: renewed, a renewal failing, the lease lost to a new owner.
    IdempotencyGuard renewing = guard(builder().leaseTtl(Duration.ofMillis(300)));
    renewing.execute(call("slow"), String.class, () -> {
      time.advance(Duration.ofMillis(100)); // a renewal period
      IdempotencyGuardTest.awaitTrue(() -> listener.count("leaseRenewed") >= 1);
      store.failRenew = new IdempotencyStoreUnavailableException("timeout");
      time.advance(Duration.ofMillis(100));
      IdempotencyGuardTest.awaitTrue(() -> listener.count("renewFailed") >= 1);
      store.failRenew = null;
      return "slow";
    });
    renewing.execute(call("taken-over"), String.class, () -> {
      time.advance(Duration.ofMillis(300));
      tokens.add(SECRET + "thief");
      memory.claim(new RecordId(NS, SCOPE, KEY + "-taken-over"), "", SECRET + "thief", Duration.ofMinutes(1));
      IdempotencyGuardTest.awaitTrue(() -> listener.count("leaseLost") >= 1);
      return "stale";
    });

    // A listener and a failure policy that throw: the guard logs them.
    IdempotencyGuard logging = guard(builder()
        .storeFailuresWhen(e -> {
          throw new IllegalStateException("policy bug");
        })
        .listener(new IdempotencyListener() {
          @Override
          public void executed(RecordId id) {
            throw new IllegalStateException("listener bug");
          }
        }));
    logging.execute(call("logged"), String.class, () -> "v");
    expectThrown(() -> logging.execute(call("logged-failure"), String.class, () -> {
      throw new IllegalArgumentException("declined");
    }));

    // Every path was taken, so none of the checks below is vacuous.
    assertThat(listener.events).contains(
        "executed", "replayed", "inProgress", "keyReused", "storeUnavailable:false", "storeUnavailable:true",
        "releaseFailed", "failureStored:IllegalArgumentException", "completeDeferred", "completeRecovered",
        "completeFailed", "leaseRenewed", "renewFailed", "leaseLost");
    assertThat(logged).anySatisfy(l -> assertThat(l).contains("listener bug"));
    assertThat(logged).anySatisfy(l -> assertThat(l).contains("policy bug"));
    assertThat(tokens).hasSizeGreaterThan(10);

    List<String> everything = new ArrayList<>();
    everything.addAll(listener.shown);
    everything.addAll(thrown);
    everything.addAll(logged);
    assertThat(everything).allSatisfy(text -> {
      assertThat(text).doesNotContain(SECRET);
      for (String token : tokens) assertThat(text).doesNotContain(token);
    });
    // The record ids of the events read as digests of the scope and the key.
    assertThat(listener.shown).anySatisfy(text -> assertThat(text).startsWith("RecordId[namespace=payments, scope=sha256:"));
  }

  /** The form the Javadoc and the README show, exactly. */
  @Test
  void aRecordIdPrintsTheNamespaceAndDigestsOfTheScopeAndTheKey() {
    assertThat(new RecordId("payments", "alice", "order-42"))
        .hasToString("RecordId[namespace=payments, scope=sha256:K9gGyX8O, key=sha256:O_ixV8Qj]");
    assertThat(new RecordId("payments", "", "order-42"))
        .hasToString("RecordId[namespace=payments, scope=\"\", key=sha256:O_ixV8Qj]");
    assertThat(IdempotentCall.of("order-42").withScope("alice"))
        .hasToString("IdempotentCall[key=sha256:O_ixV8Qj, scope=sha256:K9gGyX8O, fingerprint=\"\"]");
  }

  @Test
  void noAnswerOfTheHttpLayerShowsTheScopeOrTheKey() throws Exception {
    InMemoryIdempotencyStore small = InMemoryIdempotencyStore.builder().ticker(time).maximumSize(10)
        .maximumSizePerScope(3).build();
    ScriptedStore scripted = new ScriptedStore(small);
    IdempotencyHttpLayer http = IdempotencyHttpLayer.builder(guard(builder().store(scripted)))
        .maxBodyBytes(64).build();
    List<HttpResponseView> answers = new ArrayList<>();
    HttpBusinessHandler business = (request, claim) -> new HttpResponseView(
        201, Map.of("Content-Type", List.of("application/json")), "{\"ok\":true}".getBytes(UTF_8));

    answers.add(http.handle(request(null, "{}"), business)); // 400: key missing
    answers.add(http.handle(request(KEY + " x", "{}"), business)); // 400: key invalid
    answers.add(http.handle(request(KEY, "x".repeat(65)), business)); // 413
    answers.add(http.handle(request(KEY, "{}"), business)); // 201
    answers.add(http.handle(request(KEY, "{}"), business)); // the replay
    answers.add(http.handle(request(KEY, "{\"other\":1}"), business)); // 422
    answers.add(http.handle(request(KEY + "-running", "{}"), (r, claim) -> { // 409 inside the first
      answers.add(http.handle(request(KEY + "-running", "{}"), business));
      return business.handle(r, claim);
    }));
    answers.add(http.handle(request(KEY + "-3", "{}"), business)); // the scope's third record
    answers.add(http.handle(request(KEY + "-4", "{}"), business)); // 503: the scope's share is full
    scripted.failClaim = new IdempotencyStoreUnavailableException("connection refused");
    answers.add(http.handle(request(KEY + "-5", "{}"), business)); // 503: the store is down

    assertThat(answers).extracting(HttpResponseView::status)
        .containsExactly(400, 400, 413, 201, 201, 422, 409, 201, 201, 503, 503);
    for (HttpResponseView answer : answers) {
      assertThat(new String(answer.body(), UTF_8)).doesNotContain(SECRET);
      assertThat(answer.headers().toString()).doesNotContain(SECRET);
    }
    assertThat(request(KEY, "{}").toString()).doesNotContain(SECRET);
  }

  private static HttpRequestView request(String key, String body) {
    Map<String, List<String>> headers = key == null ? Map.of() : Map.of("Idempotency-Key", List.of(key));
    return new HttpRequestView("POST", "/payments", headers, body.getBytes(UTF_8), SCOPE);
  }
}
