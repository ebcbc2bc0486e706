package dev.idempotency.examples.demo;

import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import redis.clients.jedis.HostAndPort;

/**
 * Where a demo server keeps its idempotency records and its ledger, as {@code --store} says:
 * {@code memory}, {@code redis://HOST:PORT}, {@code redis-cluster://HOST:PORT[,HOST:PORT...]} or
 * {@code jdbc:postgresql://HOST[:PORT]/DATABASE[?...]} ({@link PostgresUrl}).
 */
sealed interface StoreSpec {
  /** This process only. */
  record Memory() implements StoreSpec {
    @Override
    public String toString() {
      return "memory store";
    }
  }

  /** One Redis, or the nodes of a Redis Cluster to start from. */
  record Redis(Set<HostAndPort> nodes, boolean cluster) implements StoreSpec {
    @Override
    public String toString() {
      StringBuilder b = new StringBuilder(cluster ? "redis-cluster://" : "redis://");
      int i = 0;
      for (HostAndPort node : nodes) b.append(i++ == 0 ? "" : ",").append(node);
      return b.toString();
    }
  }

  /** A PostgreSQL database, in transactional mode: record and ledger row commit together. */
  record Postgres(PostgresUrl url) implements StoreSpec {
    @Override
    public String toString() {
      return url + ", transactional";
    }
  }

  /**
   * Reads {@code --store}.
   *
   * @throws IllegalArgumentException if it is none of the forms above; the message never holds a
   *     password
   */
  static StoreSpec parse(String store) {
    if ("memory".equals(store)) return new Memory();
    if (store.startsWith("jdbc:")) return new Postgres(PostgresUrl.parse(store));
    for (boolean cluster : List.of(false, true)) {
      String prefix = cluster ? "redis-cluster://" : "redis://";
      if (store.startsWith(prefix)) {
        Set<HostAndPort> nodes = new LinkedHashSet<>();
        for (String node : store.substring(prefix.length()).split(",")) nodes.add(hostAndPort(store, node));
        if (!cluster && nodes.size() != 1) {
          throw new IllegalArgumentException("redis:// takes one HOST:PORT, not " + nodes.size() + ": " + store);
        }
        return new Redis(Collections.unmodifiableSet(nodes), cluster);
      }
    }
    // Only the scheme is repeated: the rest of an unknown URL may hold a password.
    int colon = store.indexOf(':');
    String scheme = colon < 0 ? "" : " (" + store.substring(0, Math.min(colon, 20)) + ":...)";
    throw new IllegalArgumentException("store is memory, redis://HOST:PORT, redis-cluster://HOST:PORT[,HOST:PORT...]"
        + " or jdbc:postgresql://HOST[:PORT]/DATABASE[?user=U&password=P], not that" + scheme);
  }

  private static HostAndPort hostAndPort(String store, String node) {
    int colon = node.lastIndexOf(':');
    if (colon <= 0 || colon == node.length() - 1) {
      throw new IllegalArgumentException("expected HOST:PORT, not \"" + node + "\" in " + store);
    }
    try {
      int port = Integer.parseInt(node.substring(colon + 1));
      if (port < 1 || port > 65535) throw new NumberFormatException();
      return new HostAndPort(node.substring(0, colon), port);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a port in \"" + node + "\" of " + store);
    }
  }
}
