package dev.idempotency.server.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.server.store.ClaimResult;
import dev.idempotency.server.store.RecordId;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** {@link AbstractRedisStoreTest} against a local cluster of 3 masters, plus the slot layout. */
class RedisClusterStoreTest extends AbstractRedisStoreTest {
  @Override
  LocalRedisCluster deployment() {
    return RedisServerFixture.cluster();
  }

  @Test
  void eachRecordIsOneSlotAndRecordsSpreadOverManySlotsAndEveryMaster() {
    LocalRedisCluster cluster = deployment();
    int records = 1000;
    Set<Integer> slots = new HashSet<>();
    Map<RedisServerProcess, Integer> perMaster = new HashMap<>();
    for (int i = 0; i < records; i++) {
      // Client keys that share a prefix and a "{tag}" of their own, the worst case for a naive layout.
      RecordId id = new RecordId("payments", "user-1", "{same-tag}order-" + i);
      String key = keyOf(id);
      String tag = new String(RecordKeys.digest(id), java.nio.charset.StandardCharsets.US_ASCII);
      int slot = cluster.slotOf(key);
      assertThat(cluster.slotOf(tag)).as("the digest is the hash tag").isEqualTo(slot);
      slots.add(slot);
      perMaster.merge(cluster.masterOf(slot), 1, Integer::sum);
    }
    // 1000 uniform draws from 16384 slots give about 970 distinct ones.
    assertThat(slots).hasSizeGreaterThan(900);
    assertThat(perMaster).hasSize(3);
    assertThat(perMaster.values()).allSatisfy(n -> assertThat(n).isGreaterThan(200));
  }

  @Test
  void aRecordLivesOnTheMasterThatOwnsItsSlot() {
    LocalRedisCluster cluster = deployment();
    Set<RedisServerProcess> used = new HashSet<>();
    for (int i = 0; i < 30; i++) {
      RecordId id = id("placed-" + i);
      assertThat(store.claim(id, "fp", "owner", LEASE)).isInstanceOf(ClaimResult.Acquired.class);
      String key = keyOf(id);
      RedisServerProcess owner = cluster.masterOf(cluster.slotOf(key));
      for (RedisServerProcess node : cluster.masters()) {
        if (node == owner) assertThat(node.keys()).as("keys of " + node).contains(key);
        else assertThat(node.keys()).as("keys of " + node).doesNotContain(key);
      }
      used.add(owner);
    }
    assertThat(used).hasSize(3);
  }
}
