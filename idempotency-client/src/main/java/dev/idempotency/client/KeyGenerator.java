package dev.idempotency.client;

import com.fasterxml.uuid.Generators;
import com.fasterxml.uuid.impl.RandomBasedGenerator;
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
   * {@link SecureRandom}, every bit but the 4 of the version and the 2 of the variant. Each key
   * draws 16 bytes, as two reads of 8; no key is derived from another. This generator is
   * threadsafe.
   */
  static KeyGenerator uuidV4() {
    // java-uuid-generator 5.2.0 given a SecureRandom overlaps the halves (72 random bits): the
    // facade makes it draw two independent longs instead. See SecureRandomFacade.
    RandomBasedGenerator generator =
        Generators.randomBasedGenerator(new SecureRandomFacade(new SecureRandom()));
    return () -> IdempotencyKey.of(generator.generate().toString());
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
