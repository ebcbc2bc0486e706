package dev.idempotency.client;

import com.fasterxml.uuid.Generators;
import com.fasterxml.uuid.impl.RandomBasedGenerator;
import com.fasterxml.uuid.impl.TimeBasedEpochGenerator;
import dev.idempotency.contract.IdempotencyKey;

/**
 * Makes new idempotency keys. Implementations must be threadsafe and must never return the same
 * key twice; never derive a key from a business field (two users can share an order number).
 */
@FunctionalInterface
public interface KeyGenerator {
  /** Returns a key that was never returned before. */
  IdempotencyKey newKey();

  /**
   * Random UUIDs (version 4, 122 random bits from a {@code SecureRandom}), the contract's default.
   * This generator is threadsafe.
   */
  static KeyGenerator uuidV4() {
    RandomBasedGenerator generator = Generators.randomBasedGenerator();
    return () -> IdempotencyKey.of(generator.generate().toString());
  }

  /**
   * Time-ordered UUIDs (version 7, RFC 9562): a millisecond timestamp then random bits, so keys
   * sort by creation time, which keeps a server's index on keys compact. This generator is
   * threadsafe.
   */
  static KeyGenerator uuidV7() {
    TimeBasedEpochGenerator generator = Generators.timeBasedEpochGenerator();
    return () -> IdempotencyKey.of(generator.generate().toString());
  }
}
