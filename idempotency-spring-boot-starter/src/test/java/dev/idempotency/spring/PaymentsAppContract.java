package dev.idempotency.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.client.IdempotencyInterceptor;
import dev.idempotency.client.IdempotencyOutcome;
import dev.idempotency.client.IdempotentAction;
import dev.idempotency.contract.ProblemType;
import dev.idempotency.micrometer.IdempotencyMetrics;
import dev.idempotency.spring.app.PaymentsApp;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import okhttp3.Credentials;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * The contract's server table, row by row, over HTTP against a real Spring Boot application
 * ({@link PaymentsApp}) that has the starter and nothing else of idempotency; each subclass is one
 * store type and one application context. Effects are counted in the application.
 */
@SpringBootTest(
    classes = PaymentsApp.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "idempotency.namespace=payments",
      "idempotency.url-patterns=/payments/*,/payments",
      "idempotency.max-body-size=1KB",
      "management.endpoint.health.show-details=always",
      "management.endpoints.web.exposure.include=health"
    })
abstract class PaymentsAppContract {
  /** For the store types that need no database: the test application has a driver-less JDBC starter. */
  static final String NO_DATASOURCE =
      "spring.autoconfigure.exclude=org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration";

  static final MediaType JSON = MediaType.get("application/json");

  @LocalServerPort int port;
  @Autowired PaymentsApp.Effects effects;
  @Autowired PaymentsApp.Gate gate;
  @Autowired PaymentsApp.ExecutedEvents executedEvents;
  @Autowired MeterRegistry meters;

  final OkHttpClient raw = new OkHttpClient.Builder()
      .retryOnConnectionFailure(false)
      .readTimeout(20, TimeUnit.SECONDS)
      .build();

  /** The in-progress status the context is configured with. */
  int inProgressStatus() {
    return 409;
  }

  String url(String path) {
    return "http://127.0.0.1:" + port + path;
  }

  Request.Builder post(String key, String body) {
    Request.Builder b = new Request.Builder().url(url("/payments")).post(RequestBody.create(body, JSON));
    return key == null ? b : b.header("Idempotency-Key", key);
  }

  record Answer(int status, String body, String replayed, String retryAfter, String contentType, String location) {}

  Answer send(Request request) throws IOException {
    try (Response r = raw.newCall(request).execute()) {
      return new Answer(r.code(), r.body().string(), r.header("Idempotent-Replayed"), r.header("Retry-After"),
          r.header("Content-Type"), r.header("Location"));
    }
  }

  static String key() {
    return UUID.randomUUID().toString();
  }

  static void assertProblem(Answer a, ProblemType type, int status) {
    assertThat(a.status()).isEqualTo(status);
    assertThat(a.contentType()).startsWith(ProblemType.MEDIA_TYPE);
    assertThat(a.body()).contains(type.uri());
  }

  @Test
  void aFirstRequestRunsAndARepeatReplaysItsAnswer() throws IOException {
    String key = key();
    int before = effects.count();
    Answer first = send(post(key, "{\"order\":\"o-1\"}").build());
    assertThat(first.status()).isEqualTo(201);
    assertThat(first.replayed()).isNull();
    assertThat(first.location()).isEqualTo("/payments/" + (before + 1));
    assertThat(effects.count()).isEqualTo(before + 1);

    Answer repeat = send(post(key, "{\"order\":\"o-1\"}").build());
    assertThat(repeat.status()).isEqualTo(201);
    assertThat(repeat.replayed()).isEqualTo("true");
    assertThat(repeat.body()).isEqualTo(first.body());
    assertThat(repeat.contentType()).isEqualTo(first.contentType());
    assertThat(repeat.location()).isEqualTo(first.location());
    assertThat(effects.count()).isEqualTo(before + 1);
  }

  @Test
  void theSameKeyWithAnotherBodyIs422() throws IOException {
    String key = key();
    assertThat(send(post(key, "{\"order\":\"o-2\"}").build()).status()).isEqualTo(201);
    int before = effects.count();
    assertProblem(send(post(key, "{\"order\":\"o-3\"}").build()), ProblemType.KEY_REUSED, 422);
    assertThat(effects.count()).isEqualTo(before);
  }

  @Test
  void aRepeatWhileTheFirstRunsIsInProgressAndRunsNothing() throws Exception {
    String key = key();
    int before = effects.count();
    gate.arm();
    CompletableFuture<Answer> first = CompletableFuture.supplyAsync(() -> {
      try {
        return send(post(key, "{\"order\":\"o-4\"}").header("X-Hold", "1").build());
      } catch (IOException e) {
        throw new RuntimeException(e);
      }
    });
    gate.awaitEntered();
    Answer repeat = send(post(key, "{\"order\":\"o-4\"}").build());
    assertProblem(repeat, ProblemType.REQUEST_IN_PROGRESS, inProgressStatus());
    assertThat(Integer.parseInt(repeat.retryAfter())).isPositive();
    gate.open();
    assertThat(first.get(20, TimeUnit.SECONDS).status()).isEqualTo(201);
    assertThat(effects.count()).isEqualTo(before + 1);
    assertThat(send(post(key, "{\"order\":\"o-4\"}").build()).replayed()).isEqualTo("true");
  }

  @Test
  void postAndPatchWithoutAKeyAre400AndGetPassesUntouched() throws IOException {
    int before = effects.count();
    assertProblem(send(post(null, "{}").build()), ProblemType.KEY_MISSING, 400);
    assertProblem(send(new Request.Builder().url(url("/payments/1")).patch(RequestBody.create("{}", JSON)).build()),
        ProblemType.KEY_MISSING, 400);
    assertProblem(send(post("k".repeat(256), "{}").build()), ProblemType.KEY_INVALID, 400);
    assertThat(effects.count()).isEqualTo(before);

    Answer get = send(new Request.Builder().url(url("/payments/count")).build());
    assertThat(get.status()).isEqualTo(200);
    assertThat(get.body()).isEqualTo("{\"payments\":" + before + "}");
    assertThat(get.replayed()).isNull();
  }

  @Test
  void aBodyOverMaxBodySizeIs413() throws IOException {
    int before = effects.count();
    assertProblem(send(post(key(), "{\"order\":\"" + "x".repeat(1024) + "\"}").build()),
        ProblemType.REQUEST_TOO_LARGE, 413);
    assertThat(effects.count()).isEqualTo(before);
  }

  @Test
  void theScopeIsTheAuthenticatedPrincipal() throws IOException {
    String key = key();
    int before = effects.count();
    Answer alice = send(post(key, "{}").header("Authorization", Credentials.basic("alice", "alice-pw")).build());
    Answer bob = send(post(key, "{}").header("Authorization", Credentials.basic("bob", "bob-pw")).build());
    Answer anonymous = send(post(key, "{}").build());
    assertThat(alice.body()).contains("\"payer\":\"alice\"");
    assertThat(bob.body()).contains("\"payer\":\"bob\"");
    assertThat(anonymous.body()).contains("\"payer\":\"anonymous\"");
    assertThat(effects.count()).isEqualTo(before + 3);

    Answer aliceAgain = send(post(key, "{}").header("Authorization", Credentials.basic("alice", "alice-pw")).build());
    assertThat(aliceAgain.replayed()).isEqualTo("true");
    assertThat(aliceAgain.body()).isEqualTo(alice.body());
    assertThat(effects.count()).isEqualTo(before + 3);
  }

  @Test
  void theProjectsClientGetsAnAnswerAndAReplay() throws IOException {
    OkHttpClient client = raw.newBuilder().addInterceptor(IdempotencyInterceptor.builder().build()).build();
    int before = effects.count();
    Request pay = post(null, "{\"order\":\"o-5\"}")
        .tag(IdempotentAction.class, IdempotentAction.of("pay:o-5:" + key()))
        .build();
    try (Response r = client.newCall(pay).execute()) {
      assertThat(IdempotencyOutcome.of(r)).isInstanceOfSatisfying(IdempotencyOutcome.Succeeded.class,
          s -> assertThat(s.replayed()).isFalse());
    }
    // A key the caller set is sent as is: the second call is a repeat of the first.
    String key = key();
    for (boolean replayed : new boolean[] {false, true}) {
      try (Response r = client.newCall(post(key, "{\"order\":\"o-6\"}").build()).execute()) {
        assertThat(IdempotencyOutcome.of(r)).isInstanceOfSatisfying(IdempotencyOutcome.Succeeded.class,
            s -> assertThat(s.replayed()).isEqualTo(replayed));
      }
    }
    assertThat(effects.count()).isEqualTo(before + 2);
  }

  @Test
  void theMetersAndTheApplicationsListenerHearEachCall() throws IOException {
    double executed = calls("executed");
    double replayed = calls("replayed");
    double reused = calls("key_reused");
    int heard = executedEvents.count();
    String key = key();
    send(post(key, "{\"order\":\"o-7\"}").build());
    send(post(key, "{\"order\":\"o-7\"}").build());
    send(post(key, "{\"order\":\"o-7\"}").build());
    send(post(key, "{\"order\":\"other\"}").build());
    assertThat(calls("executed") - executed).isEqualTo(1);
    assertThat(calls("replayed") - replayed).isEqualTo(2);
    assertThat(calls("key_reused") - reused).isEqualTo(1);
    assertThat(executedEvents.count() - heard).isEqualTo(1);
    System.out.println(getClass().getSimpleName() + " idempotency.server.calls{namespace=payments} counts: " + meterReadings());
  }

  @Test
  void theStoreIsUp() throws IOException {
    Answer health = send(new Request.Builder().url(url("/actuator/health/idempotency")).build());
    assertThat(health.status()).isEqualTo(200);
    assertThat(health.body()).contains("\"status\":\"UP\"");
  }

  double calls(String outcome) {
    Timer timer = meters.find(IdempotencyMetrics.SERVER_CALLS)
        .tag(IdempotencyMetrics.NAMESPACE, "payments").tag(IdempotencyMetrics.OUTCOME, outcome).timer();
    return timer == null ? 0 : timer.count();
  }

  /** The meters' values now, for the log. */
  String meterReadings() {
    StringBuilder b = new StringBuilder();
    meters.find(IdempotencyMetrics.SERVER_CALLS).timers().stream()
        .filter(t -> t.count() > 0)
        .forEach(t -> b.append(t.getId().getTag(IdempotencyMetrics.OUTCOME)).append('=').append(t.count()).append(' '));
    return b.toString().strip();
  }
}
