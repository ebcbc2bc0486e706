package dev.idempotency.server.redis;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.RedisClusterClient;

/**
 * A local Redis Cluster of masters only, each a {@link RedisServerProcess} with
 * {@code cluster-enabled yes}, joined with CLUSTER MEET and given equal shares of the 16384
 * slots with CLUSTER ADDSLOTS, all through Jedis (no redis-cli). Started by
 * {@link RedisServerFixture}.
 */
public final class LocalRedisCluster implements RedisDeployment, AutoCloseable {
  /** The number of hash slots of every Redis Cluster. */
  public static final int SLOTS = 16384;

  // Long enough that a busy 2-core machine never makes a node look failed during a test.
  private static final String NODE_TIMEOUT_MILLIS = "15000";
  private static final Duration FORM_TIMEOUT = Duration.ofSeconds(60);

  private final List<RedisServerProcess> masters;

  private LocalRedisCluster(List<RedisServerProcess> masters) {
    this.masters = List.copyOf(masters);
  }

  /** The extra arguments that make a node cluster-enabled, its state file in {@code dir}. */
  static List<String> nodeArgs(Path dir) {
    return List.of(
        "--cluster-enabled", "yes",
        "--cluster-config-file", dir.resolve("nodes.conf").toString(),
        "--cluster-node-timeout", NODE_TIMEOUT_MILLIS,
        "--cluster-require-full-coverage", "yes");
  }

  /** Joins already started, empty cluster-enabled nodes into one cluster and waits until it is ok. */
  static LocalRedisCluster form(List<RedisServerProcess> nodes) {
    // Distinct config epochs up front, as redis-cli --cluster create does, so no epoch collision
    // has to be resolved while the nodes meet.
    for (int i = 0; i < nodes.size(); i++) {
      int epoch = i + 1;
      nodes.get(i).admin(j -> j.sendCommand(Protocol.Command.CLUSTER, "SET-CONFIG-EPOCH", Integer.toString(epoch)));
    }
    for (int i = 0; i < nodes.size(); i++) {
      int first = i * SLOTS / nodes.size();
      int end = (i + 1) * SLOTS / nodes.size();
      // ADDSLOTS with an array: ADDSLOTSRANGE only exists from Redis 7.0 on.
      int[] slots = IntStream.range(first, end).toArray();
      nodes.get(i).admin(j -> j.clusterAddSlots(slots));
    }
    RedisServerProcess seed = nodes.get(0);
    for (RedisServerProcess other : nodes.subList(1, nodes.size())) {
      seed.admin(j -> j.clusterMeet(RedisServerProcess.HOST, other.port()));
    }
    LocalRedisCluster cluster = new LocalRedisCluster(nodes);
    cluster.awaitOk();
    return cluster;
  }

  /** Waits until every node says cluster_state:ok and knows every node and every slot. */
  void awaitOk() {
    long deadline = System.nanoTime() + FORM_TIMEOUT.toNanos();
    while (!isOk()) {
      if (System.nanoTime() > deadline) {
        StringBuilder state = new StringBuilder();
        for (RedisServerProcess node : masters) {
          state.append(node).append(":\n").append(node.admin(Jedis::clusterInfo)).append('\n');
        }
        throw new IllegalStateException("cluster not ok in time:\n" + state);
      }
      RedisServerProcess.sleep(50);
    }
  }

  private boolean isOk() {
    for (RedisServerProcess node : masters) {
      String info = node.admin(Jedis::clusterInfo);
      if (!"ok".equals(RedisServerProcess.infoField(info, "cluster_state"))
          || !Integer.toString(SLOTS).equals(RedisServerProcess.infoField(info, "cluster_slots_ok"))
          || !Integer.toString(masters.size()).equals(RedisServerProcess.infoField(info, "cluster_known_nodes"))) {
        return false;
      }
    }
    return true;
  }

  public List<RedisServerProcess> masters() {
    return masters;
  }

  public Set<HostAndPort> hostAndPorts() {
    return masters.stream().map(RedisServerProcess::hostAndPort).collect(Collectors.toSet());
  }

  /** A new cluster client, as an application would use; the caller closes it. */
  @Override
  public RedisClusterClient newClient() {
    return RedisClusterClient.builder()
        .nodes(hostAndPorts())
        .clientConfig(DefaultJedisClientConfig.builder()
            .connectionTimeoutMillis(2_000)
            .socketTimeoutMillis(2_000)
            .build())
        .build();
  }

  /** The master that serves {@code slot}. */
  public RedisServerProcess masterOf(int slot) {
    for (int i = masters.size() - 1; i >= 0; i--) {
      if (slot >= i * SLOTS / masters.size()) return masters.get(i);
    }
    throw new IllegalArgumentException("slot " + slot);
  }

  @Override
  public List<RedisServerProcess> nodes() {
    return masters;
  }

  /** The slot of {@code key}, as the cluster computes it (CLUSTER KEYSLOT). */
  public int slotOf(String key) {
    return (int) (long) masters.get(0).admin(j -> j.clusterKeySlot(key));
  }

  @Override
  public RedisServerProcess nodeFor(String key) {
    return masterOf(slotOf(key));
  }

  @Override
  public void close() {
    for (RedisServerProcess node : masters) node.close();
  }
}
