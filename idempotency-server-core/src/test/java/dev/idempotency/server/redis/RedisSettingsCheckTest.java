package dev.idempotency.server.redis;

import static dev.idempotency.server.store.ClaimAssertions.acquiredBy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idempotency.server.IdempotencyGuard;
import dev.idempotency.server.ResultCodec;
import dev.idempotency.server.store.ClaimResult;
import dev.idempotency.server.store.IdempotencyStoreUnavailableException;
import dev.idempotency.server.store.RecordId;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.JedisCluster;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.RedisProtocol;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.providers.ClusterConnectionProvider;

/**
 * The store reads Redis's settings when it starts, on real redis-server processes started with
 * those settings: an evicting {@code maxmemory-policy} is refused, no persistence and hidden
 * settings are warned about once, and the check runs once, not per call.
 */
class RedisSettingsCheckTest {
  private static final Duration TTL = Duration.ofMinutes(1);

  private static final ResultCodec<String> TEXT = ResultCodec.utf8();

  private final List<String> warnings = new CopyOnWriteArrayList<>();

  private RedisIdempotencyStore.Builder builder(UnifiedJedis client) {
    return RedisIdempotencyStore.builder(client).onWarning(warnings::add);
  }

  private static RecordId id(String key) {
    return new RecordId("payments", "", key);
  }

  /** Claim, complete, replay: the store serves. */
  private static void roundTrip(RedisIdempotencyStore store, String key) {
    assertThat(store.claim(id(key), "fp", "owner", TTL)).is(acquiredBy("owner"));
    assertThat(store.complete(id(key), "owner", new byte[] {7}, TTL)).isTrue();
    assertThat(((ClaimResult.Completed) store.claim(id(key), "fp", "other", TTL)).result()).containsExactly(7);
  }

  /** One setting of the server, as it runs (a plain String: see RedisServerProcess#dbSize). */
  private static String setting(RedisServerProcess server, String name) {
    java.util.Map<String, String> settings = server.admin(j -> j.configGet(name));
    return settings.get(name);
  }

  /** CONFIG calls since start: Redis 7 counts them as config|get, Redis 6.2 as config. */
  private static long configCalls(RedisDeployment redis) {
    return redis.commandCalls("config|get") + redis.commandCalls("config");
  }

  /** The setup (maxmemory 2mb, allkeys-lru) and a volatile policy, which evicts claims too. */
  @ParameterizedTest
  @ValueSource(strings = {"allkeys-lru", "volatile-lru"})
  void anEvictingPolicyIsRefusedAtBuildNamingTheSettingAndTheFix(String policy) {
    try (RedisServerProcess server = RedisServerFixture.newStandalone("--maxmemory", "2mb", "--maxmemory-policy", policy);
        UnifiedJedis client = server.newClient()) {
      assertThatThrownBy(() -> builder(client).build())
          .isInstanceOf(UnsafeRedisSettingsException.class)
          .isInstanceOf(IdempotencyStoreUnavailableException.class)
          .hasMessageContaining("maxmemory-policy is " + policy)
          .hasMessageContaining("maxmemory-policy noeviction")
          .hasMessageContaining("allowUnsafeEvictionPolicy()");
      assertThat(server.dbSize()).isZero();
      assertThat(warnings).isEmpty();
    }
  }

  @Test
  void anEvictingPolicyIsRefusedOverResp3Too() {
    try (RedisServerProcess server = RedisServerFixture.newStandalone("--maxmemory-policy", "allkeys-lfu");
        UnifiedJedis client = resp3Client(server)) {
      assertThatThrownBy(() -> builder(client).build())
          .isInstanceOf(UnsafeRedisSettingsException.class)
          .hasMessageContaining("maxmemory-policy is allkeys-lfu");
      client.sendCommand(redis.clients.jedis.Protocol.Command.CONFIG, "SET", "maxmemory-policy", "noeviction");
      RedisIdempotencyStore store = builder(client).build();
      assertThat(warnings).singleElement().asString().contains("appendonly no");
      roundTrip(store, "resp3");
    }
  }

  private static UnifiedJedis resp3Client(RedisServerProcess server) {
    return RedisClient.builder()
        .hostAndPort(server.hostAndPort())
        .clientConfig(DefaultJedisClientConfig.builder().protocol(RedisProtocol.RESP3).build())
        .build();
  }

  /** The fixture's Redis: Redis's default policy, and no persistence, which is warned about once. */
  @Test
  void noevictionIsAcceptedAndTheCheckRunsOnceNotPerCall() {
    try (RedisServerProcess server = RedisServerFixture.newStandalone();
        UnifiedJedis client = server.newClient()) {
      assertThat(setting(server, "maxmemory-policy")).isEqualTo("noeviction");
      long before = configCalls(server);
      RedisIdempotencyStore store = builder(client).build();
      long atBuild = configCalls(server);
      assertThat(atBuild - before).as("CONFIG GET at build").isPositive();

      for (int i = 0; i < 20; i++) roundTrip(store, "k" + i);
      store.renew(id("k0"), "nobody", TTL);
      store.release(id("k0"), "nobody");

      assertThat(configCalls(server)).as("CONFIG GET after 62 calls").isEqualTo(atBuild);
      assertThat(warnings).singleElement().asString()
          .contains("in memory only", "appendonly no", "save \"\"", "appendonly yes");
    }
  }

  @ParameterizedTest
  @MethodSource("persistentSettings")
  void aofOrRdbOnGivesNoWarning(String name, String value) {
    // Each word its own argument: Redis 6.2 (the embedded-redis jar's, on a machine without
    // redis-server) reads "--save" "3600 1" as no save points at all; 7 reads both forms alike.
    String[] args = Stream.concat(Stream.of("--" + name), Stream.of(value.split(" "))).toArray(String[]::new);
    try (RedisServerProcess server = RedisServerFixture.newStandalone(args);
        UnifiedJedis client = server.newClient()) {
      assertThat(setting(server, name)).as("the server runs with it").isEqualTo(value);
      roundTrip(builder(client).build(), "persisted");
      assertThat(warnings).isEmpty();
    }
  }

  static Stream<org.junit.jupiter.params.provider.Arguments> persistentSettings() {
    return Stream.of(
        org.junit.jupiter.params.provider.Arguments.of("appendonly", "yes"),
        org.junit.jupiter.params.provider.Arguments.of("save", "3600 1"));
  }

  /**
   * {@code rename-command CONFIG ""}, as managed Redis services do: one warning, and the store
   * works. On the PATH's redis-server and on the embedded-redis jar's 6.2.
   */
  @ParameterizedTest
  @MethodSource("binaries")
  void configRenamedAwayWarnsOnceAndTheStoreWorks(Path binary) {
    try (RedisServerProcess server = RedisServerFixture.newStandalone(binary, "--rename-command", "CONFIG", "");
        UnifiedJedis client = server.newClient()) {
      assertThatThrownBy(() -> server.admin(j -> j.configGet("maxmemory-policy")))
          .as("CONFIG is gone").hasMessageContaining("unknown command");
      RedisIdempotencyStore store = builder(client).build();
      for (int i = 0; i < 5; i++) roundTrip(store, "k" + i);

      assertThat(warnings).singleElement().asString()
          .contains("CONFIG GET maxmemory-policy answered ERR", "noeviction", "persistence");
    }
  }

  static Stream<Path> binaries() {
    return Stream.of(RedisServerFixture.binary(), RedisServerFixture.extractEmbedded());
  }

  /** An ACL user without CONFIG: the warning shows the error code, never the user or the password. */
  @Test
  void aUserDeniedConfigGetsOneWarningThatNamesNoCredential() {
    try (RedisServerProcess server = RedisServerFixture.newStandalone()) {
      server.admin(j -> j.aclSetUser("app-user", "on", ">s3cret-pass", "~*", "+@all", "-config"));
      try (UnifiedJedis client = RedisClient.builder()
          .hostAndPort(server.hostAndPort())
          .clientConfig(DefaultJedisClientConfig.builder().user("app-user").password("s3cret-pass").build())
          .build()) {
        RedisIdempotencyStore store = builder(client).build();
        roundTrip(store, "acl");
        assertThat(warnings).singleElement().asString()
            .contains("answered NOPERM")
            .doesNotContain("app-user")
            .doesNotContain("s3cret-pass");
      }
    }
  }

  @Test
  void theOptOutServesOverAnEvictingRedisAndWarnsOnce() {
    try (RedisServerProcess server = RedisServerFixture.newStandalone("--maxmemory-policy", "volatile-ttl");
        UnifiedJedis client = server.newClient()) {
      RedisIdempotencyStore store = builder(client).allowUnsafeEvictionPolicy().build();
      for (int i = 0; i < 5; i++) roundTrip(store, "k" + i);
      assertThat(warnings).hasSize(2);
      assertThat(warnings.get(0)).contains("maxmemory-policy is volatile-ttl", "allowUnsafeEvictionPolicy()");
      assertThat(warnings.get(1)).contains("in memory only");
    }
  }

  /**
   * Redis is down when the store is built: build returns, and the check runs before the first
   * call that reaches Redis. An evicting Redis then fails that call through the guard, which runs
   * nothing, until the setting is fixed.
   */
  @Test
  void redisDownAtBuildDefersTheCheckToTheFirstCallWhichRefusesAndRunsNothing() {
    try (RedisServerProcess server = RedisServerFixture.newStandalone("--maxmemory-policy", "allkeys-lru");
        UnifiedJedis client = server.newClient()) {
      server.stop();
      RedisIdempotencyStore store = builder(client).build();
      AtomicInteger runs = new AtomicInteger();
      try (IdempotencyGuard guard = IdempotencyGuard.builder().store(store).namespace("payments").build()) {
        assertThatThrownBy(() -> guard.execute("k", TEXT, () -> "ran " + runs.incrementAndGet()))
            .as("Redis down").isInstanceOf(IdempotencyStoreUnavailableException.class)
            .isNotInstanceOf(UnsafeRedisSettingsException.class);

        server.start();
        for (int i = 0; i < 2; i++) {
          assertThatThrownBy(() -> guard.execute("k", TEXT, () -> "ran " + runs.incrementAndGet()))
              .isInstanceOf(UnsafeRedisSettingsException.class)
              .hasMessageContaining("maxmemory-policy is allkeys-lru");
        }
        assertThat(runs).as("nothing ran").hasValue(0);
        assertThat(server.dbSize()).as("nothing written").isZero();
        assertThat(warnings).isEmpty();

        server.admin(j -> j.configSet("maxmemory-policy", "noeviction"));
        assertThat(guard.execute("k", TEXT, () -> "ran " + runs.incrementAndGet())).isEqualTo("ran 1");
        assertThat(guard.execute("k", TEXT, () -> "ran " + runs.incrementAndGet())).isEqualTo("ran 1");
        assertThat(warnings).singleElement().asString().contains("in memory only");
      }
    }
  }

  /** While one call checks the settings, the others fail closed at once rather than queue. */
  @Test
  void callsDuringTheDeferredCheckFailClosedInsteadOfWaiting() throws Exception {
    CountDownLatch inCheck = new CountDownLatch(1);
    CountDownLatch letGo = new CountDownLatch(1);
    try (RedisServerProcess server = RedisServerFixture.newStandalone();
        UnifiedJedis client = server.newClient()) {
      server.stop();
      // The warning is given while the check holds its lock: a handler that blocks holds the check.
      RedisIdempotencyStore store = RedisIdempotencyStore.builder(client).onWarning(w -> {
        inCheck.countDown();
        await(letGo);
      }).build();
      server.start();

      CompletableFuture<ClaimResult> first = CompletableFuture.supplyAsync(() -> store.claim(id("a"), "fp", "a", TTL));
      assertThat(inCheck.await(30, TimeUnit.SECONDS)).isTrue();
      assertThatThrownBy(() -> store.claim(id("b"), "fp", "b", TTL))
          .isInstanceOf(IdempotencyStoreUnavailableException.class)
          .hasMessageContaining("being checked");
      letGo.countDown();

      assertThat(first.get(30, TimeUnit.SECONDS)).is(acquiredBy("a"));
      assertThat(store.claim(id("b"), "fp", "b", TTL)).is(acquiredBy("b"));
    }
  }

  private static void await(CountDownLatch latch) {
    try {
      assertThat(latch.await(30, TimeUnit.SECONDS)).isTrue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  @Test
  void aWarningHandlerThatThrowsDoesNotStopTheStore() {
    try (RedisServerProcess server = RedisServerFixture.newStandalone();
        UnifiedJedis client = server.newClient()) {
      RedisIdempotencyStore store = RedisIdempotencyStore.builder(client)
          .onWarning(w -> {
            throw new IllegalStateException("handler bug");
          })
          .build();
      roundTrip(store, "k");
      assertThatThrownBy(() -> RedisIdempotencyStore.builder(client).onWarning(null))
          .isInstanceOf(NullPointerException.class).hasMessage("handler");
    }
  }

  /** Every master is checked: one of three with allkeys-lru refuses the store, named by address. */
  @Test
  void oneEvictingMasterOfTheClusterIsRefused() {
    LocalRedisCluster cluster = RedisServerFixture.cluster();
    RedisServerProcess evicting = cluster.masters().get(1);
    evicting.admin(j -> j.configSet("maxmemory-policy", "allkeys-lru"));
    try {
      for (UnifiedJedis client : List.of(cluster.newClient(),
          new JedisCluster(cluster.hostAndPorts(), DefaultJedisClientConfig.builder().build()))) {
        try (client) {
          assertThatThrownBy(() -> builder(client).build())
              .as(client.getClass().getSimpleName())
              .isInstanceOf(UnsafeRedisSettingsException.class)
              .hasMessageContaining("maxmemory-policy is allkeys-lru on " + evicting.hostAndPort())
              .hasMessageNotContaining(cluster.masters().get(0).hostAndPort().toString())
              .hasMessageNotContaining(cluster.masters().get(2).hostAndPort().toString());
        }
      }
    } finally {
      evicting.admin(j -> j.configSet("maxmemory-policy", "noeviction"));
    }
    assertThat(warnings).isEmpty();
  }

  @Test
  void aClusterOfNoevictionMastersIsAcceptedWithOnePersistenceWarningNamingThem() {
    LocalRedisCluster cluster = RedisServerFixture.cluster();
    cluster.flushAll();
    try (UnifiedJedis client = cluster.newClient()) {
      RedisIdempotencyStore store = builder(client).build();
      for (int i = 0; i < 10; i++) roundTrip(store, "k" + i);
      assertThat(warnings).singleElement().asString().contains("in memory only");
      for (RedisServerProcess master : cluster.masters()) {
        assertThat(warnings.get(0)).contains(master.hostAndPort().toString());
      }
    }
  }

  /** A client the check knows nothing of, over a cluster: checked on a node of its choosing, served. */
  @Test
  void anyOtherClientOverAClusterBuildsAndServes() {
    LocalRedisCluster cluster = RedisServerFixture.cluster();
    cluster.flushAll();
    try (UnifiedJedis client = new UnifiedJedis(
        new ClusterConnectionProvider(cluster.hostAndPorts(), DefaultJedisClientConfig.builder().build()),
        3, Duration.ofSeconds(5))) {
      roundTrip(builder(client).build(), "generic");
      assertThat(warnings).singleElement().asString().contains("in memory only");
    }
  }

  /**
   * A master down when the store is built does not stop the build, nor the records on the other
   * masters: the others are checked, and the one not checked is warned about.
   */
  @Test
  void aClusterMasterDownAtBuildIsWarnedAboutAndTheOthersServe() {
    try (LocalRedisCluster cluster = RedisServerFixture.newCluster(3);
        UnifiedJedis client = cluster.newClient()) {
      RedisServerProcess down = cluster.masters().get(2);
      down.kill();
      RedisIdempotencyStore store = builder(client).build();

      List<String> notChecked = warnings.stream().filter(w -> w.contains("could not be reached")).toList();
      assertThat(notChecked).singleElement().asString()
          .contains(down.hostAndPort() + " could not be reached", "not checked")
          .doesNotContain(cluster.masters().get(0).hostAndPort().toString())
          .doesNotContain(cluster.masters().get(1).hostAndPort().toString());
      RecordId elsewhere = recordOn(cluster, cluster.masters().get(0));
      assertThat(store.claim(elsewhere, "fp", "a", TTL)).is(acquiredBy("a"));
    }
  }

  private static RecordId recordOn(LocalRedisCluster cluster, RedisServerProcess master) {
    RecordKeys keys = new RecordKeys(RedisIdempotencyStore.DEFAULT_KEY_PREFIX);
    for (int i = 0; ; i++) {
      RecordId id = id("key-" + i);
      if (cluster.nodeFor(new String(keys.key(id), StandardCharsets.US_ASCII)) == master) return id;
    }
  }
}
