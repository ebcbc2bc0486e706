package dev.idempotency.server.redis;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import redis.clients.jedis.CommandArguments;
import redis.clients.jedis.Connection;
import redis.clients.jedis.ConnectionPool;
import redis.clients.jedis.JedisCluster;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.util.KeyValue;

/**
 * Reads the Redis settings under which records vanish: {@code maxmemory-policy} (eviction) and
 * {@code appendonly} / {@code save} (persistence), with {@code CONFIG GET}, on the server of a
 * standalone client or on every node a cluster client knows. Three round trips per node, run when
 * a store starts, never on the path of a call.
 *
 * <p>Messages name settings, policies and node addresses, never a user name, a password or an
 * error text of Redis (which may quote the user): of an error reply only its code is shown.
 */
final class SettingsCheck {
  static final String SAFE_POLICY = "noeviction";

  // Error replies that say "not now" rather than "not allowed": the check is tried again later.
  private static final Set<String> TRANSIENT_ERRORS =
      Set.of("LOADING", "BUSY", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN");

  /** What the check found. */
  sealed interface Verdict {}

  /** Safe enough to serve; each warning to be given once. */
  record Passed(List<String> warnings) implements Verdict {}

  /** Records could be evicted: the store must not serve. */
  record Refused(String message) implements Verdict {}

  /** No node answered: nothing is known yet. */
  record Unreachable(JedisException cause) implements Verdict {}

  private SettingsCheck() {}

  static Verdict run(UnifiedJedis jedis, boolean allowEviction) {
    List<String> evicting = new ArrayList<>();
    List<String> hidden = new ArrayList<>();
    List<String> inMemoryOnly = new ArrayList<>();
    List<String> unreachable = new ArrayList<>();
    JedisException firstFailure = null;
    Map<String, ConnectionPool> cluster = clusterNodes(jedis);
    boolean isCluster = cluster != null;
    List<String> names = new ArrayList<>();
    // Each node as a function from a parameter's name to the raw reply of CONFIG GET.
    List<Function<String, Object>> nodes = new ArrayList<>();
    if (isCluster) {
      // Every node, replicas too: a replica is promoted at failover, and this check runs once.
      cluster.forEach((name, pool) -> {
        names.add(name);
        nodes.add(parameter -> {
          try (Connection connection = pool.getResource()) {
            return connection.executeCommand(
                new CommandArguments(Protocol.Command.CONFIG).add("GET").add(parameter));
          }
        });
      });
    } else {
      // Any other client, whatever its provider: the node it sends a keyless command to.
      names.add(null);
      nodes.add(parameter -> jedis.sendCommand(Protocol.Command.CONFIG, "GET", parameter));
    }

    for (int i = 0; i < nodes.size(); i++) {
      String name = names.get(i);
      Function<String, Object> node = nodes.get(i);
      try {
        String policy = configGet(node, "maxmemory-policy");
        if (policy == null) {
          hidden.add(on(name, "gave no value"));
          continue;
        }
        if (!SAFE_POLICY.equals(policy.toLowerCase(Locale.ROOT))) evicting.add(on(name, policy));
        String aof = configGet(node, "appendonly");
        String save = configGet(node, "save");
        if ("no".equalsIgnoreCase(aof) && save != null && save.isBlank()) inMemoryOnly.add(name);
      } catch (JedisDataException e) {
        String code = errorCode(e);
        if (TRANSIENT_ERRORS.contains(code)) {
          unreachable.add(name);
          if (firstFailure == null) firstFailure = e;
        } else {
          hidden.add(on(name, "answered " + code));
        }
      } catch (JedisException e) {
        unreachable.add(name);
        if (firstFailure == null) firstFailure = e;
      } catch (RuntimeException e) {
        // A reply or a client this check does not know: as good as hidden, not a reason to fail.
        hidden.add(on(name, "failed with " + e.getClass().getSimpleName()));
      }
    }

    if (unreachable.size() == nodes.size()) {
      return new Unreachable(firstFailure != null ? firstFailure : new JedisException("no Redis node known"));
    }
    String evictionFacts = "maxmemory-policy is " + String.join(", ", evicting);
    if (!evicting.isEmpty() && !allowEviction) {
      return new Refused("Redis may evict idempotency records: " + evictionFacts + ". Every record has"
          + " a TTL, so under memory pressure any policy but noeviction can drop a claim in progress or"
          + " a stored answer, and a repeat then runs the work again. Set maxmemory-policy noeviction"
          + " (in redis.conf, or CONFIG SET maxmemory-policy noeviction), or accept the risk with"
          + " RedisIdempotencyStore.Builder.allowUnsafeEvictionPolicy().");
    }
    List<String> warnings = new ArrayList<>();
    if (!evicting.isEmpty()) {
      warnings.add("Redis may evict idempotency records: " + evictionFacts + ", allowed by"
          + " allowUnsafeEvictionPolicy(). Under memory pressure a claim in progress or a stored answer"
          + " can be dropped, and a repeat then runs the work again. Set maxmemory-policy noeviction"
          + " to rule that out.");
    }
    if (!hidden.isEmpty()) {
      warnings.add("Redis does not show its settings (CONFIG GET maxmemory-policy "
          + String.join(", ", hidden) + "): the store cannot check that maxmemory-policy is"
          + " noeviction and that persistence is on. Make sure of both: otherwise Redis may evict or"
          + " lose idempotency records, and a repeat then runs the work again.");
    }
    if (!inMemoryOnly.isEmpty()) {
      warnings.add("Redis keeps idempotency records in memory only (appendonly no, save \"\""
          + (isCluster ? " on " + String.join(", ", inMemoryOnly) : "") + "): a restart loses them,"
          + " and a repeat of a completed request then runs the work again. Turn on AOF (appendonly"
          + " yes) or RDB snapshots (save, e.g. save 3600 1 300 100).");
    }
    if (!unreachable.isEmpty()) {
      warnings.add("Redis nodes " + String.join(", ", unreachable) + " could not be reached when the"
          + " store started: their maxmemory-policy and persistence were not checked.");
    }
    return new Passed(List.copyOf(warnings));
  }

  /** The nodes of a cluster client, or null for any other client. */
  private static Map<String, ConnectionPool> clusterNodes(UnifiedJedis jedis) {
    if (jedis instanceof RedisClusterClient client) return client.getClusterNodes();
    if (jedis instanceof JedisCluster client) return client.getClusterNodes();
    return null;
  }

  /** "value on node", or the value alone for a standalone server. */
  private static String on(String node, String value) {
    return node == null ? value : value + " on " + node;
  }

  /**
   * The value of one parameter, null if the server answers none. Parses both protocols: RESP2
   * answers a flat list of name and value, RESP3 a map (Jedis: a list of key-value pairs).
   */
  private static String configGet(Function<String, Object> node, String parameter) {
    Object reply = node.apply(parameter);
    List<Object> flat = new ArrayList<>();
    if (reply instanceof List<?> list) {
      for (Object item : list) {
        if (item instanceof KeyValue<?, ?> pair) {
          flat.add(pair.getKey());
          flat.add(pair.getValue());
        } else {
          flat.add(item);
        }
      }
    } else if (reply instanceof Map<?, ?> map) {
      map.forEach((k, v) -> {
        flat.add(k);
        flat.add(v);
      });
    }
    for (int i = 0; i + 1 < flat.size(); i += 2) {
      if (parameter.equalsIgnoreCase(text(flat.get(i)))) return text(flat.get(i + 1));
    }
    return null;
  }

  private static String text(Object value) {
    if (value instanceof byte[] bytes) return new String(bytes, StandardCharsets.UTF_8);
    return value == null ? null : value.toString();
  }

  /** The error code of a reply (ERR, NOPERM, ...): its first word, if it is one. */
  private static String errorCode(JedisDataException e) {
    String message = e.getMessage();
    if (message != null) {
      int end = message.indexOf(' ');
      String first = end < 0 ? message : message.substring(0, end);
      if (!first.isEmpty() && first.chars().allMatch(c -> c >= 'A' && c <= 'Z')) return first;
    }
    return "an error";
  }
}
