package dev.idempotency.spring;

import java.time.Duration;
import java.util.Objects;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * The {@code idempotency.*} properties. Each default is the server core's own; a value the core
 * would refuse (an in-progress status other than 409 or 425, a negative size, a miscased method)
 * fails the application's start with the property's name.
 *
 * <p>Not threadsafe: Spring binds it once at start, and the beans read it then.
 */
@ConfigurationProperties(prefix = "idempotency")
public class IdempotencyProperties {
  /** The store's record families: in the process, in Redis, or in the application's database. */
  public enum StoreType {
    /** In this process only (InMemoryIdempotencyStore): for one instance, lost on restart. */
    MEMORY,
    /** In Redis, standalone or Redis Cluster (RedisIdempotencyStore), from idempotency.store.redis.url. */
    REDIS,
    /** In the application's DataSource, PostgreSQL (JdbcIdempotencyStore). */
    JDBC
  }

  /**
   * Separates this service's records from other services sharing the store; the guard's namespace.
   */
  private String namespace = "default";

  /**
   * The URL patterns the filter is mapped to, as a servlet filter mapping reads them ("/payments/*").
   */
  private String[] urlPatterns = {"/*"};

  /**
   * The HTTP methods that need an Idempotency-Key, case-sensitive as RFC 9110 says; requests with
   * any other method pass to the application untouched, streaming.
   */
  private String[] requireKeyFor = {"POST", "PATCH"};

  /**
   * How long a claim lives without renewal. The guard renews it while the request runs, so it
   * bounds how long a crashed instance's key stays taken, not how long a request may run.
   */
  private Duration lease = Duration.ofSeconds(30);

  /** How long a completed request's answer is replayed to repeats of its key. */
  private Duration retention = Duration.ofHours(24);

  /**
   * The status of the answer to a repeat while the first request still runs: 409 (Conflict) or
   * 425 (Too Early); any other value fails the start.
   */
  private int inProgressStatus = 409;

  /**
   * The largest request body accepted on a guarded method; a larger one is answered 413 without
   * running anything. Guarded bodies are held in memory to fingerprint them.
   */
  private DataSize maxBodySize = DataSize.ofMegabytes(1);

  /** Where the records live. */
  private final Store store = new Store();

  public String getNamespace() {
    return namespace;
  }

  public void setNamespace(String namespace) {
    Objects.requireNonNull(namespace, "namespace");
    if (namespace.isBlank()) throw new IllegalArgumentException("idempotency.namespace is empty");
    this.namespace = namespace;
  }

  public String[] getUrlPatterns() {
    return urlPatterns.clone();
  }

  public void setUrlPatterns(String[] urlPatterns) {
    if (urlPatterns.length == 0) {
      throw new IllegalArgumentException("idempotency.url-patterns names no pattern");
    }
    this.urlPatterns = urlPatterns.clone();
  }

  public String[] getRequireKeyFor() {
    return requireKeyFor.clone();
  }

  public void setRequireKeyFor(String[] requireKeyFor) {
    this.requireKeyFor = requireKeyFor.clone();
  }

  public Duration getLease() {
    return lease;
  }

  public void setLease(Duration lease) {
    this.lease = positive(lease, "idempotency.lease");
  }

  public Duration getRetention() {
    return retention;
  }

  public void setRetention(Duration retention) {
    this.retention = positive(retention, "idempotency.retention");
  }

  public int getInProgressStatus() {
    return inProgressStatus;
  }

  public void setInProgressStatus(int inProgressStatus) {
    if (inProgressStatus != 409 && inProgressStatus != 425) {
      throw new IllegalArgumentException(
          "idempotency.in-progress-status is 409 or 425, not " + inProgressStatus);
    }
    this.inProgressStatus = inProgressStatus;
  }

  public DataSize getMaxBodySize() {
    return maxBodySize;
  }

  public void setMaxBodySize(DataSize maxBodySize) {
    if (maxBodySize.isNegative() || maxBodySize.toBytes() >= Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "idempotency.max-body-size is between 0B and 2GB, not " + maxBodySize);
    }
    this.maxBodySize = maxBodySize;
  }

  public Store getStore() {
    return store;
  }

  private static Duration positive(Duration d, String name) {
    if (d.isNegative() || d.isZero()) throw new IllegalArgumentException(name + " must be positive, not " + d);
    return d;
  }

  /** {@code idempotency.store.*}. */
  public static class Store {
    /** The store: memory (this process only), redis, or jdbc (the application's DataSource). */
    private StoreType type = StoreType.MEMORY;

    private final Memory memory = new Memory();

    private final Redis redis = new Redis();

    private final Jdbc jdbc = new Jdbc();

    public StoreType getType() {
      return type;
    }

    public void setType(StoreType type) {
      this.type = Objects.requireNonNull(type, "type");
    }

    public Memory getMemory() {
      return memory;
    }

    public Redis getRedis() {
      return redis;
    }

    public Jdbc getJdbc() {
      return jdbc;
    }
  }

  /** {@code idempotency.store.memory.*}. */
  public static class Memory {
    /** The most records the memory store holds, claims and completed together. */
    private int maximumSize = 100_000;

    /**
     * The most records one scope (one caller: a principal, or the one anonymous scope) holds; a
     * new key of a scope at its share is answered 503 while the other scopes go on. 0 means a
     * tenth of maximum-size. An application without authentication has one scope for everyone:
     * set it to maximum-size there, or the whole service is refused new keys at a tenth.
     */
    private int maximumSizePerScope = 0;

    public int getMaximumSize() {
      return maximumSize;
    }

    public void setMaximumSize(int maximumSize) {
      if (maximumSize < 1) {
        throw new IllegalArgumentException("idempotency.store.memory.maximum-size must be at least 1, not " + maximumSize);
      }
      this.maximumSize = maximumSize;
    }

    public int getMaximumSizePerScope() {
      return maximumSizePerScope;
    }

    public void setMaximumSizePerScope(int maximumSizePerScope) {
      if (maximumSizePerScope < 0) {
        throw new IllegalArgumentException(
            "idempotency.store.memory.maximum-size-per-scope must be 0 (a tenth) or more, not " + maximumSizePerScope);
      }
      this.maximumSizePerScope = maximumSizePerScope;
    }
  }

  /** {@code idempotency.store.redis.*}. */
  public static class Redis {
    /**
     * Where Redis is, for store type redis: redis://[[user]:password@]host:port[/database] for one
     * Redis, redis-cluster://[[user]:password@]host:port,host:port for the seed nodes of a Redis
     * Cluster. Required with type redis.
     */
    private String url;

    /** The prefix of every key the store writes; give each service sharing a Redis its own. */
    private String keyPrefix = "idem:";

    /** Connect and socket timeout of the Redis client the starter creates. */
    private Duration timeout = Duration.ofSeconds(2);

    public String getUrl() {
      return url;
    }

    public void setUrl(String url) {
      this.url = url;
    }

    public String getKeyPrefix() {
      return keyPrefix;
    }

    public void setKeyPrefix(String keyPrefix) {
      this.keyPrefix = keyPrefix;
    }

    public Duration getTimeout() {
      return timeout;
    }

    public void setTimeout(Duration timeout) {
      this.timeout = positive(timeout, "idempotency.store.redis.timeout");
    }
  }

  /** {@code idempotency.store.jdbc.*}. */
  public static class Jdbc {
    /** The records' table in the application's DataSource. */
    private String tableName = "idempotency_records";

    /**
     * Whether the store creates its table when it is missing; otherwise the application's
     * migrations create it (db/idempotency/V1__idempotency_records.sql in the server core's jar).
     */
    private boolean createSchema = false;

    public String getTableName() {
      return tableName;
    }

    public void setTableName(String tableName) {
      this.tableName = tableName;
    }

    public boolean isCreateSchema() {
      return createSchema;
    }

    public void setCreateSchema(boolean createSchema) {
      this.createSchema = createSchema;
    }
  }
}
