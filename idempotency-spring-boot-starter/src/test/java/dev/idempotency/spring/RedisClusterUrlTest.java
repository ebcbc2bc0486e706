package dev.idempotency.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.server.IdempotencyGuard;
import dev.idempotency.server.redis.LocalRedisCluster;
import dev.idempotency.server.redis.RedisIdempotencyStore;
import dev.idempotency.server.redis.RedisServerFixture;
import dev.idempotency.server.store.IdempotencyStore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** A redis-cluster:// URL gives a store over a real Redis Cluster (the fixture's shared one). */
class RedisClusterUrlTest {
  @Test
  void theClusterUrlNamesTheSeedNodes() {
    LocalRedisCluster cluster = RedisServerFixture.cluster();
    String nodes = cluster.hostAndPorts().stream().map(Object::toString).collect(Collectors.joining(","));
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(IdempotencyAutoConfiguration.class))
        .withPropertyValues("idempotency.store.type=redis", "idempotency.store.redis.url=redis-cluster://" + nodes,
            "idempotency.store.redis.key-prefix=idem:cluster-url:")
        .run(context -> {
          assertThat(context.getBean(IdempotencyStore.class)).isInstanceOf(RedisIdempotencyStore.class);
          IdempotencyGuard guard = context.getBean(IdempotencyGuard.class);
          AtomicInteger runs = new AtomicInteger();
          String key = "cluster-" + System.nanoTime();
          assertThat(guard.execute(key, Integer.class, runs::incrementAndGet)).isEqualTo(1);
          assertThat(guard.execute(key, Integer.class, runs::incrementAndGet)).isEqualTo(1);
          assertThat(runs).hasValue(1);
        });
  }
}
