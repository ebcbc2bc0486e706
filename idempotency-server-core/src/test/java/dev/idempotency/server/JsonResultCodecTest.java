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

  /**
   * The framed form the guard stores is the tag byte, then exactly what encode writes, for small
   * results and for results longer than Jackson's buffer (written in several pieces); a slice
   * decodes as the whole array does.
   */
  @Test
  void aPrefixedEncodingIsTheByteThenTheEncodingAndASliceDecodes() {
    JsonResultCodec<String> codec = JsonResultCodec.of(String.class);
    for (String value : new String[] {"", "paid", "\u00e9\u20ac".repeat(10), "x".repeat(100_000), null}) {
      byte[] plain = codec.encode(value);
      byte[] framed = codec.encodeWithPrefix(value, (byte) 7);
      assertThat(framed.length).isEqualTo(plain.length + 1);
      assertThat(framed[0]).isEqualTo((byte) 7);
      assertThat(java.util.Arrays.copyOfRange(framed, 1, framed.length)).isEqualTo(plain);
      assertThat(codec.decode(framed, 1, framed.length - 1)).isEqualTo(value);
    }
    assertThatThrownBy(() -> codec.decode(new byte[3], 2, 2)).isInstanceOf(IndexOutOfBoundsException.class);
  }

  /** A codec of one's own gets the slice through the interface's default, as a copy. */
  @Test
  void theDefaultSliceDecodeCopiesTheSlice() {
    ResultCodec<String> utf8 = new ResultCodec<>() {
      @Override
      public byte[] encode(String value) {
        return value.getBytes(StandardCharsets.UTF_8);
      }

      @Override
      public String decode(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
      }
    };
    byte[] framed = "#paid!".getBytes(StandardCharsets.UTF_8);
    assertThat(utf8.decode(framed, 1, 4)).isEqualTo("paid");
    assertThatThrownBy(() -> utf8.decode(framed, 5, 2)).isInstanceOf(IndexOutOfBoundsException.class);
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
