package dev.idempotency.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The batch behind {@link KeyGenerator#uuidV4()}: every key takes its own 16 bytes, in order,
 * and a new draw happens only once the batch is spent. KeyGeneratorTest checks the bits.
 */
class RandomKeysTest {
  @Test
  void eachKeyIsTheNext16BytesOfTheDraw_withTheVersionAndVariantSet() {
    CountingRandom random = new CountingRandom();
    RandomKeys keys = new RandomKeys(random);
    List<UUID> made = new ArrayList<>();
    for (int i = 0; i < 17; i++) made.add(keys.next());
    assertThat(random.draws).as("16 keys per draw").isEqualTo(2);
    // The counting random writes 0, 1, 2, ... into each draw.
    assertThat(made.get(0)).isEqualTo(new UUID(0x0001020304054607L, 0x88090a0b0c0d0e0fL));
    assertThat(made.get(1)).isEqualTo(new UUID(0x1011121314154617L, 0x98191a1b1c1d1e1fL));
    assertThat(made.get(16)).as("the second draw").isEqualTo(made.get(0));
    assertThat(made).allSatisfy(u -> {
      assertThat(u.version()).isEqualTo(4);
      assertThat(u.variant()).isEqualTo(2);
    });
  }

  /** Fills every draw with 0, 1, 2, ...; counts the draws. */
  private static final class CountingRandom extends SecureRandom {
    private static final long serialVersionUID = 1L;
    int draws;

    @Override
    public void nextBytes(byte[] bytes) {
      draws++;
      for (int i = 0; i < bytes.length; i++) bytes[i] = (byte) i;
    }
  }
}
