package dev.idempotency.client;

import dev.idempotency.contract.IdempotencyKey;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Where an {@link IdempotencyKeyRegistry} keeps the key of each action that has not ended yet:
 * {@link #inMemory()} (the default, lost when the application stops) or a {@link FileKeyStore}
 * (survives a restart, so a payment interrupted by a crash is retried with its first key).
 *
 * <p>The registry serializes calls for one action, so an implementation only needs to be
 * threadsafe across actions. Give each store to one registry. Errors are
 * {@link IdempotencyKeyStoreException}s, and an error about one action must leave the others
 * readable.
 */
public interface IdempotencyKeyStore {
  /**
   * The stored key of one action.
   *
   * @param action the action's name
   * @param key its key
   * @param createdAt when the key was made; it expires a registry's key lifetime later
   */
  record Entry(String action, IdempotencyKey key, Instant createdAt) {
    public Entry {
      Objects.requireNonNull(action, "action");
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(createdAt, "createdAt");
    }
  }

  /**
   * Returns the entry stored for {@code action}, or empty if there is none.
   *
   * @throws IdempotencyKeyStoreException if the entry exists but cannot be read
   */
  Optional<Entry> load(String action);

  /**
   * Stores {@code entry}, replacing any entry for the same action. When this returns the entry is
   * durable, as far as the store promises durability.
   *
   * @throws IdempotencyKeyStoreException if it cannot be stored
   */
  void save(Entry entry);

  /**
   * Removes the entry for {@code action}, if any.
   *
   * @throws IdempotencyKeyStoreException if it cannot be removed
   */
  void delete(String action);

  /**
   * Returns every readable entry, for {@link IdempotencyKeyRegistry#purgeExpired()}. Entries that
   * cannot be read are left out (and left in place).
   */
  List<Entry> loadAll();

  /** Returns a new store that keeps entries in memory. It is threadsafe. */
  static IdempotencyKeyStore inMemory() {
    return new InMemoryKeyStore();
  }
}
