package dev.idempotency.client;

import dev.idempotency.contract.IdempotencyKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One key per business action: {@link #keyFor} returns the same key for an action until the
 * action ends (it succeeds or definitively fails, and the {@link IdempotencyInterceptor} calls
 * {@link #forget(IdempotentAction, IdempotencyKey)}), or until the key expires. So a user's manual
 * retry of an action whose outcome was unknown, or in progress, sends the first key again and the
 * server answers with the first result instead of running the action twice.
 *
 * <p>Keys expire {@linkplain Builder#keyLifetime a key lifetime} after they were made (default 24
 * hours, the server's default retention): past that, the server may have forgotten the key, so
 * reusing it would no longer protect anything, and a fresh key is made. Keys live in an
 * {@link IdempotencyKeyStore}: in memory by default, or in files with {@link FileKeyStore} to
 * survive a restart.
 *
 * <p>This class is threadsafe: calls for one action are serialized, so however many threads ask
 * for an action's key at once, they all get the same one.
 */
public final class IdempotencyKeyRegistry {
  /** The server's default retention of a completed key (see the contract): 24 hours. */
  public static final Duration DEFAULT_KEY_LIFETIME = Duration.ofHours(24);

  // Lock striping: enough stripes that unrelated actions rarely wait on each other, few enough
  // to allocate up front. Calls for one action always take the same stripe.
  private static final int LOCK_STRIPES = 64;

  private final IdempotencyKeyStore store;
  private final KeyGenerator generator;
  private final Duration keyLifetime;
  private final Clock clock;
  private final Object[] locks = new Object[LOCK_STRIPES];

  private IdempotencyKeyRegistry(Builder b) {
    this.store = b.store != null ? b.store : IdempotencyKeyStore.inMemory();
    this.generator = b.generator;
    this.keyLifetime = b.keyLifetime;
    this.clock = b.clock;
    for (int i = 0; i < locks.length; i++) locks[i] = new Object();
  }

  /** Returns a builder with the defaults: in memory, UUID v4 keys, 24-hour lifetime. */
  public static Builder builder() {
    return new Builder();
  }

  /** Returns a registry with the defaults (in memory, UUID v4 keys, 24-hour lifetime). */
  public static IdempotencyKeyRegistry inMemory() {
    return builder().build();
  }

  /**
   * Returns the key of {@code action}: the key it already has, or a new one if it has none or its
   * key has expired.
   *
   * @throws NullPointerException if {@code action} is null
   * @throws IdempotencyKeyStoreException if the store cannot read or write the key
   */
  public IdempotencyKey keyFor(IdempotentAction action) {
    return acquire(action).key();
  }

  /**
   * Forgets {@code action}'s key, whatever it is: the next {@link #keyFor} makes a new one. An
   * unreadable entry (a corrupt file) is removed too; this is how to clear it.
   *
   * @return true if there was a key to forget
   * @throws IdempotencyKeyStoreException if the store cannot remove it
   */
  public boolean forget(IdempotentAction action) {
    Objects.requireNonNull(action, "action");
    synchronized (lockFor(action.name())) {
      boolean existed;
      try {
        existed = store.load(action.name()).isPresent();
      } catch (IdempotencyKeyStoreException unreadable) {
        // Forgetting is how an operator clears an unreadable entry: delete it regardless.
        existed = true;
      }
      store.delete(action.name());
      return existed;
    }
  }

  /**
   * Forgets {@code action}'s key only if it is still {@code key}. The interceptor calls this when
   * an action ends, so a call that ends late never forgets a newer key of the same action.
   *
   * @return true if the key was forgotten
   * @throws IdempotencyKeyStoreException if the store cannot read or remove it
   */
  public boolean forget(IdempotentAction action, IdempotencyKey key) {
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(key, "key");
    synchronized (lockFor(action.name())) {
      Optional<IdempotencyKeyStore.Entry> current = store.load(action.name());
      if (current.isEmpty() || !current.get().key().equals(key)) return false;
      store.delete(action.name());
      return true;
    }
  }

  /**
   * Removes every expired key from the store. Keys of actions that ended are removed when they
   * end; this removes the keys of actions that were abandoned (never tried again), which would
   * otherwise stay in the store. Call it now and then, for example once an hour.
   *
   * @return the number of keys removed
   */
  public int purgeExpired() {
    Instant now = clock.instant();
    int removed = 0;
    for (IdempotencyKeyStore.Entry seen : store.loadAll()) {
      if (!isExpired(seen, now)) continue;
      synchronized (lockFor(seen.action())) {
        // Check again under the lock: a concurrent keyFor may have replaced it.
        Optional<IdempotencyKeyStore.Entry> current = store.load(seen.action());
        if (current.isPresent() && isExpired(current.get(), now)) {
          store.delete(seen.action());
          removed++;
        }
      }
    }
    return removed;
  }

  /** The key lifetime. */
  public Duration keyLifetime() {
    return keyLifetime;
  }

  /** The store. */
  public IdempotencyKeyStore store() {
    return store;
  }

  @Override
  public String toString() {
    return "IdempotencyKeyRegistry(" + store + ", keyLifetime=" + keyLifetime + ")";
  }

  /** The key of an action, and whether it was made by this call. */
  record Lease(IdempotencyKey key, boolean created) {}

  Lease acquire(IdempotentAction action) {
    Objects.requireNonNull(action, "action");
    synchronized (lockFor(action.name())) {
      Instant now = clock.instant();
      Optional<IdempotencyKeyStore.Entry> current = store.load(action.name());
      if (current.isPresent() && !isExpired(current.get(), now)) {
        return new Lease(current.get().key(), false);
      }
      IdempotencyKey key = newKey();
      store.save(new IdempotencyKeyStore.Entry(action.name(), key, now));
      return new Lease(key, true);
    }
  }

  /** A new key from this registry's generator, not tied to any action. */
  IdempotencyKey newKey() {
    return Objects.requireNonNull(generator.newKey(), "KeyGenerator returned null");
  }

  private boolean isExpired(IdempotencyKeyStore.Entry entry, Instant now) {
    return !now.isBefore(entry.createdAt().plus(keyLifetime));
  }

  private Object lockFor(String action) {
    int h = action.hashCode();
    h ^= (h >>> 16);
    return locks[h & (LOCK_STRIPES - 1)];
  }

  /** Builds an {@link IdempotencyKeyRegistry}. Not threadsafe; {@link #build} copies it. */
  public static final class Builder {
    private IdempotencyKeyStore store;
    private KeyGenerator generator = KeyGenerator.uuidV4();
    private Duration keyLifetime = DEFAULT_KEY_LIFETIME;
    private Clock clock = Clock.systemUTC();

    private Builder() {}

    /**
     * Where keys are kept. Default: {@link IdempotencyKeyStore#inMemory()}, a new one per
     * registry.
     */
    public Builder store(IdempotencyKeyStore store) {
      this.store = Objects.requireNonNull(store, "store");
      return this;
    }

    /** How keys are made. Default: {@link KeyGenerator#uuidV4()}. */
    public Builder keyGenerator(KeyGenerator generator) {
      this.generator = Objects.requireNonNull(generator, "generator");
      return this;
    }

    /**
     * How long a key is reused after it was made. Default: {@link #DEFAULT_KEY_LIFETIME} (24 h).
     * Keep it no longer than the server's retention of completed keys.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder keyLifetime(Duration keyLifetime) {
      Objects.requireNonNull(keyLifetime, "keyLifetime");
      if (keyLifetime.isNegative() || keyLifetime.isZero()) {
        throw new IllegalArgumentException("keyLifetime must be positive: " + keyLifetime);
      }
      this.keyLifetime = keyLifetime;
      return this;
    }

    /** The clock that dates keys. Default: {@link Clock#systemUTC()}. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    public IdempotencyKeyRegistry build() {
      return new IdempotencyKeyRegistry(this);
    }
  }
}
