package dev.idempotency.spring;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * {@code idempotency.store.redis.url}, read: {@code redis://[[user]:password@]host:port[/database]}
 * or {@code redis-cluster://[[user]:password@]host:port[,host:port...]}. A malformed URL is an
 * {@link IllegalArgumentException} whose message shows the URL with its password masked
 * ({@link #masked}), never the password. Immutable.
 */
record RedisUrl(boolean cluster, String user, String password, List<Node> nodes, int database) {
  private static final String PROPERTY = "idempotency.store.redis.url";
  private static final String FORMS =
      "redis://[[user]:password@]host:port[/database] or redis-cluster://[[user]:password@]host:port[,host:port...]";

  record Node(String host, int port) {
    @Override
    public String toString() {
      return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
  }

  RedisUrl {
    nodes = List.copyOf(nodes);
  }

  static RedisUrl parse(String url) {
    if (url == null || url.isBlank()) {
      throw new IllegalArgumentException(PROPERTY + " is required with idempotency.store.type=redis: " + FORMS);
    }
    boolean cluster;
    String rest;
    if (url.startsWith("redis://")) {
      cluster = false;
      rest = url.substring("redis://".length());
    } else if (url.startsWith("redis-cluster://")) {
      cluster = true;
      rest = url.substring("redis-cluster://".length());
    } else {
      throw malformed(url, "the scheme is redis or redis-cluster");
    }
    String user = null;
    String password = null;
    int at = rest.lastIndexOf('@');
    if (at >= 0) {
      String userInfo = rest.substring(0, at);
      rest = rest.substring(at + 1);
      int colon = userInfo.indexOf(':');
      if (colon < 0) throw malformed(url, "the user info is [user]:password");
      user = colon == 0 ? null : userInfo.substring(0, colon);
      password = userInfo.substring(colon + 1);
    }
    int database = 0;
    int slash = rest.indexOf('/');
    if (slash >= 0) {
      String db = rest.substring(slash + 1);
      rest = rest.substring(0, slash);
      if (cluster) throw malformed(url, "a Redis Cluster has no database number");
      if (!db.isEmpty()) {
        try {
          database = Integer.parseInt(db);
        } catch (NumberFormatException e) {
          database = -1;
        }
        if (database < 0) throw malformed(url, "the database is a number");
      }
    }
    List<Node> nodes = new ArrayList<>();
    for (String node : rest.split(",", -1)) nodes.add(node(url, node));
    if (!cluster && nodes.size() != 1) throw malformed(url, "redis:// names one host:port");
    return new RedisUrl(cluster, user, password, nodes, database);
  }

  private static Node node(String url, String node) {
    int colon = node.lastIndexOf(':');
    if (colon <= 0 || colon == node.length() - 1) throw malformed(url, "each node is host:port");
    String host = node.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
    int port;
    try {
      port = Integer.parseInt(node.substring(colon + 1));
    } catch (NumberFormatException e) {
      port = -1;
    }
    if (port < 1 || port > 65535) throw malformed(url, "a port is 1 to 65535");
    return new Node(host, port);
  }

  private static IllegalArgumentException malformed(String url, String why) {
    return new IllegalArgumentException(
        PROPERTY + " \"" + masked(url) + "\" is malformed (" + why + "); expected " + FORMS);
  }

  /** {@code url} with the password of its user info, if any, as {@code ****}. */
  static String masked(String url) {
    Objects.requireNonNull(url, "url");
    int scheme = url.indexOf("://");
    int at = url.lastIndexOf('@');
    if (scheme < 0 || at < scheme) return url;
    int colon = url.indexOf(':', scheme + 3);
    if (colon < 0 || colon > at) return url.substring(0, scheme + 3) + "****" + url.substring(at);
    return url.substring(0, colon + 1) + "****" + url.substring(at);
  }

  /** The URL as an operator may read it: no password. */
  @Override
  public String toString() {
    StringBuilder b = new StringBuilder(cluster ? "redis-cluster://" : "redis://");
    if (password != null) b.append(user == null ? "" : user).append(":****@");
    for (int i = 0; i < nodes.size(); i++) b.append(i == 0 ? "" : ",").append(nodes.get(i));
    if (database != 0) b.append('/').append(database);
    return b.toString();
  }
}
