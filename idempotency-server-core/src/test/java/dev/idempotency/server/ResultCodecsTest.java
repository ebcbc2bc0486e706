package dev.idempotency.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.server.store.InMemoryIdempotencyStore;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The plain codecs round-trip through a guard, and read slices in place. */
class ResultCodecsTest {
  @Test
  void utf8BytesAndNoneRoundTripThroughAGuard() {
    try (IdempotencyGuard guard = IdempotencyGuard.builder().store(new InMemoryIdempotencyStore()).build()) {
      AtomicInteger runs = new AtomicInteger();
      assertThat(guard.execute("t", ResultCodec.utf8(), () -> "zahlung \u00fc " + runs.incrementAndGet()))
          .isEqualTo("zahlung \u00fc 1");
      assertThat(guard.execute("t", ResultCodec.utf8(), () -> "again " + runs.incrementAndGet()))
          .isEqualTo("zahlung \u00fc 1");

      byte[] raw = {0, (byte) 0xFF, 7};
      assertThat(guard.execute("b", ResultCodec.bytes(), () -> raw)).isEqualTo(raw);
      byte[] replayed = guard.execute("b", ResultCodec.bytes(), () -> new byte[] {1});
      assertThat(replayed).isEqualTo(raw).isNotSameAs(raw);

      assertThat(guard.execute("n", ResultCodec.none(), () -> null)).isNull();
      assertThat(guard.executeDetailed(IdempotentCall.of("n"), ResultCodec.none(), () -> null).replayed()).isTrue();
      assertThat(runs).hasValue(1);
    }
  }

  @Test
  void slicesAreReadInPlace() {
    byte[] framed = "#paid!".getBytes(StandardCharsets.UTF_8);
    assertThat(ResultCodec.utf8().decode(framed, 1, 4)).isEqualTo("paid");
    assertThat(ResultCodec.bytes().decode(framed, 1, 4)).containsExactly('p', 'a', 'i', 'd');
  }
}
