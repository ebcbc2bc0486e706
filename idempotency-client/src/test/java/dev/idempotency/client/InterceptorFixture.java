package dev.idempotency.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.contract.FakeTime;
import dev.idempotency.contract.IdempotencyKey;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.BufferedSink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * What the interceptor's tests share: a real local server, one {@link FakeTime} for the ticker,
 * the sleeper and the clocks, a recording listener, and the helpers that send a payment and
 * check the keys the server received. Each test gets its own.
 */
abstract class InterceptorFixture {
  static final MediaType JSON = MediaType.get("application/json");
  static final IdempotentAction PAY = IdempotentAction.of("pay:order-42");

  MockWebServer server;
  FakeTime time;
  RecordingListener listener;
  IdempotencyKeyRegistry registry;

  @BeforeEach
  void startServer() throws IOException {
    server = new MockWebServer();
    server.start();
    time = new FakeTime();
    listener = new RecordingListener();
    registry = IdempotencyKeyRegistry.builder().clock(time.clock()).build();
  }

  @AfterEach
  void stopServer() {
    server.close();
  }

  /** An interceptor on this test's registry, time and listener, with a seeded jitter. */
  IdempotencyInterceptor.Builder interceptor() {
    return IdempotencyInterceptor.builder()
        .registry(registry)
        .ticker(time)
        .sleeper(time)
        .clock(time.clock())
        .random(new Random(42))
        .listener(listener);
  }

  /** A client without OkHttp's own silent resends, so request counts are exact. */
  static OkHttpClient client(IdempotencyInterceptor interceptor) {
    return new OkHttpClient.Builder().addInterceptor(interceptor).retryOnConnectionFailure(false).build();
  }

  static Response call(IdempotencyInterceptor interceptor, Request request) throws IOException {
    return client(interceptor).newCall(request).execute();
  }

  Request payRequest() {
    return request(PAY);
  }

  Request request(IdempotentAction action) {
    return new Request.Builder()
        .url(server.url("/pay"))
        .post(RequestBody.create("{\"amount\":100}", JSON))
        .tag(IdempotentAction.class, action)
        .build();
  }

  static MockResponse status(int code) {
    return new MockResponse.Builder().code(code).build();
  }

  List<RecordedRequest> take(int n) throws InterruptedException {
    List<RecordedRequest> requests = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      RecordedRequest r = server.takeRequest(5, TimeUnit.SECONDS);
      assertThat(r).as("request " + (i + 1) + " of " + n).isNotNull();
      requests.add(r);
    }
    return requests;
  }

  static Set<String> keysOf(List<RecordedRequest> requests) {
    return new HashSet<>(keysInOrder(requests));
  }

  static List<String> keysInOrder(List<RecordedRequest> requests) {
    List<String> keys = new ArrayList<>();
    for (RecordedRequest r : requests) {
      String key = r.getHeaders().get("Idempotency-Key");
      assertThat(key).as("every attempt carries a key").isNotNull();
      keys.add(key);
    }
    return keys;
  }

  /** Takes n requests, checks that they all carried one key, and returns it. */
  IdempotencyKey onlyKey(int n) throws InterruptedException {
    Set<String> keys = keysOf(take(n));
    assertThat(keys).hasSize(1);
    assertThat(server.getRequestCount()).isEqualTo(n);
    return IdempotencyKey.of(keys.iterator().next());
  }

  /** A request body that may be written once only. */
  static RequestBody oneShot(String content) {
    RequestBody delegate = RequestBody.create(content, JSON);
    return new RequestBody() {
      @Override
      public MediaType contentType() {
        return delegate.contentType();
      }

      @Override
      public long contentLength() throws IOException {
        return delegate.contentLength();
      }

      @Override
      public void writeTo(BufferedSink sink) throws IOException {
        delegate.writeTo(sink);
      }

      @Override
      public boolean isOneShot() {
        return true;
      }
    };
  }
}
