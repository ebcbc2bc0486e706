package dev.idempotency.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The documented defaults and the argument checks of the retry policy. */
class RetryPolicyTest {
  @Test
  void defaults_areTheDocumentedOnes() {
    RetryPolicy p = RetryPolicy.defaults();
    assertThat(p.maxAttempts()).isEqualTo(5);
    assertThat(p.baseDelay()).isEqualTo(Duration.ofMillis(100));
    assertThat(p.maxDelay()).isEqualTo(Duration.ofSeconds(10));
    assertThat(p.maxRetryAfter()).isEqualTo(Duration.ofSeconds(60));
    assertThat(p.deadline()).isEqualTo(Duration.ofSeconds(30));
    assertThat(p.budgetTokens()).isEqualTo(500);
    assertThat(p.retryCost()).isEqualTo(5);
    assertThat(p.timeoutRetryCost()).isEqualTo(10);
    assertThat(p.successRefund()).isEqualTo(1);
  }

  @Test
  void newBuilder_copiesEverySetting_andTheBuiltPolicyDoesNotChange() {
    RetryPolicy.Builder builder = RetryPolicy.builder().maxAttempts(3)
        .backoff(Duration.ofMillis(5), Duration.ofMillis(50)).maxRetryAfter(Duration.ofSeconds(1))
        .deadline(Duration.ofSeconds(2)).budgetTokens(7).budgetCosts(2, 3, 0);
    RetryPolicy p = builder.build();
    builder.maxAttempts(9);
    assertThat(p.maxAttempts()).isEqualTo(3);
    assertThat(p.newBuilder().build()).usingRecursiveComparison().isEqualTo(p);
  }

  @Test
  void badValues_areRefusedWhereTheyEnter() {
    assertThatThrownBy(() -> RetryPolicy.builder().maxAttempts(0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RetryPolicy.builder().backoff(null, Duration.ZERO))
        .isInstanceOf(NullPointerException.class).hasMessage("baseDelay");
    assertThatThrownBy(() -> RetryPolicy.builder().backoff(Duration.ofMillis(-1), Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RetryPolicy.builder().deadline(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RetryPolicy.builder().budgetTokens(-1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RetryPolicy.builder().budgetCosts(0, 1, 1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void conflictingSettings_areRefusedAtBuild() {
    assertThatThrownBy(() -> RetryPolicy.builder()
            .backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("baseDelay");
  }
}
