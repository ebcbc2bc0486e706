package dev.idempotency.server.redis;

import java.time.Duration;
import java.util.List;
import redis.clients.jedis.UnifiedJedis;

/** A running Redis for tests, standalone or a cluster: the same questions asked of both. */
public interface RedisDeployment {

  /** A new client, as one application instance would hold; the caller closes it. */
  UnifiedJedis newClient();

  /** The processes holding data: the server itself, or the cluster's masters. */
  List<RedisServerProcess> nodes();

  /** The node that holds {@code key}. */
  RedisServerProcess nodeFor(String key);

  /** Deletes every key on every node. */
  default void flushAll() {
    for (RedisServerProcess node : nodes()) node.flushAll();
  }

  /** Empties the Lua script cache of every node, as a restart or failover would. */
  default void scriptFlush() {
    for (RedisServerProcess node : nodes()) node.admin(j -> j.scriptFlush());
  }

  /** Calls of {@code command} (e.g. {@code evalsha}) since start, summed over the nodes. */
  default long commandCalls(String command) {
    long sum = 0;
    for (RedisServerProcess node : nodes()) sum += node.commandCalls(command);
    return sum;
  }

  /** Lets {@code elapsed} pass for every key: see {@link RedisServerProcess#shiftTtls}. */
  default void shiftTtls(Duration elapsed) {
    for (RedisServerProcess node : nodes()) node.shiftTtls(elapsed);
  }
}
