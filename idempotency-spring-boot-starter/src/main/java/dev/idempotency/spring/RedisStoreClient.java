package dev.idempotency.spring;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisException;

/**
 * The Jedis client the starter creates from {@code idempotency.store.redis.url} for the Redis
 * store, and closes with the application context. A bean of its own type, so that an application's
 * own Jedis beans neither clash with it nor are closed by it. Threadsafe.
 */
final class RedisStoreClient implements AutoCloseable {
  private final UnifiedJedis jedis;

  private RedisStoreClient(UnifiedJedis jedis) {
    this.jedis = jedis;
  }

  /**
   * Connects to {@code url} and checks that Redis answers, so that a wrong or unreachable URL
   * fails the start rather than the first request.
   *
   * @throws IllegalArgumentException if the URL is malformed
   * @throws IllegalStateException if Redis cannot be reached or refuses the credentials; neither
   *     message holds the password
   */
  static RedisStoreClient connect(String url, Duration timeout) {
    RedisUrl parsed = RedisUrl.parse(url);
    int millis = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
    DefaultJedisClientConfig.Builder config = DefaultJedisClientConfig.builder()
        .connectionTimeoutMillis(millis)
        .socketTimeoutMillis(millis)
        .database(parsed.database());
    if (parsed.password() != null) config.user(parsed.user()).password(parsed.password());
    UnifiedJedis jedis = null;
    try {
      if (parsed.cluster()) {
        Set<HostAndPort> nodes = new LinkedHashSet<>();
        parsed.nodes().forEach(n -> nodes.add(new HostAndPort(n.host(), n.port())));
        // Building a cluster client reads the slot map from the nodes: that is the check.
        jedis = RedisClusterClient.builder().nodes(nodes).clientConfig(config.build()).build();
      } else {
        RedisUrl.Node node = parsed.nodes().get(0);
        jedis = RedisClient.builder()
            .hostAndPort(new HostAndPort(node.host(), node.port()))
            .clientConfig(config.build())
            .build();
        jedis.ping();
      }
      return new RedisStoreClient(jedis);
    } catch (JedisException e) {
      if (jedis != null) jedis.close();
      // Jedis's messages name hosts and replies (WRONGPASS, NOAUTH, refused), never the password.
      throw new IllegalStateException(
          "Redis at idempotency.store.redis.url \"" + parsed + "\" does not answer: " + e.getMessage(), e);
    }
  }

  UnifiedJedis jedis() {
    return jedis;
  }

  @Override
  public void close() {
    jedis.close();
  }
}
