package dev.idempotency.server.http;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.idempotency.contract.ProblemType;
import dev.idempotency.server.IdempotencyGuard;
import dev.idempotency.server.IdempotencyStoredFailureException;
import dev.idempotency.server.store.ClaimResult;
import dev.idempotency.server.store.IdempotencyCapacityExceededException;
import dev.idempotency.server.store.IdempotencyStore;
import dev.idempotency.server.store.IdempotencyStoreUnavailableException;
import dev.idempotency.server.store.InMemoryIdempotencyStore;
import dev.idempotency.server.store.RecordId;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The server table of the contract, row by row, through the HTTP layer over the real guard and
 * the in-memory store. Each test counts how often the business code ran.
 */
class IdempotencyHttpLayerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String KEY = "5f0c6f2e-3b1a-4c8e-9d2f-7a6b5c4d3e2f";
  private static final String ORDER_JSON = "{\"item\":\"book\",\"qty\":1}";

  private final AtomicInteger calls = new AtomicInteger();
  private final List<IdempotencyGuard> guards = new ArrayList<>();

  /** The business code of most tests: creates an order, answers 201 with a cookie and a trace. */
  private final HttpBusinessHandler createOrder =
      (request, claim) -> {
        int n = calls.incrementAndGet();
        Map<String, List<String>> headers = new LinkedHashMap<>();
        headers.put("Content-Type", List.of("application/json"));
        headers.put("Location", List.of("/orders/" + n));
        headers.put("Set-Cookie", List.of("session=s" + n + "; HttpOnly"));
        headers.put("X-Trace-Id", List.of("trace-" + n));
        return new HttpResponseView(201, headers, ("{\"order\":" + n + "}").getBytes(UTF_8));
      };

  // ---------------------------------------------------------------------------------------------
  // The server table of CONTRACT.md, one test per row.

  @ParameterizedTest
  @ValueSource(strings = {"POST", "PATCH"})
  void row1_keyMissing_is400_andNothingRuns(String method) throws Exception {
    HttpResponseView answer =
        handler().handle(request(method, "/orders", Map.of(), ORDER_JSON, "alice"), createOrder);

    assertProblem(answer, 400, ProblemType.KEY_MISSING);
    assertThat(calls).hasValue(0);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "", // empty
        "\"\"", // empty sf-string
        "a b", // a space is not visible ASCII
        "clé", // not ASCII
        "a\u007Fb", // DEL
        "\"abc", // unterminated sf-string
        "\"abc\"x", // characters after the closing quote
        "\"a\\nb\"" // an escape sf-string does not have
      })
  void row2_keyMalformed_is400_andNothingRuns(String keyHeader) throws Exception {
    HttpResponseView answer = handler().handle(post(List.of(keyHeader)), createOrder);

    assertProblem(answer, 400, ProblemType.KEY_INVALID);
    assertThat(calls).hasValue(0);
  }

  /** readBody takes at most the limit plus one byte, whatever the stream holds or the length says. */
  @Test
  void readBodyNeverReadsMoreThanTheLimitPlusOne() throws Exception {
    IdempotencyGuard guard = IdempotencyGuard.builder().store(new InMemoryIdempotencyStore()).build();
    guards.add(guard);
    IdempotencyHttpLayer small = IdempotencyHttpLayer.builder(guard).maxBodyBytes(10).build();
    java.util.concurrent.atomic.AtomicLong pulled = new java.util.concurrent.atomic.AtomicLong();
    java.io.InputStream endless = new java.io.InputStream() {
      @Override
      public int read() {
        pulled.incrementAndGet();
        return 'x';
      }
    };
    assertThat(small.readBody(endless, -1)).hasSize(11);
    assertThat(small.readBody(endless, 1L << 40)).hasSize(11);
    assertThat(pulled).hasValue(22);
    assertThat(small.readBody(new java.io.ByteArrayInputStream(new byte[] {1, 2, 3}), 3)).containsExactly(1, 2, 3);
    assertThat(small.readBody(new java.io.ByteArrayInputStream(new byte[] {1, 2}), 3)).containsExactly(1, 2);
  }

  @Test
  void row2_keyLongerThan255_is400_butExactly255Runs() throws Exception {
    IdempotencyHttpLayer handler = handler();
    String max = "k".repeat(255);

    assertProblem(handler.handle(post(List.of(max + "k")), createOrder), 400, ProblemType.KEY_INVALID);
    assertThat(calls).hasValue(0);
    assertThat(handler.handle(post(List.of(max)), createOrder).status()).isEqualTo(201);
    assertThat(calls).hasValue(1);
  }

  @Test
  void row2_keyHeaderRepeated_is400_evenWithEqualValues() throws Exception {
    HttpResponseView answer = handler().handle(post(List.of(KEY, KEY)), createOrder);

    assertProblem(answer, 400, ProblemType.KEY_INVALID);
    assertThat(problemJson(answer).get("detail").asText()).contains("2 times");
    assertThat(calls).hasValue(0);
  }

  @Test
  void row3_firstRequest_passesTheBusinessAnswerThroughUnchanged() throws Exception {
    HttpResponseView answer = handler().handle(post(KEY), createOrder);

    assertThat(answer.status()).isEqualTo(201);
    assertThat(text(answer)).isEqualTo("{\"order\":1}");
    assertThat(answer.headerValues("Set-Cookie")).containsExactly("session=s1; HttpOnly");
    assertThat(answer.headerValues("X-Trace-Id")).containsExactly("trace-1");
    assertThat(answer.headerValues("Location")).containsExactly("/orders/1");
    assertThat(answer.headerValues("Idempotent-Replayed")).isEmpty();
    assertThat(calls).hasValue(1);
  }

  @Test
  void row4_repeatAfterCompletion_replaysTheStoredAnswer_andNothingRuns() throws Exception {
    IdempotencyHttpLayer handler = handler();
    HttpResponseView first = handler.handle(post(KEY), createOrder);

    HttpResponseView replay = handler.handle(post(KEY), createOrder);

    assertThat(replay.status()).isEqualTo(first.status());
    assertThat(replay.body()).isEqualTo(first.body());
    assertThat(replay.headerValues("Content-Type")).containsExactly("application/json");
    assertThat(replay.headerValues("Location")).containsExactly("/orders/1");
    assertThat(replay.headerValues("Idempotent-Replayed")).containsExactly("true");
    assertThat(calls).hasValue(1);

    // A third time too: the record stays completed.
    assertThat(handler.handle(post(KEY), createOrder).headerValues("Idempotent-Replayed"))
        .containsExactly("true");
    assertThat(calls).hasValue(1);
  }

  @Test
  void row5_repeatWithADifferentBody_is422_andNothingRuns() throws Exception {
    IdempotencyHttpLayer handler = handler();
    handler.handle(post(KEY), createOrder);

    HttpResponseView answer =
        handler.handle(
            request("POST", "/orders", key(KEY), "{\"item\":\"book\",\"qty\":2}", "alice"),
            createOrder);

    assertProblem(answer, 422, ProblemType.KEY_REUSED);
    assertThat(calls).hasValue(1);
  }

  @Test
  void row5_repeatWithADifferentPathQueryOrMethod_is422() throws Exception {
    IdempotencyHttpLayer handler = handler();
    handler.handle(request("POST", "/orders?shop=1", key(KEY), ORDER_JSON, "alice"), createOrder);

    assertProblem(
        handler.handle(request("POST", "/carts?shop=1", key(KEY), ORDER_JSON, "alice"), createOrder),
        422,
        ProblemType.KEY_REUSED);
    assertProblem(
        handler.handle(request("POST", "/orders?shop=2", key(KEY), ORDER_JSON, "alice"), createOrder),
        422,
        ProblemType.KEY_REUSED);
    assertProblem(
        handler.handle(
            request("PATCH", "/orders?shop=1", key(KEY), ORDER_JSON, "alice"), createOrder),
        422,
        ProblemType.KEY_REUSED);
    assertThat(calls).hasValue(1);
  }

  @Test
  void row5_fieldBoundariesCount_aBcAndAbCAreDifferentRequests() throws Exception {
    IdempotencyHttpLayer handler = handler();
    handler.handle(request("POST", "/a", key(KEY), "bc", "alice"), createOrder);

    HttpResponseView answer =
        handler.handle(request("POST", "/ab", key(KEY), "c", "alice"), createOrder);

    assertProblem(answer, 422, ProblemType.KEY_REUSED);
    assertThat(calls).hasValue(1);
  }

  @Test
  void row6_repeatWhileTheFirstRuns_is409WithRetryAfter_andNothingRuns() throws Exception {
    IdempotencyHttpLayer handler = handler();
    List<HttpResponseView> whileRunning = new ArrayList<>();
    // The repeat arrives while the first is inside its business code: no threads, no timing.
    HttpBusinessHandler slow =
        (request, claim) -> {
          whileRunning.add(handler.handle(post(KEY), createOrder));
          return createOrder.handle(request, claim);
        };

    HttpResponseView first = handler.handle(post(KEY), slow);

    assertThat(first.status()).isEqualTo(201);
    assertThat(whileRunning).hasSize(1);
    HttpResponseView repeat = whileRunning.get(0);
    assertProblem(repeat, 409, ProblemType.REQUEST_IN_PROGRESS);
    assertRetryAfterAtLeastOneSecond(repeat);
    assertThat(calls).hasValue(1);
  }

  @Test
  void row6_inProgressMayBeAnswered425() throws Exception {
    IdempotencyHttpLayer handler = handlerBuilder().inProgressStatus(425).build();
    List<HttpResponseView> whileRunning = new ArrayList<>();
    HttpBusinessHandler slow =
        (request, claim) -> {
          whileRunning.add(handler.handle(post(KEY), createOrder));
          return createOrder.handle(request, claim);
        };

    handler.handle(post(KEY), slow);

    HttpResponseView repeat = whileRunning.get(0);
    assertProblem(repeat, 425, ProblemType.REQUEST_IN_PROGRESS);
    assertRetryAfterAtLeastOneSecond(repeat);
    assertThat(calls).hasValue(1);
  }

  @Test
  void row6_retryAfterIsNeverBelowOneSecond() throws Exception {
    // Another owner holds the lease with nothing or little left: a store state, not a fault.
    HttpResponseView leaseEnding =
        IdempotencyHttpLayer.builder(guardOver(new LeaseHeldStore(Duration.ZERO)))
            .build()
            .handle(post(KEY), createOrder);
    HttpResponseView leaseShort =
        IdempotencyHttpLayer.builder(guardOver(new LeaseHeldStore(Duration.ofMillis(400))))
            .build()
            .handle(post(KEY), createOrder);

    // "Retry-After: 0" would invite an immediate retry that finds the first still running.
    assertProblem(leaseEnding, 409, ProblemType.REQUEST_IN_PROGRESS);
    assertThat(leaseEnding.headerValues("Retry-After")).containsExactly("1");
    assertThat(leaseShort.headerValues("Retry-After")).containsExactly("1");
    assertThat(calls).hasValue(0);
  }

  @Test
  void row7_storeUnreachable_is503WithRetryAfter_andNothingRuns() throws Exception {
    IdempotencyHttpLayer handler =
        IdempotencyHttpLayer.builder(guardOver(new UnreachableStore(
                () -> new IdempotencyStoreUnavailableException("connection refused"))))
            .build();

    HttpResponseView answer = handler.handle(post(KEY), createOrder);

    assertProblem(answer, 503, ProblemType.STORE_UNAVAILABLE);
    assertThat(answer.headerValues("Retry-After")).containsExactly("1");
    assertThat(problemJson(answer).get("detail").asText()).doesNotContain("connection refused");
    assertThat(calls).hasValue(0);
  }

  @Test
  void row7_aFullStoreIsUnavailableToo_andRetryAfterIsConfigurable() throws Exception {
    IdempotencyHttpLayer handler =
        IdempotencyHttpLayer.builder(guardOver(new UnreachableStore(
                () -> new IdempotencyCapacityExceededException("full of claims"))))
            .unavailableRetryAfter(Duration.ofMillis(2500))
            .build();

    HttpResponseView answer = handler.handle(post(KEY), createOrder);

    assertProblem(answer, 503, ProblemType.STORE_UNAVAILABLE);
    assertThat(answer.headerValues("Retry-After")).containsExactly("3");
    assertThat(calls).hasValue(0);
  }

  @Test
  void row8_business5xx_isAnswered_notStored_andTheRetryRunsAgain() throws Exception {
    IdempotencyHttpLayer handler = handler();
    HttpBusinessHandler flaky =
        (request, claim) -> {
          if (calls.get() == 0) {
            calls.incrementAndGet();
            return new HttpResponseView(
                503,
                Map.of("Set-Cookie", List.of("s=1"), "Content-Type", List.of("text/plain")),
                "try later".getBytes(UTF_8));
          }
          return createOrder.handle(request, claim);
        };

    HttpResponseView failed = handler.handle(post(KEY), flaky);
    assertThat(failed.status()).isEqualTo(503);
    assertThat(text(failed)).isEqualTo("try later");
    assertThat(failed.headerValues("Set-Cookie")).containsExactly("s=1");
    assertThat(failed.headerValues("Idempotent-Replayed")).isEmpty();

    HttpResponseView retried = handler.handle(post(KEY), flaky);
    assertThat(retried.status()).isEqualTo(201);
    assertThat(retried.headerValues("Idempotent-Replayed")).isEmpty();
    assertThat(calls).hasValue(2);

    HttpResponseView replay = handler.handle(post(KEY), flaky);
    assertThat(replay.status()).isEqualTo(201);
    assertThat(text(replay)).isEqualTo("{\"order\":2}");
    assertThat(replay.headerValues("Idempotent-Replayed")).containsExactly("true");
    assertThat(calls).hasValue(2);
  }

  @Test
  void row8_businessThrowsAChecked_exceptionPropagatesUnchanged_andTheRetryRunsAgain()
      throws Exception {
    IdempotencyHttpLayer handler = handler();
    IOException failure = new IOException("database down");
    HttpBusinessHandler failingOnce =
        (request, claim) -> {
          if (calls.getAndIncrement() == 0) throw failure;
          return createOrder.handle(request, claim);
        };

    assertThatThrownBy(() -> handler.handle(post(KEY), failingOnce)).isSameAs(failure);

    HttpResponseView retried = handler.handle(post(KEY), failingOnce);
    assertThat(retried.status()).isEqualTo(201);
    assertThat(retried.headerValues("Idempotent-Replayed")).isEmpty();
    assertThat(calls).hasValue(3); // the failure, then the retry's two counters
  }

  @Test
  void row8_businessThrowsUnchecked_exceptionPropagatesUnchanged_andTheKeyIsReleased()
      throws Exception {
    IdempotencyHttpLayer handler = handler();
    IllegalStateException failure = new IllegalStateException("bug");

    assertThatThrownBy(
            () ->
                handler.handle(
                    post(KEY),
                    (request, claim) -> {
                      calls.incrementAndGet();
                      throw failure;
                    }))
        .isSameAs(failure);

    assertThat(handler.handle(post(KEY), createOrder).status()).isEqualTo(201);
    assertThat(calls).hasValue(2);
  }

  @Test
  void storeFailsAfterTheBusinessRan_theCallerGetsTheBusinessAnswer_notA503() throws Exception {
    // The claim works, recording the answer does not: the effect happened, so this caller must
    // get it (a 503 would say that nothing ran), and the key stays claimed so nothing runs twice.
    IdempotencyStore store =
        new ForwardingStore(new InMemoryIdempotencyStore()) {
          @Override
          public boolean complete(RecordId id, String ownerToken, byte[] result, Duration retention) {
            throw new IdempotencyStoreUnavailableException("connection reset");
          }
        };
    IdempotencyGuard guard =
        IdempotencyGuard.builder().store(store).namespace("http-test").sleeper(d -> {}).build();
    guards.add(guard);
    IdempotencyHttpLayer handler = IdempotencyHttpLayer.builder(guard).build();

    HttpResponseView first = handler.handle(post(KEY), createOrder);
    HttpResponseView repeat = handler.handle(post(KEY), createOrder);

    assertThat(first.status()).isEqualTo(201);
    assertThat(text(first)).isEqualTo("{\"order\":1}");
    assertProblem(repeat, 409, ProblemType.REQUEST_IN_PROGRESS);
    assertThat(calls).hasValue(1);
  }

  /**
   * The guard's failure rule works through the layer (it could not before the owned claim: the
   * layer's own "do not store" exception hid the business one): a failure it accepts is stored,
   * the first caller gets its exception, and a repeat gets the stored failure without running the
   * business code again. A failure it does not accept releases the key, as before.
   */
  @Test
  void theGuardsStoredFailuresApplyThroughTheLayer() throws Exception {
    IdempotencyGuard guard =
        IdempotencyGuard.builder()
            .store(new InMemoryIdempotencyStore())
            .storeFailuresWhen(e -> e instanceof IOException)
            .build();
    guards.add(guard);
    IdempotencyHttpLayer handler = IdempotencyHttpLayer.builder(guard).build();
    IOException declined = new IOException("declined");
    HttpBusinessHandler declinesOnce =
        (request, claim) -> {
          if (calls.getAndIncrement() == 0) throw declined;
          return createOrder.handle(request, claim);
        };

    assertThatThrownBy(() -> handler.handle(post(KEY), declinesOnce)).isSameAs(declined);
    assertThatThrownBy(() -> handler.handle(post(KEY), declinesOnce))
        .isInstanceOfSatisfying(IdempotencyStoredFailureException.class, e -> {
          assertThat(e.exceptionClassName()).isEqualTo("java.io.IOException");
          assertThat(e.exceptionMessage()).isEqualTo("declined");
        });
    assertThat(calls).as("the business code ran once").hasValue(1);

    // Another failure is not accepted: released, and a retry of that key runs again.
    IllegalStateException bug = new IllegalStateException("bug");
    HttpBusinessHandler failsOnce =
        (request, claim) -> {
          if (calls.getAndIncrement() == 1) throw bug;
          return createOrder.handle(request, claim);
        };
    assertThatThrownBy(() -> handler.handle(post("other-key"), failsOnce)).isSameAs(bug);
    assertThat(handler.handle(post("other-key"), failsOnce).status()).isEqualTo(201);
  }

  @Test
  void failOpenGuard_storeDown_theBusinessAnswerPassesThrough_evenA5xx() throws Exception {
    IdempotencyGuard guard =
        IdempotencyGuard.builder()
            .store(new UnreachableStore(() -> new IdempotencyStoreUnavailableException("down")))
            .failOpen(true)
            .build();
    guards.add(guard);
    IdempotencyHttpLayer handler = IdempotencyHttpLayer.builder(guard).build();

    assertThat(handler.handle(post(KEY), createOrder).status()).isEqualTo(201);
    HttpResponseView serverError =
        handler.handle(
            post(KEY),
            (request, claim) -> {
              calls.incrementAndGet();
              return new HttpResponseView(500, Map.of(), "oops".getBytes(UTF_8));
            });
    assertThat(serverError.status()).isEqualTo(500);
    assertThat(text(serverError)).isEqualTo("oops");
    IOException failure = new IOException("disk full");
    assertThatThrownBy(
            () ->
                handler.handle(
                    post(KEY),
                    (request, claim) -> {
                      throw failure;
                    }))
        .isSameAs(failure);
    assertThat(calls).hasValue(2);
  }

  // ---------------------------------------------------------------------------------------------
  // Beyond the table's rows: scope, header allow-list, redaction, limits and options.

  @Test
  void scopesAreIsolated_sameKeyTwoCallers_twoRuns_eachReplaysItsOwn() throws Exception {
    IdempotencyHttpLayer handler = handler();

    HttpResponseView alice =
        handler.handle(request("POST", "/orders", key(KEY), ORDER_JSON, "alice"), createOrder);
    HttpResponseView bob =
        handler.handle(request("POST", "/orders", key(KEY), ORDER_JSON, "bob"), createOrder);

    assertThat(calls).hasValue(2);
    assertThat(bob.headerValues("Idempotent-Replayed")).isEmpty();
    assertThat(text(alice)).isEqualTo("{\"order\":1}");
    assertThat(text(bob)).isEqualTo("{\"order\":2}");
    assertThat(text(handler.handle(request("POST", "/orders", key(KEY), ORDER_JSON, "alice"),
            createOrder))).isEqualTo("{\"order\":1}");
    assertThat(text(handler.handle(request("POST", "/orders", key(KEY), ORDER_JSON, "bob"),
            createOrder))).isEqualTo("{\"order\":2}");
    assertThat(calls).hasValue(2);
  }

  @Test
  void credentialsAndSessionHeadersAreNeverReplayed() throws Exception {
    IdempotencyHttpLayer handler = handler();
    HttpBusinessHandler login =
        (request, claim) -> {
          calls.incrementAndGet();
          Map<String, List<String>> headers = new LinkedHashMap<>();
          headers.put("Content-Type", List.of("application/json"));
          headers.put("Set-Cookie", List.of("session=secret", "csrf=secret"));
          headers.put("set-cookie2", List.of("old=secret"));
          headers.put("Authorization", List.of("Bearer secret"));
          headers.put("Proxy-Authorization", List.of("Basic secret"));
          headers.put("Cookie", List.of("c=secret"));
          headers.put("WWW-Authenticate", List.of("Bearer realm=secret"));
          headers.put("Proxy-Authenticate", List.of("Basic realm=secret"));
          return new HttpResponseView(200, headers, "{}".getBytes(UTF_8));
        };

    HttpResponseView first = handler.handle(post(KEY), login);
    HttpResponseView replay = handler.handle(post(KEY), login);

    assertThat(first.headerValues("Set-Cookie")).containsExactly("session=secret", "csrf=secret");
    assertThat(first.headerValues("Authorization")).containsExactly("Bearer secret");
    assertThat(replay.headers())
        .containsOnlyKeys("Content-Type", "Idempotent-Replayed");
    assertThat(calls).hasValue(1);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "Set-Cookie",
        "set-cookie",
        "Authorization",
        "AUTHORIZATION",
        "Proxy-Authorization",
        "Cookie",
        "WWW-Authenticate"
      })
  void credentialsAndSessionHeadersCannotBeConfiguredToBeStored(String name) {
    IdempotencyHttpLayer.Builder builder = handlerBuilder();
    assertThatThrownBy(() -> builder.storeHeaders("X-Request-Id", name))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(name);
  }

  @Test
  void allowListedHeadersAreReplayed_othersAreNot() throws Exception {
    IdempotencyHttpLayer handler = handlerBuilder().storeHeaders("x-trace-id", "ETag").build();
    HttpBusinessHandler business =
        (request, claim) -> {
          HttpResponseView r = createOrder.handle(request, claim);
          Map<String, List<String>> headers = new LinkedHashMap<>(r.headers());
          headers.put("etag", List.of("\"v1\""));
          headers.put("X-Unlisted", List.of("u"));
          return new HttpResponseView(r.status(), headers, r.body());
        };

    handler.handle(post(KEY), business);
    HttpResponseView replay = handler.handle(post(KEY), business);

    assertThat(replay.headerValues("Content-Type")).containsExactly("application/json");
    assertThat(replay.headerValues("Location")).containsExactly("/orders/1");
    assertThat(replay.headerValues("X-Trace-Id")).containsExactly("trace-1");
    assertThat(replay.headerValues("ETag")).containsExactly("\"v1\"");
    assertThat(replay.headerValues("X-Unlisted")).isEmpty();
    assertThat(replay.headerValues("Set-Cookie")).isEmpty();
    assertThat(calls).hasValue(1);
  }

  @Test
  void redactorChangesTheStoredCopyOnly() throws Exception {
    IdempotencyHttpLayer handler =
        handlerBuilder()
            .redactor(
                r -> {
                  Map<String, List<String>> headers = new LinkedHashMap<>(r.headers());
                  // A redactor cannot smuggle a credential into the replay.
                  headers.put("Authorization", List.of("Bearer leaked"));
                  return new HttpResponseView(
                      r.status(), headers, "{\"card\":\"****\"}".getBytes(UTF_8));
                })
            .build();
    HttpBusinessHandler pay =
        (request, claim) -> {
          calls.incrementAndGet();
          return new HttpResponseView(
              200,
              Map.of("Content-Type", List.of("application/json")),
              "{\"card\":\"4111111111111111\"}".getBytes(UTF_8));
        };

    HttpResponseView first = handler.handle(post(KEY), pay);
    HttpResponseView replay = handler.handle(post(KEY), pay);

    assertThat(text(first)).isEqualTo("{\"card\":\"4111111111111111\"}");
    assertThat(text(replay)).isEqualTo("{\"card\":\"****\"}");
    assertThat(replay.headerValues("Authorization")).isEmpty();
    assertThat(replay.headerValues("Idempotent-Replayed")).containsExactly("true");
    assertThat(calls).hasValue(1);
  }

  @Test
  void bodyOverTheLimit_is413_andNothingRuns_atTheLimitRuns() throws Exception {
    IdempotencyHttpLayer handler = handlerBuilder().maxBodyBytes(10).build();

    HttpResponseView tooLarge =
        handler.handle(request("POST", "/orders", key(KEY), "x".repeat(11), "alice"), createOrder);
    assertProblem(tooLarge, 413, ProblemType.REQUEST_TOO_LARGE);
    assertThat(problemJson(tooLarge).get("detail").asText()).contains("11").contains("10");
    assertThat(calls).hasValue(0);

    HttpResponseView atLimit =
        handler.handle(request("POST", "/orders", key(KEY), "x".repeat(10), "alice"), createOrder);
    assertThat(atLimit.status()).isEqualTo(201);
    assertThat(calls).hasValue(1);
  }

  @Test
  void defaultBodyLimitIsOneMebibyte() throws Exception {
    IdempotencyHttpLayer handler = handler();
    assertThat(handler.maxBodyBytes()).isEqualTo(1024 * 1024);
    HttpResponseView tooLarge =
        handler.handle(
            new HttpRequestView("POST", "/orders", key(KEY), new byte[1024 * 1024 + 1], "alice"),
            createOrder);
    assertProblem(tooLarge, 413, ProblemType.REQUEST_TOO_LARGE);
    assertThat(calls).hasValue(0);
  }

  @Test
  void uuidOnlyOption_rejectsOtherKeys_acceptsUuidsInEitherCase() throws Exception {
    IdempotencyHttpLayer handler = handlerBuilder().requireUuidKeys(true).build();

    for (String notUuid :
        List.of("order-42", "5f0c6f2e3b1a4c8e9d2f7a6b5c4d3e2f", "1-1-1-1-1", KEY + "0", "{" + KEY + "}")) {
      assertProblem(handler.handle(post(notUuid), createOrder), 400, ProblemType.KEY_INVALID);
    }
    assertThat(calls).hasValue(0);

    assertThat(handler.handle(post(KEY), createOrder).status()).isEqualTo(201);
    assertThat(handler.handle(post(KEY.toUpperCase()), createOrder).status()).isEqualTo(201);
    assertThat(handler.handle(post("\"" + KEY + "\""), createOrder).headerValues(
            "Idempotent-Replayed")).containsExactly("true");
    assertThat(calls).hasValue(2);
  }

  @Test
  void headerNamesAreCaseInsensitive() throws Exception {
    IdempotencyHttpLayer handler = handler();

    handler.handle(request("POST", "/orders", Map.of("idempotency-key", List.of(KEY)), ORDER_JSON,
        "alice"), createOrder);
    HttpResponseView replay = handler.handle(request("POST", "/orders",
        Map.of("IDEMPOTENCY-KEY", List.of(KEY)), ORDER_JSON, "alice"), createOrder);

    assertThat(replay.headerValues("Idempotent-Replayed")).containsExactly("true");
    assertThat(calls).hasValue(1);
  }

  @Test
  void theKeyRepeatedUnderTwoSpellingsOfItsName_is400() throws Exception {
    Map<String, List<String>> headers = new LinkedHashMap<>();
    headers.put("Idempotency-Key", List.of(KEY));
    headers.put("idempotency-key", List.of(KEY));

    HttpResponseView answer =
        handler().handle(request("POST", "/orders", headers, ORDER_JSON, "alice"), createOrder);

    assertProblem(answer, 400, ProblemType.KEY_INVALID);
    assertThat(calls).hasValue(0);
  }

  @Test
  void quotedSfStringKeyIsAccepted_andNamesTheSameRecordAsTheBareForm() throws Exception {
    IdempotencyHttpLayer handler = handler();

    HttpResponseView first = handler.handle(post("\"" + KEY + "\""), createOrder);
    HttpResponseView replay = handler.handle(post(KEY), createOrder);

    assertThat(first.status()).isEqualTo(201);
    assertThat(replay.headerValues("Idempotent-Replayed")).containsExactly("true");
    assertThat(calls).hasValue(1);
  }

  @ParameterizedTest
  @ValueSource(strings = {"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
  void methodsThatNeedNoKeyPassStraightThrough_everyTime(String method) throws Exception {
    IdempotencyHttpLayer handler = handler();
    HttpRequestView request = request(method, "/orders", key(KEY), "", "alice");

    assertThat(handler.handle(request, createOrder).headerValues("Idempotent-Replayed")).isEmpty();
    assertThat(handler.handle(request, createOrder).headerValues("Idempotent-Replayed")).isEmpty();
    assertThat(handler.handle(request(method, "/orders", Map.of(), "", "alice"), createOrder)
        .status()).isEqualTo(201);
    assertThat(calls).hasValue(3);
  }

  @Test
  void requireKeyForReplacesTheDefault_andMatchesMethodsCaseSensitively() throws Exception {
    IdempotencyHttpLayer handler = handlerBuilder().requireKeyFor("PUT").build();

    assertProblem(handler.handle(request("PUT", "/orders/1", Map.of(), "{}", "alice"), createOrder),
        400, ProblemType.KEY_MISSING);
    assertThat(calls).hasValue(0);
    assertThat(handler.handle(request("POST", "/orders", Map.of(), "{}", "alice"), createOrder)
        .status()).isEqualTo(201);
    assertThat(calls).hasValue(1);
    // "put" is another method than PUT (RFC 9110): not guarded.
    assertThat(handler.guards("PUT")).isTrue();
    assertThat(handler.guards("put")).isFalse();
    assertThat(handler.handle(request("put", "/orders/1", Map.of(), "{}", "alice"), createOrder)
        .status()).isEqualTo(201);
    assertThat(calls).hasValue(2);
    // A standard method configured in another case would leave it unguarded: refused.
    assertThatThrownBy(() -> handlerBuilder().requireKeyFor("POST", "patch"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("PATCH");
    // An extension method is taken as it is written.
    IdempotencyHttpLayer extension = handlerBuilder().requireKeyFor("PURGE", "Mkorder").build();
    assertThat(extension.guards("Mkorder")).isTrue();
    assertThat(extension.guards("MKORDER")).isFalse();
  }

  /**
   * The incident: a request with the method {@code post} was guarded, the framework's 405 for it
   * stored, and the real {@code POST} with that key then answered 422. {@code post} is not
   * {@code POST}: it passes to the business code unguarded and leaves nothing in the store, and
   * the POST with the same key then runs fresh and replays as usual.
   */
  @Test
  void lowerCasePostIsNotGuarded_andTheRealPostWithTheSameKeyRunsFreshThenReplays() throws Exception {
    InMemoryIdempotencyStore store = new InMemoryIdempotencyStore();
    IdempotencyHttpLayer handler = IdempotencyHttpLayer.builder(guardOver(store)).build();
    AtomicInteger notAllowed = new AtomicInteger();
    HttpBusinessHandler framework = (request, claim) -> {
      if (request.method().equals("POST")) return createOrder.handle(request, claim);
      notAllowed.incrementAndGet(); // an unknown method: what a framework answers
      return new HttpResponseView(405, Map.of("Allow", List.of("POST")), new byte[0]);
    };

    for (int i = 1; i <= 2; i++) {
      HttpResponseView lower = handler.handle(request("post", "/orders", key(KEY), ORDER_JSON, "alice"), framework);
      assertThat(lower.status()).isEqualTo(405);
      assertThat(lower.headerValues("Idempotent-Replayed")).isEmpty();
      assertThat(notAllowed).as("the business code ran, unguarded, each time").hasValue(i);
      assertThat(store.size()).as("nothing stored").isZero();
    }

    HttpResponseView first = handler.handle(post(KEY), framework);
    assertThat(first.status()).isEqualTo(201);
    assertThat(first.headerValues("Idempotent-Replayed")).isEmpty();
    assertThat(calls).hasValue(1);
    HttpResponseView replay = handler.handle(post(KEY), framework);
    assertThat(replay.status()).isEqualTo(201);
    assertThat(replay.headerValues("Idempotent-Replayed")).containsExactly("true");
    assertThat(replay.body()).isEqualTo(first.body());
    assertThat(calls).hasValue(1);
    assertThat(handler.guards("post")).isFalse();
    assertThat(handler.guards("POST")).isTrue();
  }

  @Test
  void storeWhenDecidesWhatIsReplayed() throws Exception {
    IdempotencyHttpLayer handler =
        handlerBuilder().storeWhen(r -> r.status() >= 200 && r.status() < 300).build();
    HttpBusinessHandler notFoundThenCreated =
        (request, claim) -> {
          if (calls.getAndIncrement() == 0) {
            return new HttpResponseView(404, Map.of(), new byte[0]);
          }
          return createOrder.handle(request, claim);
        };

    assertThat(handler.handle(post(KEY), notFoundThenCreated).status()).isEqualTo(404);
    assertThat(handler.handle(post(KEY), notFoundThenCreated).status()).isEqualTo(201);
    assertThat(handler.handle(post(KEY), notFoundThenCreated).headerValues("Idempotent-Replayed"))
        .containsExactly("true");
    assertThat(calls).hasValue(3); // the 404, then the 201's two counters
  }

  @Test
  void fourHundredsAreStoredByDefault() throws Exception {
    IdempotencyHttpLayer handler = handler();
    HttpBusinessHandler rejects =
        (request, claim) -> {
          calls.incrementAndGet();
          return new HttpResponseView(
              409, Map.of("Content-Type", List.of("text/plain")), "out of stock".getBytes(UTF_8));
        };

    handler.handle(post(KEY), rejects);
    HttpResponseView replay = handler.handle(post(KEY), rejects);

    assertThat(replay.status()).isEqualTo(409);
    assertThat(text(replay)).isEqualTo("out of stock");
    assertThat(replay.headerValues("Idempotent-Replayed")).containsExactly("true");
    assertThat(calls).hasValue(1);
  }

  @Test
  void aBusinessAnswerOfNullFailsLikeAnException_andReleasesTheKey() throws Exception {
    IdempotencyHttpLayer handler = handler();

    assertThatThrownBy(
            () ->
                handler.handle(
                    post(KEY),
                    (request, claim) -> {
                      calls.incrementAndGet();
                      return null;
                    }))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("business");

    assertThat(handler.handle(post(KEY), createOrder).status()).isEqualTo(201);
    assertThat(calls).hasValue(2);
  }

  @Test
  void binaryBodiesReplayByteForByte() throws Exception {
    IdempotencyHttpLayer handler = handler();
    byte[] png = new byte[256];
    for (int i = 0; i < png.length; i++) png[i] = (byte) (255 - i);
    HttpBusinessHandler image =
        (request, claim) -> {
          calls.incrementAndGet();
          return new HttpResponseView(200, Map.of("Content-Type", List.of("image/png")), png);
        };

    handler.handle(post(KEY), image);
    HttpResponseView replay = handler.handle(post(KEY), image);

    assertThat(replay.body()).containsExactly(png);
    assertThat(calls).hasValue(1);
  }

  // ---------------------------------------------------------------------------------------------
  // Concurrency: many callers, one key.

  @Test
  void thirtyTwoCallersOneKey_oneRun_theRestInProgressOrReplayed() throws Exception {
    int threads = 32;
    int rounds = 25;
    IdempotencyHttpLayer handler = handler();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      for (int round = 0; round < rounds; round++) {
        String key = "round-" + round;
        AtomicInteger runs = new AtomicInteger();
        HttpBusinessHandler business =
            (request, claim) -> {
              int n = runs.incrementAndGet();
              return new HttpResponseView(
                  201,
                  Map.of("Content-Type", List.of("text/plain")),
                  (key + "/" + n).getBytes(UTF_8));
            };
        CountDownLatch start = new CountDownLatch(1);
        List<Future<HttpResponseView>> answers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          answers.add(
              pool.submit(
                  () -> {
                    start.await();
                    return handler.handle(post(key), business);
                  }));
        }
        start.countDown();

        int first = 0;
        int replayed = 0;
        int inProgress = 0;
        for (Future<HttpResponseView> f : answers) {
          HttpResponseView a = f.get();
          if (a.status() == 409) {
            assertProblem(a, 409, ProblemType.REQUEST_IN_PROGRESS);
            assertRetryAfterAtLeastOneSecond(a);
            inProgress++;
          } else {
            assertThat(a.status()).isEqualTo(201);
            assertThat(text(a)).isEqualTo(key + "/1");
            if (a.headerValues("Idempotent-Replayed").contains("true")) replayed++;
            else first++;
          }
        }
        assertThat(runs).as("round %d", round).hasValue(1);
        assertThat(first).as("round %d", round).isEqualTo(1);
        assertThat(first + replayed + inProgress).isEqualTo(threads);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Builder checks.

  @Test
  void builderChecksItsArguments() {
    assertThatThrownBy(() -> IdempotencyHttpLayer.builder(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("guard");
    IdempotencyHttpLayer.Builder b = handlerBuilder();
    assertThatThrownBy(b::requireKeyFor).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.requireKeyFor("PO ST")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.requireKeyFor("POST", null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> b.inProgressStatus(423)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.storeHeaders("Bad Header"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.maxBodyBytes(-1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.unavailableRetryAfter(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.unavailableRetryAfter(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.storeWhen(null)).hasMessage("storeWhen");
    assertThatThrownBy(() -> b.redactor(null)).hasMessage("redactor");
  }

  @Test
  void handleChecksItsArguments() {
    IdempotencyHttpLayer handler = handler();
    assertThatThrownBy(() -> handler.handle(null, createOrder)).hasMessage("request");
    assertThatThrownBy(() -> handler.handle(post(KEY), null)).hasMessage("business");
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers.

  /** A guard over {@code store}, closed after the test (it owns a lease-renewal thread). */
  private IdempotencyGuard guardOver(IdempotencyStore store) {
    IdempotencyGuard guard = IdempotencyGuard.builder().store(store).namespace("http-test").build();
    guards.add(guard);
    return guard;
  }

  private IdempotencyHttpLayer.Builder handlerBuilder() {
    return IdempotencyHttpLayer.builder(guardOver(new InMemoryIdempotencyStore()));
  }

  private IdempotencyHttpLayer handler() {
    return handlerBuilder().build();
  }

  @AfterEach
  void closeGuards() {
    guards.forEach(IdempotencyGuard::close);
  }

  private static Map<String, List<String>> key(String value) {
    return Map.of("Idempotency-Key", List.of(value));
  }

  private static HttpRequestView post(String key) {
    return post(List.of(key));
  }

  private static HttpRequestView post(List<String> keyHeaderValues) {
    return request(
        "POST", "/orders", Map.of("Idempotency-Key", keyHeaderValues), ORDER_JSON, "alice");
  }

  private static HttpRequestView request(
      String method, String path, Map<String, List<String>> headers, String body, String scope) {
    return new HttpRequestView(method, path, headers, body.getBytes(UTF_8), scope);
  }

  private static String text(HttpResponseView response) {
    return new String(response.body(), UTF_8);
  }

  private static JsonNode problemJson(HttpResponseView response) throws IOException {
    return JSON.readTree(response.body());
  }

  static void assertProblem(HttpResponseView answer, int status, ProblemType type)
      throws IOException {
    assertThat(answer.status()).isEqualTo(status);
    assertThat(answer.headerValues("Content-Type")).containsExactly("application/problem+json");
    assertThat(answer.headerValues("Idempotent-Replayed")).isEmpty();
    JsonNode json = JSON.readTree(answer.body());
    assertThat(json.get("type").asText()).isEqualTo(type.uri());
    assertThat(json.get("type").asText())
        .isEqualTo("https://idempotency.dev/problems/" + type.id());
    assertThat(json.get("status").asInt()).isEqualTo(status);
    assertThat(json.get("title").asText()).isEqualTo(type.title());
    assertThat(json.get("detail").asText()).isNotBlank();
  }

  private static void assertRetryAfterAtLeastOneSecond(HttpResponseView answer) {
    assertThat(answer.headerValues("Retry-After")).hasSize(1);
    assertThat(answer.headerValues("Retry-After").get(0)).matches("[0-9]+");
    assertThat(Long.parseLong(answer.headerValues("Retry-After").get(0))).isGreaterThanOrEqualTo(1);
  }

  /** Passes every call to a real store; tests override the one call that should fail. */
  private static class ForwardingStore implements IdempotencyStore {
    private final IdempotencyStore delegate;

    ForwardingStore(IdempotencyStore delegate) {
      this.delegate = delegate;
    }

    @Override
    public ClaimResult claim(RecordId id, String fingerprint, String ownerToken, Duration leaseTtl) {
      return delegate.claim(id, fingerprint, ownerToken, leaseTtl);
    }

    @Override
    public boolean complete(RecordId id, String ownerToken, byte[] result, Duration retention) {
      return delegate.complete(id, ownerToken, result, retention);
    }

    @Override
    public boolean renew(RecordId id, String ownerToken, Duration leaseTtl) {
      return delegate.renew(id, ownerToken, leaseTtl);
    }

    @Override
    public boolean release(RecordId id, String ownerToken) {
      return delegate.release(id, ownerToken);
    }
  }

  /** A store in which another owner holds every key, with {@code leaseLeft} to go. */
  private static final class LeaseHeldStore implements IdempotencyStore {
    private final Duration leaseLeft;

    LeaseHeldStore(Duration leaseLeft) {
      this.leaseLeft = leaseLeft;
    }

    @Override
    public ClaimResult claim(RecordId id, String fingerprint, String ownerToken, Duration leaseTtl) {
      return new ClaimResult.InProgress(leaseLeft);
    }

    @Override
    public boolean complete(RecordId id, String ownerToken, byte[] result, Duration retention) {
      return false;
    }

    @Override
    public boolean renew(RecordId id, String ownerToken, Duration leaseTtl) {
      return false;
    }

    @Override
    public boolean release(RecordId id, String ownerToken) {
      return false;
    }
  }

  /** A store that cannot answer: every call fails as a network store does when it is down. */
  private static final class UnreachableStore implements IdempotencyStore {
    private final Supplier<? extends RuntimeException> failure;

    UnreachableStore(Supplier<? extends RuntimeException> failure) {
      this.failure = failure;
    }

    @Override
    public ClaimResult claim(RecordId id, String fingerprint, String ownerToken, Duration leaseTtl) {
      throw failure.get();
    }

    @Override
    public boolean complete(RecordId id, String ownerToken, byte[] result, Duration retention) {
      throw failure.get();
    }

    @Override
    public boolean renew(RecordId id, String ownerToken, Duration leaseTtl) {
      throw failure.get();
    }

    @Override
    public boolean release(RecordId id, String ownerToken) {
      throw failure.get();
    }
  }
}
