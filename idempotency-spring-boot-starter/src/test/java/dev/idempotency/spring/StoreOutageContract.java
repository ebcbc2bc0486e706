package dev.idempotency.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.contract.ProblemType;
import okhttp3.Request;
import org.junit.jupiter.api.Test;

/** The rows of a store that can be down: 503 and no effect, health DOWN, then UP and running again. */
abstract class StoreOutageContract extends PaymentsAppContract {
  abstract void stopStore();

  abstract void startStore();

  @Test
  void aStoreThatIsDownIs503RunsNothingAndIsDownInHealth() throws Exception {
    String key = key();
    int before = effects.count();
    stopStore();
    try {
      Answer down = send(post(key, "{\"order\":\"o-8\"}").build());
      assertProblem(down, ProblemType.STORE_UNAVAILABLE, 503);
      assertThat(Integer.parseInt(down.retryAfter())).isPositive();
      assertThat(effects.count()).isEqualTo(before);

      Answer health = send(new Request.Builder().url(url("/actuator/health/idempotency")).build());
      assertThat(health.status()).isEqualTo(503);
      assertThat(health.body()).contains("\"status\":\"DOWN\"").contains("\"reason\"");
    } finally {
      startStore();
    }
    Answer health = send(new Request.Builder().url(url("/actuator/health/idempotency")).build());
    assertThat(health.body()).contains("\"status\":\"UP\"");
    assertThat(send(post(key, "{\"order\":\"o-8\"}").build()).status()).isEqualTo(201);
    assertThat(effects.count()).isEqualTo(before + 1);
  }
}
