package dev.idempotency.contract;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IdempotencyHeadersTest {

  @Test
  void namesAreTheContractsOwn() {
    assertThat(IdempotencyHeaders.IDEMPOTENCY_KEY).isEqualTo("Idempotency-Key");
    assertThat(IdempotencyHeaders.IDEMPOTENT_REPLAYED).isEqualTo("Idempotent-Replayed");
    assertThat(IdempotencyHeaders.RETRY_AFTER).isEqualTo("Retry-After");
  }

  @ParameterizedTest
  @ValueSource(strings = {"true", "TRUE", "True", " true ", "?1"})
  void replayedValues(String value) {
    assertThat(IdempotencyHeaders.isReplayed(value)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"false", "?0", "1", "yes", "", "truthy"})
  void notReplayedValues(String value) {
    assertThat(IdempotencyHeaders.isReplayed(value)).isFalse();
  }

  @Test
  void absentIsNotReplayed() {
    assertThat(IdempotencyHeaders.isReplayed(null)).isFalse();
  }
}
