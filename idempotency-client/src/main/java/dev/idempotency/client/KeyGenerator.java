package dev.idempotency.client;

import com.fasterxml.uuid.Generators;
import com.fasterxml.uuid.impl.TimeBasedEpochRandomGenerator;
import dev.idempotency.contract.IdempotencyKey;
import java.security.SecureRandom;

/**
 * Makes new idempotency keys. Implementations must be threadsafe and must never return the same
 * key twice; never derive a key from a business field (two users can share an order number).
 */
@FunctionalInterface
public interface KeyGenerator {
  /** Returns a key that was never returned before. */
  IdempotencyKey newKey();

  /**
   * Random UUIDs (version 4, RFC 9562), the contract's default: 122 random bits from a
   * {@link SecureRandom}, every bit but the 4 of the version and the 2 of the variant, each key
   * from 16 bytes of its own; no key is derived from another. The bytes are drawn for 16 keys at
   * a time. This generator is threadsafe.
   */
  static KeyGenerator uuidV4() {
    // Not java-uuid-generator's RandomBasedGenerator: given a SecureRandom, its 5.2.0 builds the
    // low half from bytes 1 to 8 of the high half's draw, so a key has 72 random bits.
    RandomKeys keys = new RandomKeys(new SecureRandom());
    return () -> IdempotencyKey.of(keys.next().toString());
  }

  /**
   * Time-ordered UUIDs (version 7, RFC 9562): the 48-bit Unix time in milliseconds, then 74
   * random bits from a {@link SecureRandom} (the 12 of {@code rand_a} and the 62 of
   * {@code rand_b}), drawn afresh for every key. Keys sort by the millisecond they were made in,
   * which keeps a server's index on keys compact; keys of the same millisecond are in random
   * order, so no key tells the next one. This generator is threadsafe (it takes a lock per key
   * around its 10-byte draw).
   */
  static KeyGenerator uuidV7() {
    // Not Generators.timeBasedEpochGenerator(): within a millisecond it makes each key the last
    // one plus one, and its first key of a millisecond has 73 random bits, not 74.
    TimeBasedEpochRandomGenerator generator =
        Generators.timeBasedEpochRandomGenerator(new SecureRandom());
    return () -> IdempotencyKey.of(generator.generate().toString());
  }
}
