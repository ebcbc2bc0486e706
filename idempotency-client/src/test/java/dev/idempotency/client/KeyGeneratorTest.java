package dev.idempotency.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * The contract's "a random key carries its full entropy": a v4 key has 122 random bits, a v7 key
 * 74 after its timestamp; no byte of a key is derived from another byte of it or of the key before
 * it; no key repeats in a million made by four threads at once.
 *
 * <p>The statistical bounds are set so that a correct generator fails them about once in a
 * million runs or less (each bound says how), while a byte derived from another one exceeds them
 * by two orders of magnitude.
 */
class KeyGeneratorTest {
  private static final int SAMPLE = 100_000;
  private static final int THREADS = 4;
  private static final int KEYS_PER_THREAD = 250_000;

  // Which bits are random. v4 (RFC 9562 section 5.4): all but the version (bits 48-51 of the key,
  // the high half's bits 12-15) and the variant (the low half's top two bits). v7 (section 5.7):
  // rand_a, the high half's low 12 bits, and rand_b, the low half's low 62; the top 48 bits are
  // the millisecond timestamp.
  private static final long V4_HIGH = ~0xF000L;
  private static final long V7_HIGH = 0x0FFFL;
  private static final long LOW = 0x3FFF_FFFF_FFFF_FFFFL;

  // --- v4 ---------------------------------------------------------------------------------------

  @Test
  void v4_isVersion4WithTheRfcVariant() {
    for (UUID u : sample(KeyGenerator.uuidV4(), 1000)) {
      assertThat(u.version()).isEqualTo(4);
      assertThat(u.variant()).isEqualTo(2);
    }
  }

  @Test
  void v4_theLowHalfIsNotTheHighHalfShiftedByOneByte() {
    // The defect this guards against: java-uuid-generator 5.2.0's RandomBasedGenerator, given a
    // SecureRandom, built the low half from bytes 1-8 of the same 16 random bytes, so bytes 8-14
    // of every key repeated bytes 1-7 and a key had 72 random bits. By chance the 50 random bits
    // that comparison covers match in one key in 2^50.
    List<UUID> keys = sample(KeyGenerator.uuidV4(), SAMPLE);
    long shifted = keys.stream().filter(KeyGeneratorTest::bytes1To7RepeatAsBytes8To14).count();
    assertThat(shifted).as("keys whose bytes 8-14 repeat bytes 1-7, of %d", SAMPLE).isZero();
  }

  @Test
  void v4_has122BitsThatAreEachOneHalfOfTheTime() {
    assertEveryBitIsFair(sample(KeyGenerator.uuidV4(), SAMPLE), V4_HIGH, LOW, 122);
  }

  @Test
  void v4_noByteFollowsFromAnotherOfTheKeyOrOfTheKeyBefore() {
    assertBytesIndependent(sample(KeyGenerator.uuidV4(), SAMPLE), V4_HIGH, LOW);
  }

  @Test
  void v4_noDuplicatesInAMillionFromFourThreads() throws Exception {
    assertNoDuplicates(KeyGenerator.uuidV4());
  }

  // --- v7 ---------------------------------------------------------------------------------------

  @Test
  void v7_isVersion7WithTheRfcVariantAndTheCurrentMillisecond() {
    KeyGenerator v7 = KeyGenerator.uuidV7();
    for (int i = 0; i < 1000; i++) {
      long before = System.currentTimeMillis();
      UUID u = UUID.fromString(v7.newKey().value());
      long after = System.currentTimeMillis();
      assertThat(u.version()).isEqualTo(7);
      assertThat(u.variant()).isEqualTo(2);
      assertThat(u.getMostSignificantBits() >>> 16).isBetween(before, after);
    }
  }

  @Test
  void v7_has74BitsAfterTheTimestampThatAreEachOneHalfOfTheTime() {
    // Keys made in a tight loop, many in each millisecond: the random part of each is its own,
    // not the last key's plus one.
    assertEveryBitIsFair(sample(KeyGenerator.uuidV7(), SAMPLE), V7_HIGH, LOW, 74);
  }

  @Test
  void v7_noRandomByteFollowsFromAnotherOfTheKeyOrOfTheKeyBefore() {
    assertBytesIndependent(sample(KeyGenerator.uuidV7(), SAMPLE), V7_HIGH, LOW);
  }

  @Test
  void v7_noDuplicatesInAMillionFromFourThreads() throws Exception {
    assertNoDuplicates(KeyGenerator.uuidV7());
  }

  @Test
  void v7_keysFromLaterMillisecondsSortAfterEarlierOnes() {
    KeyGenerator v7 = KeyGenerator.uuidV7();
    List<String> keys = new ArrayList<>();
    String last = v7.newKey().value();
    keys.add(last);
    // Waits for the clock to move on, three times; nothing is timed.
    while (keys.size() < 4) {
      String next = v7.newKey().value();
      if (millis(next) != millis(last)) keys.add(next);
      last = next;
    }
    assertThat(keys).isSorted();
  }

  // --- checks -----------------------------------------------------------------------------------

  private static List<UUID> sample(KeyGenerator generator, int n) {
    List<UUID> keys = new ArrayList<>(n);
    for (int i = 0; i < n; i++) keys.add(UUID.fromString(generator.newKey().value()));
    return keys;
  }

  private static long millis(String uuid) {
    return UUID.fromString(uuid).getMostSignificantBits() >>> 16;
  }

  private static boolean bytes1To7RepeatAsBytes8To14(UUID u) {
    byte[] b = bytes(u);
    byte[] mask = byteMasks(V4_HIGH, LOW);
    for (int i = 1; i <= 7; i++) {
      int m = mask[i] & mask[i + 7];
      if ((b[i] & m) != (b[i + 7] & m)) return false;
    }
    return true;
  }

  /**
   * Each random bit is set in about half the keys. A bit's count of ones in n keys has a standard
   * deviation of sqrt(n)/2; a fair bit lands more than 6 of them from n/2 with probability 2e-9,
   * so a correct generator fails this once in about 4 million runs of 122 bits. A stuck bit is
   * 316 standard deviations out at n = 100,000.
   */
  private static void assertEveryBitIsFair(List<UUID> keys, long highMask, long lowMask, int randomBits) {
    assertThat(Long.bitCount(highMask) + Long.bitCount(lowMask)).isEqualTo(randomBits);
    int n = keys.size();
    long[] ones = new long[128];
    for (UUID u : keys) {
      long hi = u.getMostSignificantBits();
      long lo = u.getLeastSignificantBits();
      for (int bit = 0; bit < 64; bit++) {
        ones[bit] += (hi >>> bit) & 1;
        ones[64 + bit] += (lo >>> bit) & 1;
      }
    }
    double bound = 6 * Math.sqrt(n) / 2;
    List<String> unfair = new ArrayList<>();
    for (int bit = 0; bit < 128; bit++) {
      long mask = bit < 64 ? highMask : lowMask;
      if (((mask >>> (bit % 64)) & 1) == 0) continue;
      if (Math.abs(ones[bit] - n / 2.0) > bound) {
        unfair.add((bit < 64 ? "high" : "low") + " bit " + (bit % 64) + ": " + ones[bit] + " ones");
      }
    }
    assertThat(unfair).as("random bits set in other than half of %d keys (bound ±%.0f)", n, bound)
        .isEmpty();
  }

  /**
   * For every pair of bytes among a key's random bits and the next key's (a byte of v4 with all
   * 16, of v7 the 10 after the timestamp), the pair's common random bits are equal in about
   * n / 2^bits of the n keys. A byte copied from another, whole or shifted into place, is equal
   * in every key. Bound: 7 standard deviations either side; by the Chernoff bound a correct
   * generator exceeds it with probability below 1e-9 per pair, for the at most 496 pairs below
   * once in 2 million runs.
   */
  private static void assertBytesIndependent(List<UUID> keys, long highMask, long lowMask) {
    byte[] mask16 = byteMasks(highMask, lowMask);
    byte[] mask = new byte[32];
    System.arraycopy(mask16, 0, mask, 0, 16);
    System.arraycopy(mask16, 0, mask, 16, 16);
    long[][] equal = new long[32][32];
    byte[] pair = new byte[32];
    for (int k = 0; k + 1 < keys.size(); k++) {
      System.arraycopy(bytes(keys.get(k)), 0, pair, 0, 16);
      System.arraycopy(bytes(keys.get(k + 1)), 0, pair, 16, 16);
      for (int i = 0; i < 16; i++) { // a byte of this key against the later bytes of both
        for (int j = i + 1; j < 32; j++) {
          int m = mask[i] & mask[j] & 0xFF;
          if (m != 0 && (pair[i] & m) == (pair[j] & m)) equal[i][j]++;
        }
      }
    }
    int n = keys.size() - 1;
    List<String> dependent = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      for (int j = i + 1; j < 32; j++) {
        int m = mask[i] & mask[j] & 0xFF;
        if (m == 0) continue;
        double p = Math.pow(2, -Integer.bitCount(m));
        double expected = n * p;
        double bound = 7 * Math.sqrt(n * p * (1 - p));
        if (Math.abs(equal[i][j] - expected) > bound) {
          dependent.add("byte " + i + " = " + (j < 16 ? "byte " + j : "next key's byte " + (j - 16))
              + " in " + equal[i][j] + " keys (expected " + Math.round(expected) + " ± "
              + Math.round(bound) + ")");
        }
      }
    }
    assertThat(dependent).as("byte pairs equal more or less often than chance, in %d keys", n)
        .isEmpty();
  }

  /**
   * Four threads make 250,000 keys each, all at once. Both versions carry 62 random bits in the
   * low half, so keys whose low halves all differ are all distinct; only if two low halves match
   * (chance 1e-7) are the whole keys compared.
   */
  private static void assertNoDuplicates(KeyGenerator generator) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<UUID[]>> futures = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        futures.add(pool.submit(() -> {
          UUID[] made = new UUID[KEYS_PER_THREAD];
          start.await();
          for (int i = 0; i < made.length; i++) made[i] = UUID.fromString(generator.newKey().value());
          return made;
        }));
      }
      start.countDown();
      List<UUID> all = new ArrayList<>(THREADS * KEYS_PER_THREAD);
      for (Future<UUID[]> f : futures) all.addAll(Arrays.asList(f.get()));
      long[] low = all.stream().mapToLong(UUID::getLeastSignificantBits).sorted().toArray();
      boolean lowRepeats = false;
      for (int i = 1; i < low.length; i++) lowRepeats |= low[i] == low[i - 1];
      if (lowRepeats) {
        Set<UUID> distinct = new HashSet<>(all);
        assertThat(distinct).as("distinct keys of %d", all.size()).hasSize(all.size());
      }
      assertThat(all).hasSize(THREADS * KEYS_PER_THREAD);
    } finally {
      pool.shutdownNow();
    }
  }

  private static byte[] bytes(UUID u) {
    byte[] b = new byte[16];
    long hi = u.getMostSignificantBits();
    long lo = u.getLeastSignificantBits();
    for (int i = 0; i < 8; i++) {
      b[i] = (byte) (hi >>> (56 - 8 * i));
      b[8 + i] = (byte) (lo >>> (56 - 8 * i));
    }
    return b;
  }

  private static byte[] byteMasks(long highMask, long lowMask) {
    return bytes(new UUID(highMask, lowMask));
  }
}
