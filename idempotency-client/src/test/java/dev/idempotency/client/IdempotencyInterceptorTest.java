package dev.idempotency.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idempotency.client.IdempotencyOutcome.GiveUpReason;
import dev.idempotency.contract.FakeTime;
import dev.idempotency.contract.IdempotencyKey;
import dev.idempotency.contract.RetryAfter;
import dev.idempotency.contract.Sleeper;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;
import mockwebserver3.SocketEffect;
import okhttp3.Call;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The client table of the contract, row by row, against a real local HTTP server. Every keyed
 * test checks the key the server received on every attempt.
 */
class IdempotencyInterceptorTest extends InterceptorFixture {
  // --- 2xx: done, replay reported, key forgotten ----------------------------------------------

  @Test
  void success_isReportedAndForgetsTheKey() throws Exception {
    server.enqueue(new MockResponse.Builder().code(201).body("paid").build());
    IdempotencyOutcome outcome;
    try (Response response = call(interceptor().build(), payRequest())) {
      assertThat(response.body().string()).isEqualTo("paid");
      outcome = IdempotencyOutcome.of(response);
    }
    IdempotencyKey sent = onlyKey(1);
    assertThat(outcome).isEqualTo(new IdempotencyOutcome.Succeeded(sent, 1, 201, false));
    assertThat(registry.keyFor(PAY)).as("a new action after success gets a new key").isNotEqualTo(sent);
    assertThat(listener.events).containsExactly(
        "keyCreated pay:order-42", "attempt 1", "keyForgotten pay:order-42", "ended Succeeded");
  }

  @Test
  void success_reportsAReplay() throws Exception {
    server.enqueue(new MockResponse.Builder().code(200).addHeader("Idempotent-Replayed", "true").build());
    try (Response response = call(interceptor().build(), payRequest())) {
      IdempotencyOutcome outcome = IdempotencyOutcome.of(response);
      assertThat(outcome).isInstanceOf(IdempotencyOutcome.Succeeded.class);
      assertThat(((IdempotencyOutcome.Succeeded) outcome).replayed()).isTrue();
    }
  }

  // --- 5xx, connection failure, timeout: retry with the SAME key ------------------------------

  @Test
  void serverErrors_areRetriedWithTheSameKey() throws Exception {
    server.enqueue(status(500));
    server.enqueue(status(502));
    server.enqueue(status(503));
    server.enqueue(status(200));
    try (Response response = call(interceptor().build(), payRequest())) {
      IdempotencyOutcome outcome = IdempotencyOutcome.of(response);
      assertThat(outcome).isInstanceOf(IdempotencyOutcome.Succeeded.class);
      assertThat(outcome.attempts()).isEqualTo(4);
      assertThat(outcome.key()).isEqualTo(onlyKey(4));
    }
    assertThat(time.sleeps()).hasSize(3);
  }

  @Test
  void connectionClosedAfterTheServerProcessedTheRequest_isRetriedWithTheSameKey() throws Exception {
    // The server reads the whole request (and would have run it), then drops the connection
    // before answering: exactly the case the key exists for.
    server.enqueue(new MockResponse.Builder().onResponseStart(new SocketEffect.CloseSocket()).build());
    server.enqueue(new MockResponse.Builder().code(200).addHeader("Idempotent-Replayed", "true").build());
    try (Response response = call(interceptor().build(), payRequest())) {
      IdempotencyOutcome outcome = IdempotencyOutcome.of(response);
      assertThat(outcome).isEqualTo(new IdempotencyOutcome.Succeeded(outcome.key(), 2, 200, true));
    }
    List<RecordedRequest> requests = take(2);
    assertThat(requests).extracting(r -> r.getBody().utf8()).containsOnly("{\"amount\":100}");
    assertThat(keysOf(requests)).hasSize(1);
  }

  @Test
  void keyRidesOnOkHttpsOwnSilentResends() throws Exception {
    // With OkHttp's retryOnConnectionFailure on (its default), OkHttp may resend below the
    // interceptor; whatever it resends carries the key, because the key is set above it.
    server.enqueue(new MockResponse.Builder().onResponseStart(new SocketEffect.CloseSocket()).build());
    server.enqueue(new MockResponse.Builder().onResponseStart(new SocketEffect.CloseSocket()).build());
    server.enqueue(status(200));
    server.enqueue(status(200));
    OkHttpClient client = new OkHttpClient.Builder().addInterceptor(interceptor().build()).build();
    try (Response response = client.newCall(payRequest()).execute()) {
      assertThat(IdempotencyOutcome.of(response)).isInstanceOf(IdempotencyOutcome.Succeeded.class);
    }
    int received = server.getRequestCount();
    assertThat(received).isGreaterThanOrEqualTo(3);
    assertThat(keysOf(take(received))).hasSize(1);
  }

  @Test
  void readTimeout_isRetriedWithTheSameKey_andCostsMoreBudget() throws Exception {
    // The first answer comes long after the client stopped waiting: the server ran the request.
    server.enqueue(new MockResponse.Builder().code(200).headersDelay(2, TimeUnit.SECONDS).build());
    server.enqueue(new MockResponse.Builder().code(200).addHeader("Idempotent-Replayed", "true").build());
    IdempotencyInterceptor interceptor = interceptor().build();
    OkHttpClient client = new OkHttpClient.Builder()
        .addInterceptor(interceptor)
        .retryOnConnectionFailure(false)
        .readTimeout(Duration.ofMillis(200))
        .build();
    try (Response response = client.newCall(payRequest()).execute()) {
      IdempotencyOutcome outcome = IdempotencyOutcome.of(response);
      assertThat(outcome).isEqualTo(new IdempotencyOutcome.Succeeded(outcome.key(), 2, 200, true));
    }
    assertThat(keysOf(take(2))).hasSize(1);
    assertThat(interceptor.retryBudgetTokens()).as("500 - 10 for a timeout retry + 1 for success")
        .isEqualTo(491);
  }

  @ParameterizedTest
  @ValueSource(ints = {408, 429})
  void requestTimeoutAndTooManyRequests_areRetriedHonouringRetryAfterSeconds(int status)
      throws Exception {
    server.enqueue(new MockResponse.Builder().code(status).addHeader("Retry-After", "7").build());
    server.enqueue(status(200));
    try (Response response = call(interceptor().build(), payRequest())) {
      assertThat(IdempotencyOutcome.of(response).attempts()).isEqualTo(2);
    }
    assertThat(keysOf(take(2))).hasSize(1);
    assertThat(time.sleeps()).containsExactly(Duration.ofSeconds(7));
  }

  @Test
  void retryAfterAsAnHttpDate_isHonoured() throws Exception {
    String date = RetryAfter.formatHttpDate(time.clock().instant().plusSeconds(12));
    server.enqueue(new MockResponse.Builder().code(503).addHeader("Retry-After", date).build());
    server.enqueue(status(200));
    try (Response response = call(interceptor().build(), payRequest())) {
      assertThat(IdempotencyOutcome.of(response).attempts()).isEqualTo(2);
    }
    assertThat(time.sleeps()).containsExactly(Duration.ofSeconds(12));
  }

  @Test
  void retryAfterAsJavasRfc1123Date_withAOneDigitDay_waitsTheDateMinusNow() throws Exception {
    // What a server that formats Retry-After with DateTimeFormatter.RFC_1123_DATE_TIME sends on
    // the first nine days of a month: "Tue, 1 Dec 2026 19:52:03 GMT".
    time = new FakeTime(Instant.parse("2026-12-01T19:52:00.250Z"));
    String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(
        Instant.parse("2026-12-01T19:52:03Z").atZone(ZoneOffset.UTC));
    assertThat(date).isEqualTo("Tue, 1 Dec 2026 19:52:03 GMT");
    server.enqueue(new MockResponse.Builder().code(503).addHeader("Retry-After", date).build());
    server.enqueue(status(201));
    try (Response response = call(interceptor().build(), payRequest())) {
      assertThat(IdempotencyOutcome.of(response).attempts()).isEqualTo(2);
    }
    assertThat(keysOf(take(2))).hasSize(1);
    assertThat(time.sleeps()).containsExactly(Duration.ofMillis(2750));
  }

  @Test
  void retryAfter_isCapped() throws Exception {
    server.enqueue(new MockResponse.Builder().code(503).addHeader("Retry-After", "3600").build());
    server.enqueue(status(200));
    RetryPolicy policy = RetryPolicy.builder()
        .deadline(Duration.ofMinutes(10)).maxRetryAfter(Duration.ofSeconds(60)).build();
    try (Response response = call(interceptor().retryPolicy(policy).build(), payRequest())) {
      assertThat(IdempotencyOutcome.of(response).attempts()).isEqualTo(2);
    }
    assertThat(time.sleeps()).containsExactly(Duration.ofSeconds(60));
  }

  @Test
  void fullJitter_waitsAFractionOfADoublingBoundCappedAtMaxDelay() throws Exception {
    for (int i = 0; i < 5; i++) server.enqueue(status(503));
    RetryPolicy policy = RetryPolicy.builder()
        .backoff(Duration.ofMillis(100), Duration.ofMillis(300)).build();
    Random half = new Random() {
      @Override
      public double nextDouble() {
        return 0.5;
      }
    };
    try (Response response = call(interceptor().retryPolicy(policy).random(half).build(), payRequest())) {
      assertThat(response.code()).isEqualTo(503);
    }
    // bounds 100, 200, 400 -> 300 (cap), 800 -> 300; half of each
    assertThat(time.sleeps()).containsExactly(Duration.ofMillis(50), Duration.ofMillis(100),
        Duration.ofMillis(150), Duration.ofMillis(150));
  }

  @Test
  void maxAttempts_returnsTheLastAnswerWithAnUnknownOutcomeAndKeepsTheKey() throws Exception {
    for (int i = 0; i < 3; i++) {
      server.enqueue(new MockResponse.Builder().code(503).body("down " + i).build());
    }
    RetryPolicy policy = RetryPolicy.builder().maxAttempts(3).build();
    IdempotencyOutcome outcome;
    try (Response response = call(interceptor().retryPolicy(policy).build(), payRequest())) {
      assertThat(response.code()).isEqualTo(503);
      assertThat(response.body().string()).as("the last answer is readable").isEqualTo("down 2");
      outcome = IdempotencyOutcome.of(response);
    }
    IdempotencyKey sent = onlyKey(3);
    assertThat(outcome).isEqualTo(new IdempotencyOutcome.Unknown(
        sent, 3, GiveUpReason.MAX_ATTEMPTS, OptionalInt.of(503), Optional.empty()));
    assertThat(registry.keyFor(PAY)).as("kept after giving up").isEqualTo(sent);
    assertThat(listener.events).containsExactly("keyCreated pay:order-42",
        "attempt 1", "retry 2 after " + time.sleeps().get(0).toMillis() + "ms",
        "attempt 2", "retry 3 after " + time.sleeps().get(1).toMillis() + "ms",
        "attempt 3", "gaveUp MAX_ATTEMPTS", "ended Unknown");
  }

  @Test
  void noAnswerOnTheLastAttempt_throwsGaveUpWithTheOutcomeAndKeepsTheKey() throws Exception {
    server.enqueue(new MockResponse.Builder().onResponseStart(new SocketEffect.CloseSocket()).build());
    server.enqueue(new MockResponse.Builder().onResponseStart(new SocketEffect.CloseSocket()).build());
    RetryPolicy policy = RetryPolicy.builder().maxAttempts(2).build();
    IdempotencyInterceptor interceptor = interceptor().retryPolicy(policy).build();
    assertThatThrownBy(() -> call(interceptor, payRequest()))
        .isInstanceOfSatisfying(IdempotencyGaveUpException.class, e -> {
          IdempotencyOutcome.Unknown outcome = e.outcome();
          assertThat(outcome.reason()).isEqualTo(GiveUpReason.MAX_ATTEMPTS);
          assertThat(outcome.attempts()).isEqualTo(2);
          assertThat(outcome.lastStatus()).isEmpty();
          assertThat(outcome.lastFailure()).containsSame((IOException) e.getCause());
          assertThat(e.getCause()).isNotNull();
        });
    IdempotencyKey sent = onlyKey(2);
    assertThat(registry.keyFor(PAY)).isEqualTo(sent);
  }

  @Test
  void deadline_noWaitPassesIt() throws Exception {
    server.enqueue(new MockResponse.Builder().code(503).addHeader("Retry-After", "3").build());
    server.enqueue(new MockResponse.Builder().code(503).addHeader("Retry-After", "3").build());
    RetryPolicy policy = RetryPolicy.builder().deadline(Duration.ofSeconds(5)).build();
    var start = time.clock().instant();
    try (Response response = call(interceptor().retryPolicy(policy).build(), payRequest())) {
      IdempotencyOutcome.Unknown outcome = (IdempotencyOutcome.Unknown) IdempotencyOutcome.of(response);
      assertThat(outcome.reason()).isEqualTo(GiveUpReason.DEADLINE);
      assertThat(outcome.attempts()).isEqualTo(2);
    }
    // waited 3 s once; a second 3 s wait would have ended at 6 s, past the 5 s deadline
    assertThat(time.sleeps()).containsExactly(Duration.ofSeconds(3));
    assertThat(Duration.between(start, time.clock().instant()))
        .isLessThanOrEqualTo(Duration.ofSeconds(5));
    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @ParameterizedTest
  @ValueSource(longs = {3600, -3600})
  void aWallClockStep_doesNotMoveTheDeadline(long stepSeconds) throws Exception {
    // Someone sets the system time an hour forward or back during the first attempt. The
    // deadline is a duration on the ticker: it still gives up after 1 s of waits, not at once
    // (forward) nor an hour later (back).
    for (int i = 0; i < 10; i++) server.enqueue(status(503));
    RetryPolicy policy = RetryPolicy.builder().maxAttempts(10).deadline(Duration.ofSeconds(1))
        .backoff(Duration.ofMillis(400), Duration.ofMillis(400)).build();
    Random almostOne = new Random() {
      @Override
      public double nextDouble() {
        return 0.999;
      }
    };
    IdempotencyListener stepOnce = new IdempotencyListener() {
      @Override
      public void attemptStarted(Request request, IdempotencyKey key, int attempt) {
        if (attempt == 1) time.stepClock(Duration.ofSeconds(stepSeconds));
      }
    };
    IdempotencyInterceptor interceptor =
        interceptor().retryPolicy(policy).random(almostOne).listener(stepOnce).build();
    try (Response response = call(interceptor, payRequest())) {
      IdempotencyOutcome.Unknown outcome = (IdempotencyOutcome.Unknown) IdempotencyOutcome.of(response);
      assertThat(outcome.reason()).isEqualTo(GiveUpReason.DEADLINE);
      // waits of 399.6 ms: two end at 799.2 ms, a third would end at 1198.8 ms
      assertThat(outcome.attempts()).isEqualTo(3);
    }
    assertThat(time.sleeps()).containsExactly(Duration.ofNanos(399_600_000), Duration.ofNanos(399_600_000));
    assertThat(time.elapsed()).isLessThanOrEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void retryBudget_isSharedByAllCallsAndStopsRetriesWhenEmpty() throws Exception {
    for (int i = 0; i < 4; i++) server.enqueue(status(503));
    server.enqueue(status(200));
    RetryPolicy policy = RetryPolicy.builder().maxAttempts(10).budgetTokens(10).build();
    IdempotencyInterceptor interceptor = interceptor().retryPolicy(policy).build();
    OkHttpClient client = client(interceptor);

    try (Response first = client.newCall(payRequest()).execute()) {
      IdempotencyOutcome.Unknown outcome = (IdempotencyOutcome.Unknown) IdempotencyOutcome.of(first);
      assertThat(outcome.reason()).isEqualTo(GiveUpReason.RETRY_BUDGET);
      assertThat(outcome.attempts()).as("10 tokens pay for two retries of 5").isEqualTo(3);
    }
    assertThat(interceptor.retryBudgetTokens()).isZero();
    try (Response second = client.newCall(request(IdempotentAction.of("other"))).execute()) {
      IdempotencyOutcome.Unknown outcome = (IdempotencyOutcome.Unknown) IdempotencyOutcome.of(second);
      assertThat(outcome.reason()).as("the budget is shared").isEqualTo(GiveUpReason.RETRY_BUDGET);
      assertThat(outcome.attempts()).isEqualTo(1);
    }
    try (Response third = client.newCall(request(IdempotentAction.of("third"))).execute()) {
      assertThat(IdempotencyOutcome.of(third)).isInstanceOf(IdempotencyOutcome.Succeeded.class);
    }
    assertThat(interceptor.retryBudgetTokens()).as("a success puts back 1").isEqualTo(1);
    assertThat(server.getRequestCount()).isEqualTo(5);
  }

  // --- 409, 425: stop at once, keep the key -----------------------------------------------------

  @ParameterizedTest
  @ValueSource(ints = {409, 425})
  void inProgress_stopsAtOnceAndKeepsTheKey_soTheNextTryGetsTheStoredAnswer(int status)
      throws Exception {
    server.enqueue(new MockResponse.Builder().code(status).addHeader("Retry-After", "2").build());
    server.enqueue(new MockResponse.Builder().code(201).addHeader("Idempotent-Replayed", "true").build());
    OkHttpClient client = client(interceptor().build());

    IdempotencyKey first;
    try (Response response = client.newCall(payRequest()).execute()) {
      IdempotencyOutcome outcome = IdempotencyOutcome.of(response);
      first = outcome.key();
      assertThat(outcome).isEqualTo(new IdempotencyOutcome.InProgress(
          first, 1, status, Optional.of(Duration.ofSeconds(2))));
    }
    assertThat(time.sleeps()).as("no retry").isEmpty();
    assertThat(registry.keyFor(PAY)).isEqualTo(first);

    try (Response response = client.newCall(payRequest()).execute()) {
      assertThat(IdempotencyOutcome.of(response))
          .isEqualTo(new IdempotencyOutcome.Succeeded(first, 1, 201, true));
    }
    assertThat(keysOf(take(2))).containsExactly(first.value());
    assertThat(listener.events).containsExactly(
        "keyCreated pay:order-42", "attempt 1", "ended InProgress",
        "keyReused pay:order-42", "attempt 1", "keyForgotten pay:order-42", "ended Succeeded");
  }

  // --- 422, 400, other 4xx: stop, forget the key ------------------------------------------------

  @ParameterizedTest
  @ValueSource(ints = {400, 401, 403, 404, 413, 422})
  void definitiveFailure_stopsAndForgetsTheKey(int status) throws Exception {
    server.enqueue(status(status));
    IdempotencyOutcome outcome;
    try (Response response = call(interceptor().build(), payRequest())) {
      outcome = IdempotencyOutcome.of(response);
    }
    IdempotencyKey sent = onlyKey(1);
    assertThat(outcome).isEqualTo(new IdempotencyOutcome.DefinitelyFailed(sent, 1, status));
    assertThat(time.sleeps()).isEmpty();
    assertThat(listener.events).containsExactly(
        "keyCreated pay:order-42", "attempt 1", "keyForgotten pay:order-42", "ended DefinitelyFailed");
    assertThat(registry.keyFor(PAY)).isNotEqualTo(sent);
  }

  // --- which requests get a key, and which are resent ------------------------------------------

  @Test
  void oneShotBody_isNeverResent() throws Exception {
    server.enqueue(status(503));
    server.enqueue(status(200));
    Request request = new Request.Builder().url(server.url("/pay")).post(oneShot("{}"))
        .tag(IdempotentAction.class, PAY).build();
    try (Response response = call(interceptor().build(), request)) {
      IdempotencyOutcome.Unknown outcome = (IdempotencyOutcome.Unknown) IdempotencyOutcome.of(response);
      assertThat(outcome.reason()).isEqualTo(GiveUpReason.NOT_RETRYABLE);
      assertThat(outcome.lastStatus()).hasValue(503);
    }
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void oneShotBody_withNoAnswer_isNeverResent() throws Exception {
    server.enqueue(new MockResponse.Builder().onResponseStart(new SocketEffect.CloseSocket()).build());
    server.enqueue(status(200));
    Request request = new Request.Builder().url(server.url("/pay")).post(oneShot("{}"))
        .tag(IdempotentAction.class, PAY).build();
    assertThatThrownBy(() -> call(interceptor().build(), request))
        .isInstanceOfSatisfying(IdempotencyGaveUpException.class,
            e -> assertThat(e.outcome().reason()).isEqualTo(GiveUpReason.NOT_RETRYABLE));
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void postWithoutKey_isRejectedBeforeSending_underReject() {
    IdempotencyInterceptor interceptor =
        interceptor().missingKeyPolicy(MissingKeyPolicy.REJECT).build();
    Request request = new Request.Builder().url(server.url("/pay"))
        .post(RequestBody.create("{}", JSON)).build();
    assertThatThrownBy(() -> call(interceptor, request))
        .isInstanceOf(IdempotencyRequestRejectedException.class)
        .hasMessageContaining("POST")
        .hasMessageContaining("REJECT");
    Request patch = new Request.Builder().url(server.url("/pay"))
        .patch(RequestBody.create("{}", JSON)).build();
    assertThatThrownBy(() -> call(interceptor, patch))
        .isInstanceOf(IdempotencyRequestRejectedException.class);
    assertThat(server.getRequestCount()).isZero();
  }

  @Test
  void postWithoutKey_getsAFreshUuidV4ForThatCall_keptAcrossItsRetries() throws Exception {
    server.enqueue(status(503));
    server.enqueue(status(200));
    server.enqueue(status(200));
    OkHttpClient client = client(interceptor().build());
    Request untagged = new Request.Builder().url(server.url("/pay"))
        .post(RequestBody.create("{}", JSON)).build();
    IdempotencyKey first;
    try (Response response = client.newCall(untagged).execute()) {
      first = IdempotencyOutcome.of(response).key();
      assertThat(IdempotencyOutcome.of(response).attempts()).isEqualTo(2);
    }
    try (Response response = client.newCall(untagged).execute()) {
      assertThat(IdempotencyOutcome.of(response).key()).as("another call, another key")
          .isNotEqualTo(first);
    }
    List<String> keys = keysInOrder(take(3));
    assertThat(keys.get(0)).isEqualTo(first.value()).isEqualTo(keys.get(1));
    assertThat(UUID.fromString(first.value()).version()).isEqualTo(4);
    assertThat(listener.events).startsWith("keyCreated -", "attempt 1");
  }

  @Test
  void explicitHeader_isAlwaysSentAsIs_evenWithATag() throws Exception {
    server.enqueue(status(503));
    server.enqueue(status(200));
    Request request = payRequest().newBuilder().header("Idempotency-Key", "\"order-42-try-1\"").build();
    try (Response response = call(interceptor().build(), request)) {
      IdempotencyOutcome outcome = IdempotencyOutcome.of(response);
      assertThat(outcome.key()).isEqualTo(IdempotencyKey.of("order-42-try-1"));
      assertThat(outcome.attempts()).isEqualTo(2);
    }
    assertThat(take(2)).extracting(r -> r.getHeaders().get("Idempotency-Key"))
        .containsExactly("\"order-42-try-1\"", "\"order-42-try-1\"");
    assertThat(listener.events).doesNotContain("keyCreated pay:order-42");
  }

  @Test
  void malformedExplicitHeader_isRejectedBeforeSending() {
    Request request = payRequest().newBuilder().header("Idempotency-Key", "x".repeat(256)).build();
    assertThatThrownBy(() -> call(interceptor().build(), request))
        .isInstanceOf(IdempotencyRequestRejectedException.class)
        .hasMessageContaining("256");
    assertThat(server.getRequestCount()).isZero();
  }

  @Test
  void getWithoutKey_passesThroughUntouched() throws Exception {
    server.enqueue(status(503));
    Request get = new Request.Builder().url(server.url("/balance")).build();
    try (Response response = call(interceptor().build(), get)) {
      assertThat(response.code()).isEqualTo(503);
      assertThat(IdempotencyOutcome.find(response)).isEmpty();
      assertThatThrownBy(() -> IdempotencyOutcome.of(response))
          .isInstanceOf(IllegalArgumentException.class);
    }
    RecordedRequest recorded = take(1).get(0);
    assertThat(recorded.getHeaders().get("Idempotency-Key")).isNull();
    assertThat(listener.events).isEmpty();
  }

  @Test
  void putWithATag_isKeyedAndRetried() throws Exception {
    server.enqueue(status(500));
    server.enqueue(status(204));
    Request put = new Request.Builder().url(server.url("/profile"))
        .put(RequestBody.create("{}", JSON))
        .tag(IdempotentAction.class, IdempotentAction.of("profile:save")).build();
    try (Response response = call(interceptor().build(), put)) {
      assertThat(IdempotencyOutcome.of(response).attempts()).isEqualTo(2);
    }
    assertThat(keysOf(take(2))).hasSize(1);
  }

  // --- intermediate responses, interrupts, cancels ----------------------------------------------

  @Test
  void eachIntermediateResponseIsClosedBeforeTheNextAttempt() throws Exception {
    server.enqueue(new MockResponse.Builder().code(503).body("one").build());
    server.enqueue(new MockResponse.Builder().code(503).body("two").build());
    server.enqueue(status(200));
    List<TrackedBody> bodies = new ArrayList<>();
    List<Boolean> allClosedAtEachAttempt = new ArrayList<>();
    IdempotencyListener checkClosed = new IdempotencyListener() {
      @Override
      public void attemptStarted(Request request, IdempotencyKey key, int attempt) {
        allClosedAtEachAttempt.add(bodies.stream().allMatch(b -> b.closed));
      }
    };
    OkHttpClient client = new OkHttpClient.Builder()
        .addInterceptor(interceptor().listener(checkClosed).build())
        .addNetworkInterceptor(chain -> {
          Response response = chain.proceed(chain.request());
          TrackedBody body = new TrackedBody(response.body());
          bodies.add(body);
          return response.newBuilder().body(body).build();
        })
        .build();
    try (Response response = client.newCall(payRequest()).execute()) {
      assertThat(IdempotencyOutcome.of(response).attempts()).isEqualTo(3);
    }
    assertThat(allClosedAtEachAttempt).containsExactly(true, true, true);
    assertThat(bodies).hasSize(3).allMatch(b -> b.closed);
  }

  @Test
  void interruptDuringTheWait_stopsRetrying_keepsTheKey_andTheInterruptStaysSet() throws Exception {
    server.enqueue(status(503));
    server.enqueue(status(200));
    Sleeper interrupted = delay -> {
      throw new InterruptedException("interrupted while waiting");
    };
    IdempotencyInterceptor interceptor = interceptor().sleeper(interrupted).build();
    try {
      assertThatThrownBy(() -> call(interceptor, payRequest()))
          .isInstanceOf(InterruptedIOException.class)
          .hasMessageContaining("kept");
      assertThat(Thread.currentThread().isInterrupted()).isTrue();
    } finally {
      Thread.interrupted();
    }
    IdempotencyKey sent = onlyKey(1);
    assertThat(registry.keyFor(PAY)).isEqualTo(sent);
    assertThat(listener.events).endsWith("gaveUp INTERRUPTED", "ended Unknown");
  }

  @Test
  void interruptBeforeTheWait_stopsRetrying_andTheInterruptStaysSet() throws Exception {
    server.enqueue(status(503));
    server.enqueue(status(200));
    IdempotencyListener interruptOnRetry = new IdempotencyListener() {
      @Override
      public void retryScheduled(Request request, IdempotencyKey key, int next, Duration delay) {
        Thread.currentThread().interrupt();
      }
    };
    IdempotencyInterceptor interceptor = interceptor().listener(interruptOnRetry).build();
    try {
      assertThatThrownBy(() -> call(interceptor, payRequest())).isInstanceOf(InterruptedIOException.class);
      assertThat(Thread.currentThread().isInterrupted()).isTrue();
    } finally {
      Thread.interrupted();
    }
    assertThat(time.sleeps()).isEmpty();
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void canceledCall_stopsRetrying() throws Exception {
    server.enqueue(status(503));
    server.enqueue(status(200));
    AtomicReference<Call> call = new AtomicReference<>();
    IdempotencyListener cancelOnRetry = new IdempotencyListener() {
      @Override
      public void retryScheduled(Request request, IdempotencyKey key, int next, Duration delay) {
        call.get().cancel();
      }
    };
    OkHttpClient client = client(interceptor().listener(cancelOnRetry).build());
    call.set(client.newCall(payRequest()));
    assertThatThrownBy(() -> call.get().execute()).isInstanceOf(IOException.class)
        .isNotInstanceOf(IdempotencyGaveUpException.class);
    assertThat(server.getRequestCount()).isEqualTo(1);
    assertThat(registry.keyFor(PAY)).isEqualTo(onlyKey(1));
  }

  @Test
  void aListenerThatThrows_doesNotBreakTheCall() throws Exception {
    server.enqueue(status(503));
    server.enqueue(status(200));
    IdempotencyListener broken = new IdempotencyListener() {
      @Override
      public void attemptStarted(Request request, IdempotencyKey key, int attempt) {
        throw new IllegalStateException("broken metric");
      }
    };
    try (Response response = call(interceptor().listener(broken).build(), payRequest())) {
      assertThat(IdempotencyOutcome.of(response).attempts()).isEqualTo(2);
    }
  }

  @Test
  void uuidV7Keys_onRequest() throws Exception {
    server.enqueue(status(200));
    IdempotencyKeyRegistry v7 = IdempotencyKeyRegistry.builder()
        .keyGenerator(KeyGenerator.uuidV7()).clock(time.clock()).build();
    try (Response response = call(interceptor().registry(v7).build(), payRequest())) {
      assertThat(UUID.fromString(IdempotencyOutcome.of(response).key().value()).version())
          .isEqualTo(7);
    }
  }

  @Test
  void theOutcomeIsOnTheResponse_evenIfAnInterceptorBelowBuildsANewRequest() throws Exception {
    server.enqueue(status(201));
    OkHttpClient client = new OkHttpClient.Builder()
        .addInterceptor(interceptor().build())
        .addInterceptor(chain -> {
          Request r = chain.request();
          // A request built afresh, not with newBuilder(): none of the original's tags.
          return chain.proceed(new Request.Builder()
              .url(r.url()).headers(r.headers()).method(r.method(), r.body()).build());
        })
        .build();
    try (Response response = client.newCall(payRequest()).execute()) {
      assertThat(IdempotencyOutcome.of(response))
          .isEqualTo(new IdempotencyOutcome.Succeeded(onlyKey(1), 1, 201, false));
    }
  }

  @Test
  void sendingAResponsesRequestAgain_givesTheNewCallItsOwnOutcome() throws Exception {
    server.enqueue(status(409));
    server.enqueue(new MockResponse.Builder().code(201).addHeader("Idempotent-Replayed", "true").build());
    OkHttpClient client = client(interceptor().build());
    IdempotencyOutcome inProgress;
    try (Response first = client.newCall(payRequest()).execute()) {
      inProgress = IdempotencyOutcome.of(first);
      assertThat(inProgress).isInstanceOf(IdempotencyOutcome.InProgress.class);
      // The response's request carries the key it was sent with: sending it again sends that
      // key as an explicit header, and must not rewrite what the first response says.
      try (Response second = client.newCall(first.request()).execute()) {
        assertThat(IdempotencyOutcome.of(second))
            .isEqualTo(new IdempotencyOutcome.Succeeded(inProgress.key(), 1, 201, true));
      }
      assertThat(IdempotencyOutcome.of(first)).isEqualTo(inProgress);
    }
    assertThat(keysOf(take(2))).containsExactly(inProgress.key().value());
  }

  // --- one action across several calls ---------------------------------------------------------

  @Test
  void anActionKeepsOneKeyAcrossManualRetries_untilItSucceeds_thenGetsANewOne() throws Exception {
    server.enqueue(status(409));                                                    // call 1
    server.enqueue(status(503));                                                    // call 2
    server.enqueue(status(503));
    server.enqueue(new MockResponse.Builder().onResponseStart(new SocketEffect.CloseSocket()).build()); // call 3
    server.enqueue(new MockResponse.Builder().onResponseStart(new SocketEffect.CloseSocket()).build());
    server.enqueue(new MockResponse.Builder().code(201).addHeader("Idempotent-Replayed", "true").build()); // call 4
    server.enqueue(status(201));                                                    // call 5
    RetryPolicy twoAttempts = RetryPolicy.builder().maxAttempts(2).build();
    OkHttpClient client = client(interceptor().retryPolicy(twoAttempts).build());

    try (Response r = client.newCall(payRequest()).execute()) {
      assertThat(IdempotencyOutcome.of(r)).isInstanceOf(IdempotencyOutcome.InProgress.class);
    }
    try (Response r = client.newCall(payRequest()).execute()) {
      assertThat(IdempotencyOutcome.of(r)).isInstanceOf(IdempotencyOutcome.Unknown.class);
    }
    assertThatThrownBy(() -> client.newCall(payRequest()).execute())
        .isInstanceOf(IdempotencyGaveUpException.class);
    IdempotencyKey sameKey;
    try (Response r = client.newCall(payRequest()).execute()) {
      IdempotencyOutcome outcome = IdempotencyOutcome.of(r);
      sameKey = outcome.key();
      assertThat(outcome).isEqualTo(new IdempotencyOutcome.Succeeded(sameKey, 1, 201, true));
    }
    try (Response r = client.newCall(payRequest()).execute()) {
      assertThat(IdempotencyOutcome.of(r).key()).as("the action ended; the next is new")
          .isNotEqualTo(sameKey);
    }
    List<String> keys = keysInOrder(take(7));
    assertThat(keys.subList(0, 6)).containsOnly(sameKey.value());
    assertThat(keys.get(6)).isNotEqualTo(sameKey.value());
    assertThat(listener.events).containsSubsequence("keyCreated pay:order-42",
        "keyReused pay:order-42", "keyReused pay:order-42", "keyReused pay:order-42",
        "keyForgotten pay:order-42", "keyCreated pay:order-42");
  }

  @Test
  void anActionCutShortByARestart_isTriedAgainWithItsFirstKey(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    server.enqueue(status(503));
    server.enqueue(status(200));
    RetryPolicy oneAttempt = RetryPolicy.builder().maxAttempts(1).build();
    IdempotencyKeyRegistry before = IdempotencyKeyRegistry.builder()
        .store(FileKeyStore.open(dir)).clock(time.clock()).build();
    try (Response r = call(interceptor().registry(before).retryPolicy(oneAttempt).build(), payRequest())) {
      assertThat(IdempotencyOutcome.of(r)).isInstanceOf(IdempotencyOutcome.Unknown.class);
    }
    // The application restarts: a new registry and a new interceptor over the same directory.
    IdempotencyKeyRegistry after = IdempotencyKeyRegistry.builder()
        .store(FileKeyStore.open(dir)).clock(time.clock()).build();
    try (Response r = call(interceptor().registry(after).build(), payRequest())) {
      assertThat(IdempotencyOutcome.of(r)).isInstanceOf(IdempotencyOutcome.Succeeded.class);
    }
    assertThat(keysOf(take(2))).hasSize(1);
    try (var files = java.nio.file.Files.list(dir)) {
      assertThat(files).as("forgotten once it succeeded").isEmpty();
    }
  }

  @Test
  void aCorruptKeyFile_refusesThatActionBeforeSending(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    FileKeyStore store = FileKeyStore.open(dir);
    java.nio.file.Files.writeString(store.fileFor(PAY.name()), "version=1\nkey=\\u12");
    IdempotencyKeyRegistry files = IdempotencyKeyRegistry.builder().store(store).clock(time.clock()).build();
    assertThatThrownBy(() -> call(interceptor().registry(files).build(), payRequest()))
        .isInstanceOf(IdempotencyRequestRejectedException.class)
        .hasCauseInstanceOf(IdempotencyKeyStoreException.class)
        .hasMessageContaining(PAY.name());
    assertThat(server.getRequestCount()).isZero();
  }

  @Test
  void repeatedExplicitHeader_isRejectedBeforeSending() {
    Request request = payRequest().newBuilder()
        .addHeader("Idempotency-Key", "a").addHeader("Idempotency-Key", "b").build();
    assertThatThrownBy(() -> call(interceptor().build(), request))
        .isInstanceOf(IdempotencyRequestRejectedException.class)
        .hasMessageContaining("2 times");
    assertThat(server.getRequestCount()).isZero();
  }

  @Test
  void asyncCalls_getTheOutcomeToo() throws Exception {
    server.enqueue(status(500));
    server.enqueue(status(200));
    java.util.concurrent.CompletableFuture<IdempotencyOutcome> result = new java.util.concurrent.CompletableFuture<>();
    client(interceptor().build()).newCall(payRequest()).enqueue(new okhttp3.Callback() {
      @Override
      public void onResponse(Call call, Response response) {
        try (response) {
          result.complete(IdempotencyOutcome.of(response));
        }
      }

      @Override
      public void onFailure(Call call, IOException e) {
        result.completeExceptionally(e);
      }
    });
    IdempotencyOutcome outcome = result.get(10, TimeUnit.SECONDS);
    assertThat(outcome).isInstanceOf(IdempotencyOutcome.Succeeded.class);
    assertThat(outcome.attempts()).isEqualTo(2);
  }
}
