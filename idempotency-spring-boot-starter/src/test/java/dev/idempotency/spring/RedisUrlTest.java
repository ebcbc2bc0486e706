package dev.idempotency.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class RedisUrlTest {
  @Test
  void readsTheStandaloneAndTheClusterForms() {
    RedisUrl one = RedisUrl.parse("redis://cache.internal:6380/2");
    assertThat(one.cluster()).isFalse();
    assertThat(one.nodes()).containsExactly(new RedisUrl.Node("cache.internal", 6380));
    assertThat(one.database()).isEqualTo(2);
    assertThat(one.password()).isNull();

    RedisUrl cluster = RedisUrl.parse("redis-cluster://app:pw@10.0.0.1:7000,10.0.0.2:7001");
    assertThat(cluster.cluster()).isTrue();
    assertThat(cluster.nodes()).containsExactly(new RedisUrl.Node("10.0.0.1", 7000), new RedisUrl.Node("10.0.0.2", 7001));
    assertThat(cluster.user()).isEqualTo("app");
    assertThat(cluster.password()).isEqualTo("pw");
    assertThat(cluster).hasToString("redis-cluster://app:****@10.0.0.1:7000,10.0.0.2:7001");

    RedisUrl passwordOnly = RedisUrl.parse("redis://:pw@[::1]:6379");
    assertThat(passwordOnly.user()).isNull();
    assertThat(passwordOnly.nodes()).containsExactly(new RedisUrl.Node("::1", 6379));
    assertThat(passwordOnly).hasToString("redis://:****@[::1]:6379");
  }

  @Test
  void refusesWhatItCannotReadWithoutShowingThePassword() {
    for (String bad : List.of("http://h:1", "redis://h", "redis://h:0", "redis://h:1,h:2", "redis://u:pw@h:x",
        "redis://h:1/x", "redis-cluster://h:1/0", "redis://pw@h:1", "redis-cluster://u:pw@h:1,")) {
      assertThatThrownBy(() -> RedisUrl.parse(bad)).as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("idempotency.store.redis.url \"")
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain(":pw@"));
    }
    assertThat(RedisUrl.masked("redis://u:secret@h:1")).isEqualTo("redis://u:****@h:1");
    assertThat(RedisUrl.masked("redis://secret@h:1")).isEqualTo("redis://****@h:1");
  }
}
