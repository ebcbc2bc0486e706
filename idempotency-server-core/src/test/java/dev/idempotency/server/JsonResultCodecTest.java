package dev.idempotency.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import dev.idempotency.server.IdempotencyGuardTest.Receipt;
import dev.idempotency.server.store.InMemoryIdempotencyStore;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class JsonResultCodecTest {
  @Test
  void genericResultsRoundTripThroughATypeReference() {
    JsonResultCodec<List<Receipt>> codec = JsonResultCodec.of(new TypeReference<List<Receipt>>() {});
    List<Receipt> receipts = List.of(IdempotencyGuardTest.receipt("a"), IdempotencyGuardTest.receipt("b"));
    assertThat(codec.decode(codec.encode(receipts))).isEqualTo(receipts);
  }

  @Test
  void theGuardUsesTheInjectedMapper() {
    ObjectMapper snake = new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);
    record Charge(String chargeId) {}
    byte[] stored = JsonResultCodec.of(Charge.class, snake).encode(new Charge("ch_1"));
    assertThat(new String(stored, StandardCharsets.UTF_8)).isEqualTo("{\"charge_id\":\"ch_1\"}");

    try (IdempotencyGuard guard = IdempotencyGuard.builder()
        .store(new InMemoryIdempotencyStore()).objectMapper(snake).build()) {
      guard.execute("k", Charge.class, () -> new Charge("ch_1"));
      assertThat(guard.execute("k", Charge.class, () -> new Charge("other"))).isEqualTo(new Charge("ch_1"));
      // The default mapper cannot read what the guard stored: it was written in snake_case.
      assertThatThrownBy(() -> guard.execute("k", JsonResultCodec.of(Charge.class), () -> new Charge("other")))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("charge_id");
    }
  }

  @Test
  void jacksonExceptionsDoNotLeak() {
    class Opaque {} // no properties: Jackson refuses empty beans
    assertThatThrownBy(() -> JsonResultCodec.of(Opaque.class).encode(new Opaque()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasCauseInstanceOf(JsonProcessingException.class);
    assertThatThrownBy(() -> JsonResultCodec.of(Receipt.class).decode("{not json".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasCauseInstanceOf(JsonProcessingException.class);
  }
}
