package dev.idempotency.server.redis;

import dev.idempotency.server.store.ClaimResult;
import dev.idempotency.server.store.IdempotencyStore;
import dev.idempotency.server.store.IdempotencyStoreUnavailableException;
import dev.idempotency.server.store.RecordId;
import java.lang.System.Logger.Level;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import redis.clients.jedis.Connection;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.util.Pool;

/**
 * An {@link IdempotencyStore} in Redis, standalone or Redis Cluster, shared by every server
 * instance that uses the same Redis. It takes any Jedis {@link UnifiedJedis}: {@code RedisClient},
 * {@code RedisClusterClient}, {@code JedisPooled} or {@code JedisCluster}. The caller owns the
 * client (its pool, timeouts and credentials) and closes it; this store never does.
 *
 * <pre>{@code
 * RedisClient redis = RedisClient.create("127.0.0.1", 6379);
 * IdempotencyStore store = RedisIdempotencyStore.builder(redis).build();
 * }</pre>
 *
 * <p>Each record is one Redis hash under {@code <keyPrefix>{<digest>}} (see the README, section
 * "redis"), and each operation is one Lua script, so it is atomic and costs ONE round trip:
 *
 * <ul>
 *   <li>a new key: 2 round trips, {@link #claim} then {@link #complete}, when the work ends
 *       before its first renewal; plus 1 per {@link #renew};
 *   <li>a repeat after completion, an in-progress answer or a fingerprint mismatch: 1 (the
 *       stored answer or the remaining lease comes back with the claim);
 *   <li>{@link #release}: 1.
 * </ul>
 *
 * <p>Scripts are called with EVALSHA; a node whose script cache is empty (restart, failover,
 * SCRIPT FLUSH) answers NOSCRIPT and that one call is sent again with EVAL, a second round trip
 * that loads the script on that node. Expiry is set by the same script that writes, and time is
 * Redis's own (PEXPIRE, PTTL): the clocks of the server instances play no part.
 *
 * <p>Every failure of Redis or of the client (unreachable, timed out, an error reply, an
 * unexpected answer) is thrown as {@link IdempotencyStoreUnavailableException} with the Jedis
 * exception as its cause; timeouts are the client's (Jedis's socket timeout). When Redis is
 * back, the next call works without a restart: a call whose pooled connection broke while idle
 * (reset, closed) is sent once more on a fresh connection, which is safe because every script
 * checks the owner token. A timed-out call is never retried; it may still have run in Redis, and
 * a claim left so expires with its lease.
 *
 * <p>Redis settings under which records vanish are checked when the store is built, with
 * {@code CONFIG GET} on the server, or on every node a {@code RedisClusterClient} or
 * {@code JedisCluster} knows (replicas too: one becomes a master at failover):
 *
 * <ul>
 *   <li>a {@code maxmemory-policy} other than {@code noeviction} is refused with
 *       {@link UnsafeRedisSettingsException}: every record has a TTL, so {@code volatile-*}
 *       policies evict claims too ({@link Builder#allowUnsafeEvictionPolicy()} accepts the risk);
 *   <li>neither AOF ({@code appendonly}) nor RDB ({@code save}) on is warned about, once;
 *   <li>a Redis that refuses {@code CONFIG} (renamed, denied by ACL, a managed service) is warned
 *       about, once, and used.
 * </ul>
 *
 * <p>If Redis cannot be reached at build, the check runs before the first call that reaches it,
 * and until it has passed no script is sent: a refused policy fails that call (and the next, until
 * the setting is fixed). The check runs once per store, not per call; a Redis restarted later with
 * other settings is not checked again.
 *
 * <p>This class is threadsafe.
 */
public final class RedisIdempotencyStore implements IdempotencyStore {
  /**
   * The default key prefix, {@value}: short, and names what the keys are when someone lists
   * them. Every key of this store is {@code <prefix>{<digest>}}.
   */
  public static final String DEFAULT_KEY_PREFIX = "idem:";

  // Redis keys may be 512 MB, but a prefix is a label: more than this is a mistake.
  private static final int MAX_KEY_PREFIX_LENGTH = 128;

  // Redis adds a TTL to its clock in milliseconds and refuses sums past 2^63 - 1; 100 years is
  // far more than any lease or retention and far from that edge.
  private static final long MAX_TTL_MILLIS = Duration.ofDays(36_525).toMillis();

  private static final LuaScript CLAIM = LuaScript.load("claim");
  private static final LuaScript COMPLETE = LuaScript.load("complete");
  private static final LuaScript RENEW = LuaScript.load("renew");
  private static final LuaScript RELEASE = LuaScript.load("release");

  private static final System.Logger LOG = System.getLogger(RedisIdempotencyStore.class.getName());

  private final UnifiedJedis jedis;
  private final String keyPrefix;
  private final RecordKeys keys;
  private final boolean allowUnsafeEvictionPolicy;
  private final Consumer<? super String> warnings;
  // Held while the settings are checked; a call that finds it held fails rather than queues.
  private final ReentrantLock checking = new ReentrantLock();
  // Set once the settings check has passed; no script is sent before.
  private volatile boolean checked;

  private RedisIdempotencyStore(Builder builder) {
    this.jedis = builder.jedis;
    this.keyPrefix = builder.keyPrefix;
    this.keys = new RecordKeys(keyPrefix);
    this.allowUnsafeEvictionPolicy = builder.allowUnsafeEvictionPolicy;
    this.warnings = builder.warnings;
  }

  /** A builder over {@code jedis}, which the store uses but never closes. */
  public static Builder builder(UnifiedJedis jedis) {
    return new Builder(jedis);
  }

  /** The key prefix this store writes under. */
  public String keyPrefix() {
    return keyPrefix;
  }

  /** One round trip. */
  @Override
  public ClaimResult claim(RecordId id, String fingerprint, String ownerToken, Duration leaseTtl) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(fingerprint, "fingerprint");
    Objects.requireNonNull(ownerToken, "ownerToken");
    byte[] lease = millis(leaseTtl, "leaseTtl");
    Object reply = call(CLAIM, id, utf8(fingerprint), utf8(ownerToken), lease);
    if (reply instanceof List<?> list && !list.isEmpty() && list.get(0) instanceof byte[] tag
        && tag.length == 1) {
      switch (tag[0]) {
        case 'A':
          if (list.size() == 2 && list.get(1) instanceof Long fence && fence > 0) {
            return new ClaimResult.Acquired(ownerToken, fence);
          }
          break;
        case 'C':
          if (list.size() == 2 && list.get(1) instanceof byte[] result) {
            return new ClaimResult.Completed(result);
          }
          break;
        case 'P':
          if (list.size() == 2 && list.get(1) instanceof Long pttl) {
            // PTTL is -1 for a key without expiry, which this store never writes: no time left.
            return new ClaimResult.InProgress(Duration.ofMillis(Math.max(0, pttl)));
          }
          break;
        case 'M':
          if (list.size() == 1) return new ClaimResult.FingerprintMismatch();
          break;
        default:
          break;
      }
    }
    throw unexpected(CLAIM, reply);
  }

  /** One round trip. */
  @Override
  public boolean complete(RecordId id, String ownerToken, byte[] result, Duration retention) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(ownerToken, "ownerToken");
    Objects.requireNonNull(result, "result");
    byte[] ttl = millis(retention, "retention");
    return flag(COMPLETE, call(COMPLETE, id, utf8(ownerToken), result, ttl));
  }

  /** One round trip. */
  @Override
  public boolean renew(RecordId id, String ownerToken, Duration leaseTtl) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(ownerToken, "ownerToken");
    byte[] lease = millis(leaseTtl, "leaseTtl");
    return flag(RENEW, call(RENEW, id, utf8(ownerToken), lease));
  }

  /** One round trip. */
  @Override
  public boolean release(RecordId id, String ownerToken) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(ownerToken, "ownerToken");
    return flag(RELEASE, call(RELEASE, id, utf8(ownerToken)));
  }

  @Override
  public String toString() {
    return "RedisIdempotencyStore{keyPrefix=" + keyPrefix + "}";
  }

  private Object call(LuaScript script, RecordId id, byte[]... args) {
    if (!checked) checkBefore(script);
    byte[] key = keys.key(id);
    try {
      try {
        return script.run(jedis, key, args);
      } catch (JedisConnectionException e) {
        if (!isStaleConnection(e)) throw e;
        // A pooled connection that broke while idle (Redis restarted, a proxy dropped it) fails
        // its first command. Its idle siblings are most likely broken too: drop them all, then try
        // once more on a fresh connection. Safe: every script checks the owner token, so a call
        // run twice cannot hand one claim to two owners (a claim whose first run did happen
        // answers InProgress the second time: the caller fails closed, the lease frees the key).
        discardIdleConnections();
        try {
          return script.run(jedis, key, args);
        } catch (JedisException again) {
          again.addSuppressed(e);
          throw again;
        }
      }
    } catch (JedisException e) {
      throw new IdempotencyStoreUnavailableException(
          "Redis failed on " + script.name() + ": " + e.getMessage(), e);
    }
  }

  /** At build: a refusal throws, an unreachable Redis leaves the check to the first call. */
  private void checkAtBuild() {
    SettingsCheck.Verdict verdict = SettingsCheck.run(jedis, allowUnsafeEvictionPolicy);
    if (verdict instanceof SettingsCheck.Refused refused) {
      throw new UnsafeRedisSettingsException(refused.message());
    }
    if (verdict instanceof SettingsCheck.Passed passed) pass(passed);
    if (verdict instanceof SettingsCheck.Unreachable unreachable) {
      LOG.log(Level.DEBUG, () -> "Redis not reachable at build, its settings are checked before the"
          + " first call: " + unreachable.cause().getMessage());
    }
  }

  /** Before a call, while the check has not passed yet: check now, or fail the call. */
  private void checkBefore(LuaScript script) {
    // One check at a time; the calls meanwhile fail closed instead of each waiting out a timeout.
    if (!checking.tryLock()) {
      throw new IdempotencyStoreUnavailableException(
          "Redis settings are being checked: " + script.name() + " not sent");
    }
    try {
      if (checked) return;
      SettingsCheck.Verdict verdict = SettingsCheck.run(jedis, allowUnsafeEvictionPolicy);
      if (verdict instanceof SettingsCheck.Refused refused) {
        throw new UnsafeRedisSettingsException(refused.message());
      }
      if (verdict instanceof SettingsCheck.Unreachable unreachable) {
        JedisException cause = unreachable.cause();
        throw new IdempotencyStoreUnavailableException(
            "Redis failed on the settings check before " + script.name() + ": " + cause.getMessage(), cause);
      }
      pass((SettingsCheck.Passed) verdict);
    } finally {
      checking.unlock();
    }
  }

  private void pass(SettingsCheck.Passed passed) {
    for (String warning : passed.warnings()) {
      try {
        warnings.accept(warning);
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "the warning handler failed on: " + warning, e);
      }
    }
    checked = true;
  }

  /** The default warning handler, a method so that a log record names this class and method. */
  private static void logWarning(String warning) {
    LOG.log(Level.WARNING, warning);
  }

  private void discardIdleConnections() {
    Pool<Connection> pool = null;
    if (jedis instanceof RedisClient client) pool = client.getPool();
    else if (jedis instanceof JedisPooled pooled) pool = pooled.getPool();
    if (pool == null) return; // a cluster client or a custom provider handles its own connections
    try {
      pool.clear();
    } catch (RuntimeException e) {
      // best effort: the retry still borrows a connection, fresh or not
    }
  }

  /**
   * A connection that broke, not a slow Redis (a timeout, never retried) nor an unreachable one
   * (refused, where a retry cannot help).
   */
  private static boolean isStaleConnection(JedisConnectionException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SocketTimeoutException || t instanceof ConnectException) return false;
    }
    return true;
  }

  private static boolean flag(LuaScript script, Object reply) {
    if (reply instanceof Long n && (n == 0 || n == 1)) return n == 1;
    throw unexpected(script, reply);
  }

  private static IdempotencyStoreUnavailableException unexpected(LuaScript script, Object reply) {
    String shown = reply instanceof byte[] b ? Arrays.toString(b) : String.valueOf(reply);
    return new IdempotencyStoreUnavailableException(
        "Redis answered " + script.name() + " with an unexpected reply: " + shown);
  }

  /** A positive duration as whole milliseconds, rounded up so a sub-millisecond TTL still lives. */
  private static byte[] millis(Duration ttl, String name) {
    Objects.requireNonNull(ttl, name);
    if (ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException(name + " must be positive: " + ttl);
    }
    long ms;
    try {
      ms = ttl.plusNanos(999_999).toMillis();
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException(name + " is too long: " + ttl, e);
    }
    if (ms > MAX_TTL_MILLIS) throw new IllegalArgumentException(name + " is too long: " + ttl);
    return Long.toString(ms).getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Configures a {@link RedisIdempotencyStore}. Not threadsafe; {@link #build} copies the
   * settings, so the built store never changes.
   */
  public static final class Builder {
    private final UnifiedJedis jedis;
    private String keyPrefix = DEFAULT_KEY_PREFIX;
    private boolean allowUnsafeEvictionPolicy;
    private Consumer<? super String> warnings = RedisIdempotencyStore::logWarning;

    private Builder(UnifiedJedis jedis) {
      this.jedis = Objects.requireNonNull(jedis, "jedis");
    }

    /**
     * The prefix of every key; default {@value RedisIdempotencyStore#DEFAULT_KEY_PREFIX}. Give
     * each service (or environment) sharing one Redis its own prefix to tell their keys apart;
     * records of different namespaces never collide either way. At most 128 characters, without
     * <code>{</code> or <code>}</code>, which would change the hash tag that places a record.
     */
    public Builder keyPrefix(String keyPrefix) {
      Objects.requireNonNull(keyPrefix, "keyPrefix");
      if (keyPrefix.length() > MAX_KEY_PREFIX_LENGTH) {
        throw new IllegalArgumentException("keyPrefix longer than " + MAX_KEY_PREFIX_LENGTH);
      }
      if (keyPrefix.indexOf('{') >= 0 || keyPrefix.indexOf('}') >= 0) {
        throw new IllegalArgumentException("keyPrefix must not contain { or }: " + keyPrefix);
      }
      this.keyPrefix = keyPrefix;
      return this;
    }

    /**
     * Serve over a Redis whose {@code maxmemory-policy} is not {@code noeviction}, which
     * {@link #build()} otherwise refuses. Under memory pressure such a Redis evicts keys with a TTL
     * (every record has one) or any key: a claim in progress or a stored answer can vanish, and a
     * repeat then runs the work again. The policy is still warned about, once. Default: refused.
     */
    public Builder allowUnsafeEvictionPolicy() {
      this.allowUnsafeEvictionPolicy = true;
      return this;
    }

    /**
     * Where the store's warnings about Redis's settings go (no persistence, settings hidden, an
     * evicting policy allowed): each is given once per store, when its settings check passes, on
     * the thread that builds the store or makes its first call. They name settings and nodes,
     * never credentials. Default: {@link System.Logger} {@code
     * dev.idempotency.server.redis.RedisIdempotencyStore} at {@code WARNING}. An exception the
     * handler throws is logged and otherwise ignored.
     */
    public Builder onWarning(Consumer<? super String> handler) {
      this.warnings = Objects.requireNonNull(handler, "handler");
      return this;
    }

    /**
     * Builds the store and checks Redis's settings (see {@link RedisIdempotencyStore}): a few
     * round trips per node, bounded by the client's timeouts. If Redis cannot be reached, the
     * store is built and the check runs before its first call.
     *
     * @throws UnsafeRedisSettingsException if Redis (any node of a cluster) has a
     *     {@code maxmemory-policy} other than {@code noeviction} and
     *     {@link #allowUnsafeEvictionPolicy()} was not called
     */
    public RedisIdempotencyStore build() {
      RedisIdempotencyStore store = new RedisIdempotencyStore(this);
      store.checkAtBuild();
      return store;
    }
  }
}
