package dev.idempotency.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idempotency.client.IdempotencyOutcome.GiveUpReason;
import dev.idempotency.contract.IdempotencyKey;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import mockwebserver3.MockResponse;
import mockwebserver3.SocketEffect;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.BufferedSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A 2xx is a success only once its whole body has arrived: a body cut short is retried with the
 * same key like no answer at all, and the key is forgotten only after a complete 2xx. Against a
 * real local server whose body is cut half-way by closing the socket, or stalled past the read
 * timeout.
 */
class SuccessBodyTest extends InterceptorFixture {
  /** Long enough that half of it is many TCP segments, short enough to buffer. */
  private static final String RECEIPT = "{\"receipt\":\"" + "r".repeat(64 * 1024) + "\"}";

  // --- a 2xx body cut short: no answer, same key ------------------------------------------------

  @Test
  void successBodyCutHalfWay_isRetriedWithTheSameKey_andTheCallerGetsTheWholeBody()
      throws Exception {
    server.enqueue(cutHalfWay(201, RECEIPT));
    server.enqueue(new MockResponse.Builder().code(201).addHeader("Idempotent-Replayed", "true")
        .body(RECEIPT).build());
    List<TrackedBody> bodies = new ArrayList<>();
    List<Boolean> keptAtEachAttempt = new ArrayList<>();
    IdempotencyListener probe = new IdempotencyListener() {
      @Override
      public void attemptStarted(Request request, IdempotencyKey key, int attempt) {
        listener.attemptStarted(request, key, attempt);
        // Asked while the call runs: the action still has exactly the key this attempt sends.
        keptAtEachAttempt.add(registry.keyFor(PAY).equals(key)
            && bodies.stream().allMatch(b -> b.closed));
      }

      @Override
      public void keyCreated(IdempotentAction action, IdempotencyKey key) {
        listener.keyCreated(action, key);
      }

      @Override
      public void keyForgotten(IdempotentAction action, IdempotencyKey key) {
        listener.keyForgotten(action, key);
      }

      @Override
      public void retryScheduled(Request request, IdempotencyKey key, int next, Duration delay) {
        listener.retryScheduled(request, key, next, delay);
      }

      @Override
      public void callEnded(Request request, IdempotencyOutcome outcome) {
        listener.callEnded(request, outcome);
      }
    };
    OkHttpClient client = new OkHttpClient.Builder()
        .addInterceptor(interceptor().listener(probe).build())
        .retryOnConnectionFailure(false)
        .addNetworkInterceptor(chain -> {
          Response response = chain.proceed(chain.request());
          TrackedBody body = new TrackedBody(response.body());
          bodies.add(body);
          return response.newBuilder().body(body).build();
        })
        .build();

    IdempotencyOutcome outcome;
    try (Response response = client.newCall(payRequest()).execute()) {
      outcome = IdempotencyOutcome.of(response);
      assertThat(response.body().string()).as("the whole body").isEqualTo(RECEIPT);
    }
    IdempotencyKey sent = onlyKey(2);
    assertThat(outcome).isEqualTo(new IdempotencyOutcome.Succeeded(sent, 2, 201, true));
    assertThat(keptAtEachAttempt).as("key kept, and the cut response closed, before attempt 2")
        .containsExactly(true, true);
    assertThat(bodies).hasSize(2).allMatch(b -> b.closed);
    assertThat(listener.events).containsExactly("keyCreated pay:order-42", "attempt 1",
        "retry 2 after " + time.sleeps().get(0).toMillis() + "ms", "attempt 2",
        "keyForgotten pay:order-42", "ended Succeeded");
    assertThat(registry.keyFor(PAY)).as("forgotten after the complete 2xx").isNotEqualTo(sent);
  }

  @Test
  void successBodyStalledPastTheReadTimeout_isRetriedWithTheSameKey_asATimeout() throws Exception {
    // The server sends the headers and half the body, then nothing: the client's read times
    // out half-way through the body.
    server.enqueue(new MockResponse.Builder().code(200).body(RECEIPT)
        .onResponseBody(SocketEffect.Stall.INSTANCE).build());
    server.enqueue(new MockResponse.Builder().code(200).addHeader("Idempotent-Replayed", "true")
        .body(RECEIPT).build());
    IdempotencyInterceptor interceptor = interceptor().build();
    OkHttpClient client = new OkHttpClient.Builder()
        .addInterceptor(interceptor)
        .retryOnConnectionFailure(false)
        .readTimeout(Duration.ofMillis(200))
        .build();
    try (Response response = client.newCall(payRequest()).execute()) {
      IdempotencyOutcome outcome = IdempotencyOutcome.of(response);
      assertThat(outcome).isEqualTo(new IdempotencyOutcome.Succeeded(outcome.key(), 2, 200, true));
      assertThat(response.body().string()).isEqualTo(RECEIPT);
    }
    assertThat(keysOf(take(2))).hasSize(1);
    assertThat(interceptor.retryBudgetTokens()).as("500 - 10 for a timeout retry + 1 for success")
        .isEqualTo(491);
  }

  @Test
  void replayedBodyCutHalfWay_isRetriedToo() throws Exception {
    // No answer, then a replay cut short, then a whole replay: one key throughout.
    server.enqueue(new MockResponse.Builder().onResponseStart(new SocketEffect.CloseSocket()).build());
    server.enqueue(new MockResponse.Builder().code(200).addHeader("Idempotent-Replayed", "true")
        .body(RECEIPT).onResponseBody(new SocketEffect.CloseSocket()).build());
    server.enqueue(new MockResponse.Builder().code(200).addHeader("Idempotent-Replayed", "true")
        .body(RECEIPT).build());
    try (Response response = call(interceptor().build(), payRequest())) {
      IdempotencyOutcome outcome = IdempotencyOutcome.of(response);
      assertThat(outcome).isEqualTo(new IdempotencyOutcome.Succeeded(outcome.key(), 3, 200, true));
      assertThat(response.body().string()).isEqualTo(RECEIPT);
    }
    onlyKey(3);
    assertThat(time.sleeps()).hasSize(2);
  }

  @Test
  void chunkedSuccessBodyCutHalfWay_isRetriedWithTheSameKey() throws Exception {
    server.enqueue(new MockResponse.Builder().code(201).chunkedBody(RECEIPT, 4096)
        .onResponseBody(new SocketEffect.CloseSocket()).build());
    server.enqueue(new MockResponse.Builder().code(201).chunkedBody(RECEIPT, 4096).build());
    try (Response response = call(interceptor().build(), payRequest())) {
      assertThat(IdempotencyOutcome.of(response).attempts()).isEqualTo(2);
      assertThat(response.body().string()).isEqualTo(RECEIPT);
    }
    onlyKey(2);
  }

  @Test
  void successBodyCutOnEveryAttempt_givesUpUnknown_keepsTheKey_andTheNextTryReusesIt()
      throws Exception {
    server.enqueue(cutHalfWay(201, RECEIPT));
    server.enqueue(cutHalfWay(201, RECEIPT));
    server.enqueue(new MockResponse.Builder().code(201).addHeader("Idempotent-Replayed", "true")
        .body(RECEIPT).build());
    RetryPolicy twoAttempts = RetryPolicy.builder().maxAttempts(2).build();
    OkHttpClient client = client(interceptor().retryPolicy(twoAttempts).build());

    assertThatThrownBy(() -> client.newCall(payRequest()).execute())
        .isInstanceOfSatisfying(IdempotencyGaveUpException.class, e -> {
          IdempotencyOutcome.Unknown outcome = e.outcome();
          assertThat(outcome.reason()).isEqualTo(GiveUpReason.MAX_ATTEMPTS);
          assertThat(outcome.attempts()).isEqualTo(2);
          assertThat(outcome.lastStatus()).as("a cut 2xx is no answer").isEmpty();
          assertThat(outcome.lastFailure()).containsSame((IOException) e.getCause());
        });
    IdempotencyKey first = registry.keyFor(PAY);
    assertThat(listener.events).doesNotContain("keyForgotten pay:order-42")
        .endsWith("gaveUp MAX_ATTEMPTS", "ended Unknown");

    // The user tries the payment again: the same key, so the server replays the first answer.
    try (Response response = client.newCall(payRequest()).execute()) {
      assertThat(IdempotencyOutcome.of(response))
          .isEqualTo(new IdempotencyOutcome.Succeeded(first, 1, 201, true));
      assertThat(response.body().string()).isEqualTo(RECEIPT);
    }
    assertThat(keysInOrder(take(3))).containsOnly(first.value());
    assertThat(registry.keyFor(PAY)).isNotEqualTo(first);
  }

  @Test
  void successBodyCut_withAOneShotRequestBody_isNotResent_andKeepsTheKey() throws Exception {
    server.enqueue(cutHalfWay(201, RECEIPT));
    server.enqueue(new MockResponse.Builder().code(201).body(RECEIPT).build());
    Request request = payRequest().newBuilder().post(oneShot("{\"amount\":100}")).build();
    assertThatThrownBy(() -> call(interceptor().build(), request))
        .isInstanceOfSatisfying(IdempotencyGaveUpException.class,
            e -> assertThat(e.outcome().reason()).isEqualTo(GiveUpReason.NOT_RETRYABLE));
    assertThat(registry.keyFor(PAY)).isEqualTo(onlyKey(1));
  }

  // --- what is buffered ---------------------------------------------------------------------

  @Test
  void aWholeSuccessBody_isInMemoryBeforeTheCallReturns() throws Exception {
    server.enqueue(new MockResponse.Builder().code(201).addHeader("Content-Type", JSON)
        .body(RECEIPT).build());
    try (Response response = call(interceptor().build(), payRequest())) {
      // The key is already forgotten, so the whole body must already be in memory.
      assertThat(listener.events).endsWith("keyForgotten pay:order-42", "ended Succeeded");
      assertThat(response.body().source().getBuffer().size()).isEqualTo(RECEIPT.length());
      assertThat(response.body().contentLength()).isEqualTo(RECEIPT.length());
      assertThat(response.body().contentType()).isEqualTo(JSON);
      assertThat(response.body().string()).isEqualTo(RECEIPT);
    }
  }

  @Test
  void aWholeChunkedSuccessBody_isInMemoryBeforeTheCallReturns_andKnowsItsLength() throws Exception {
    server.enqueue(new MockResponse.Builder().code(201).addHeader("Content-Type", JSON)
        .chunkedBody(RECEIPT, 4096).build());
    try (Response response = call(interceptor().build(), payRequest())) {
      assertThat(listener.events).endsWith("keyForgotten pay:order-42", "ended Succeeded");
      assertThat(response.body().source().getBuffer().size()).isEqualTo(RECEIPT.length());
      assertThat(response.body().contentLength()).as("counted, though no header declared it")
          .isEqualTo(RECEIPT.length());
      assertThat(response.body().contentType()).isEqualTo(JSON);
      assertThat(response.body().string()).isEqualTo(RECEIPT);
    }
  }

  @Test
  void aBodyOfExactlyTheLimit_isBuffered() throws Exception {
    server.enqueue(new MockResponse.Builder().code(200).body("x".repeat(100)).build());
    try (Response response = call(interceptor().maxBufferedSuccessBody(100).build(), payRequest())) {
      assertThat(listener.events).endsWith("keyForgotten pay:order-42", "ended Succeeded");
      assertThat(response.body().string()).hasSize(100);
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {409, 422, 503})
  void otherAnswers_areNotBuffered(int status) throws Exception {
    // Their status decides on its own; a cut body does not change what the call does.
    server.enqueue(cutHalfWay(status, RECEIPT));
    RetryPolicy oneAttempt = RetryPolicy.builder().maxAttempts(1).build();
    try (Response response = call(interceptor().retryPolicy(oneAttempt).build(), payRequest())) {
      assertThat(response.code()).isEqualTo(status);
      assertThatThrownBy(() -> response.body().string()).isInstanceOf(IOException.class);
    }
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  // --- a success body over the limit: streamed, key forgotten at its end -------------------

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void aBodyOverTheLimit_streams_andTheKeyIsForgottenWhenTheCallerReadsItToTheEnd(
      boolean chunked) throws Exception {
    MockResponse.Builder big = new MockResponse.Builder().code(201);
    server.enqueue((chunked ? big.chunkedBody(RECEIPT, 4096) : big.body(RECEIPT)).build());
    IdempotencyKey sent;
    try (Response response = call(interceptor().maxBufferedSuccessBody(1024).build(), payRequest())) {
      IdempotencyOutcome outcome = IdempotencyOutcome.of(response);
      sent = outcome.key();
      assertThat(outcome).isEqualTo(new IdempotencyOutcome.Succeeded(sent, 1, 201, false));
      assertThat(registry.keyFor(PAY)).as("kept while the body is unread").isEqualTo(sent);
      assertThat(listener.events).doesNotContain("keyForgotten pay:order-42");

      BufferedSource source = response.body().source();
      assertThat(source.readUtf8(RECEIPT.length() - 1)).isEqualTo(RECEIPT.substring(0, RECEIPT.length() - 1));
      assertThat(registry.keyFor(PAY)).as("kept until the last byte").isEqualTo(sent);
      assertThat(source.readUtf8()).isEqualTo("}");
    }
    assertThat(registry.keyFor(PAY)).as("forgotten at the end of the body").isNotEqualTo(sent);
    assertThat(listener.events).containsExactly(
        "keyCreated pay:order-42", "attempt 1", "ended Succeeded", "keyForgotten pay:order-42");
    assertThat(onlyKey(1)).isEqualTo(sent);
  }

  @Test
  void aBodyOverTheLimit_cutHalfWay_failsTheCallersRead_andKeepsTheKeyForTheNextTry()
      throws Exception {
    server.enqueue(cutHalfWay(201, RECEIPT));
    server.enqueue(new MockResponse.Builder().code(201).addHeader("Idempotent-Replayed", "true")
        .body(RECEIPT).build());
    OkHttpClient client = client(interceptor().maxBufferedSuccessBody(1024).build());
    IdempotencyKey sent;
    try (Response response = client.newCall(payRequest()).execute()) {
      sent = IdempotencyOutcome.of(response).key();
      assertThatThrownBy(() -> response.body().string()).isInstanceOf(IOException.class);
    }
    assertThat(registry.keyFor(PAY)).as("kept: the caller never got the answer").isEqualTo(sent);

    try (Response response = client.newCall(payRequest()).execute()) {
      assertThat(IdempotencyOutcome.of(response))
          .isEqualTo(new IdempotencyOutcome.Succeeded(sent, 1, 201, true));
      assertThat(response.body().string()).isEqualTo(RECEIPT);
    }
    assertThat(keysOf(take(2))).containsExactly(sent.value());
    assertThat(registry.keyFor(PAY)).isNotEqualTo(sent);
  }

  @Test
  void aBodyOverTheLimit_closedUnread_keepsTheKeyUntilTheCallerForgetsIt() throws Exception {
    server.enqueue(new MockResponse.Builder().code(201).body(RECEIPT).build());
    IdempotencyKey sent;
    try (Response response = call(interceptor().maxBufferedSuccessBody(1024).build(), payRequest())) {
      sent = IdempotencyOutcome.of(response).key();
    }
    assertThat(registry.keyFor(PAY)).isEqualTo(sent);
    assertThat(registry.forget(PAY)).isTrue();
    assertThat(registry.keyFor(PAY)).isNotEqualTo(sent);
  }

  @Test
  void aLimitOfZero_streamsEveryNonEmptyBody_butBuffersAnEmptyOne() throws Exception {
    server.enqueue(new MockResponse.Builder().code(204).build());
    try (Response response = call(interceptor().maxBufferedSuccessBody(0).build(), payRequest())) {
      assertThat(IdempotencyOutcome.of(response)).isInstanceOf(IdempotencyOutcome.Succeeded.class);
    }
    assertThat(listener.events).endsWith("keyForgotten pay:order-42", "ended Succeeded");
  }

  @Test
  void theLimit_isABuilderSettingWithA1MiBDefault() {
    assertThat(IdempotencyInterceptor.builder().build().maxBufferedSuccessBody())
        .isEqualTo(1024 * 1024)
        .isEqualTo(IdempotencyInterceptor.DEFAULT_MAX_BUFFERED_SUCCESS_BODY);
    assertThat(IdempotencyInterceptor.builder().maxBufferedSuccessBody(0).build()
        .maxBufferedSuccessBody()).isZero();
    assertThatThrownBy(() -> IdempotencyInterceptor.builder().maxBufferedSuccessBody(-1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void untaggedPost_cutBody_isRetriedWithItsOneKey() throws Exception {
    server.enqueue(cutHalfWay(200, RECEIPT));
    server.enqueue(new MockResponse.Builder().code(200).body(RECEIPT).build());
    Request untagged = new Request.Builder().url(server.url("/pay"))
        .post(RequestBody.create("{}", JSON)).build();
    try (Response response = call(interceptor().build(), untagged)) {
      assertThat(IdempotencyOutcome.of(response).attempts()).isEqualTo(2);
      assertThat(response.body().string()).isEqualTo(RECEIPT);
    }
    assertThat(keysOf(take(2))).hasSize(1);
  }

  // --- helpers ----------------------------------------------------------------------------------

  /** Sends the headers and half the body, then closes the socket. */
  private static MockResponse cutHalfWay(int status, String body) {
    return new MockResponse.Builder().code(status).body(body)
        .onResponseBody(new SocketEffect.CloseSocket()).build();
  }
}
