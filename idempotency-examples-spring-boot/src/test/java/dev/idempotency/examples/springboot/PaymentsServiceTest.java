package dev.idempotency.examples.springboot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.client.IdempotencyInterceptor;
import dev.idempotency.client.IdempotencyOutcome;
import java.io.IOException;
import java.util.UUID;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/** The example over HTTP with the project's client: one key, one payment, however often it is sent. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class PaymentsServiceTest {
  @LocalServerPort int port;

  final OkHttpClient client = new OkHttpClient.Builder()
      .addInterceptor(IdempotencyInterceptor.builder().build())
      .build();

  Request pay(String key, String body) {
    return new Request.Builder().url("http://127.0.0.1:" + port + "/payments")
        .header("Idempotency-Key", key)
        .post(RequestBody.create(body, MediaType.get("application/json")))
        .build();
  }

  String list() throws IOException {
    try (Response r = client.newCall(new Request.Builder().url("http://127.0.0.1:" + port + "/payments").build()).execute()) {
      return r.body().string();
    }
  }

  @Test
  void oneKeyChargesOnceAndARefusalIsReplayedToo() throws IOException {
    String key = UUID.randomUUID().toString();
    String first;
    try (Response r = client.newCall(pay(key, "{\"orderId\":\"o-1\",\"amountCents\":1250}")).execute()) {
      assertThat(r.code()).isEqualTo(201);
      first = r.body().string();
      assertThat(first).contains("\"orderId\":\"o-1\"").contains("\"fencingToken\":");
    }
    try (Response r = client.newCall(pay(key, "{\"orderId\":\"o-1\",\"amountCents\":1250}")).execute()) {
      assertThat(IdempotencyOutcome.of(r)).isInstanceOfSatisfying(IdempotencyOutcome.Succeeded.class,
          s -> assertThat(s.replayed()).isTrue());
      assertThat(r.body().string()).isEqualTo(first);
    }
    assertThat(list()).containsOnlyOnce("\"orderId\":\"o-1\"");

    String refused = UUID.randomUUID().toString();
    for (String replayed : new String[] {null, "true"}) {
      try (Response r = client.newCall(pay(refused, "{\"orderId\":\"o-2\",\"amountCents\":0}")).execute()) {
        assertThat(r.code()).isEqualTo(422);
        assertThat(r.header("Idempotent-Replayed")).isEqualTo(replayed);
      }
    }
  }
}
