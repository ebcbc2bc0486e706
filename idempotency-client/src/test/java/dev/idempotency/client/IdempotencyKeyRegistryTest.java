package dev.idempotency.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idempotency.contract.FakeTime;
import dev.idempotency.contract.IdempotencyKey;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The registry: one key per action until it ends or expires, in memory and in files. */
class IdempotencyKeyRegistryTest {
  private static final IdempotentAction CHECKOUT = IdempotentAction.of("checkout:cart-42");

  @TempDir Path dir;

  private final FakeTime time = new FakeTime();
  private final Clock clock = time.clock();

  @ParameterizedTest
  @ValueSource(strings = {"memory", "files"})
  void sameKeyForARepeatedAction_untilItIsForgotten(String kind) {
    IdempotencyKeyRegistry registry = registry(kind);
    IdempotencyKey first = registry.keyFor(CHECKOUT);
    assertThat(registry.keyFor(CHECKOUT)).isEqualTo(first);
    assertThat(registry.keyFor(IdempotentAction.of("checkout:cart-43"))).isNotEqualTo(first);

    assertThat(registry.forget(CHECKOUT, first)).isTrue();
    IdempotencyKey second = registry.keyFor(CHECKOUT);
    assertThat(second).isNotEqualTo(first);
    assertThat(registry.keyFor(CHECKOUT)).isEqualTo(second);
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "files"})
  void forgettingAnOlderKey_leavesANewerOneAlone(String kind) {
    IdempotencyKeyRegistry registry = registry(kind);
    IdempotencyKey old = registry.keyFor(CHECKOUT);
    registry.forget(CHECKOUT);
    IdempotencyKey current = registry.keyFor(CHECKOUT);
    assertThat(registry.forget(CHECKOUT, old)).isFalse();
    assertThat(registry.keyFor(CHECKOUT)).isEqualTo(current);
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "files"})
  void keysExpireAfterTheirLifetime(String kind) {
    IdempotencyKeyRegistry registry = registry(kind);
    assertThat(registry.keyLifetime()).isEqualTo(Duration.ofHours(24));
    IdempotencyKey first = registry.keyFor(CHECKOUT);
    time.advance(Duration.ofHours(24).minusMillis(1));
    assertThat(registry.keyFor(CHECKOUT)).as("reused within the lifetime").isEqualTo(first);
    time.advance(Duration.ofMillis(1));
    IdempotencyKey second = registry.keyFor(CHECKOUT);
    assertThat(second).as("the server may have forgotten it").isNotEqualTo(first);
    time.advance(Duration.ofHours(1));
    assertThat(registry.keyFor(CHECKOUT)).as("the lifetime runs from the new key").isEqualTo(second);
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "files"})
  void purgeExpired_removesAbandonedKeysOnly(String kind) {
    IdempotencyKeyRegistry registry = registry(kind);
    registry.keyFor(IdempotentAction.of("abandoned-1"));
    registry.keyFor(IdempotentAction.of("abandoned-2"));
    time.advance(Duration.ofHours(23));
    IdempotencyKey fresh = registry.keyFor(IdempotentAction.of("fresh"));
    time.advance(Duration.ofHours(2));
    assertThat(registry.purgeExpired()).isEqualTo(2);
    assertThat(registry.store().loadAll()).extracting(IdempotencyKeyStore.Entry::action).containsExactly("fresh");
    assertThat(registry.keyFor(IdempotentAction.of("fresh"))).isEqualTo(fresh);
  }

  @Test
  void fileStore_survivesARestart() {
    IdempotencyKeyRegistry before = registry("files");
    IdempotencyKey checkout = before.keyFor(CHECKOUT);
    IdempotencyKey other = before.keyFor(IdempotentAction.of("refund:7"));
    before.forget(IdempotentAction.of("refund:7"), other);

    // A new registry over the same directory: what a restarted application builds.
    IdempotencyKeyRegistry after = registry("files");
    assertThat(after.keyFor(CHECKOUT)).isEqualTo(checkout);
    assertThat(after.keyFor(IdempotentAction.of("refund:7"))).as("it had ended").isNotEqualTo(other);
  }

  @Test
  void fileStore_keepsOneFilePerAction_namedByDigest_andNoTemporaryFiles() throws Exception {
    FileKeyStore store = FileKeyStore.open(dir);
    IdempotencyKeyRegistry registry = IdempotencyKeyRegistry.builder().store(store).clock(clock).build();
    for (int i = 0; i < 5; i++) registry.keyFor(IdempotentAction.of("a/../../" + i + "\n:*?"));
    try (var files = java.nio.file.Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .hasSize(5)
          .allMatch(name -> name.matches("[0-9a-f]{64}\\.key"));
    }
    assertThat(registry.keyFor(IdempotentAction.of("a/../../0\n:*?")))
        .isEqualTo(store.load("a/../../0\n:*?").orElseThrow().key());
  }

  @Test
  void fileStore_ignoresTemporaryFilesACrashLeftBehind() throws Exception {
    FileKeyStore store = FileKeyStore.open(dir);
    IdempotencyKeyRegistry registry = IdempotencyKeyRegistry.builder().store(store).clock(clock).build();
    IdempotencyKey key = registry.keyFor(CHECKOUT);
    // What a crash between writing and moving leaves: a half-written temporary file.
    Path temp = dir.resolve("." + store.fileFor(CHECKOUT.name()).getFileName() + ".123.tmp");
    java.nio.file.Files.writeString(temp, "version=1\nact");
    assertThat(registry.keyFor(CHECKOUT)).isEqualTo(key);
    assertThat(store.loadAll()).hasSize(1);
  }

  @Test
  void corruptFile_givesAClearError_andTheOtherKeysStayReadable() throws Exception {
    FileKeyStore store = FileKeyStore.open(dir);
    IdempotencyKeyRegistry registry = IdempotencyKeyRegistry.builder().store(store).clock(clock).build();
    IdempotencyKey intact = registry.keyFor(IdempotentAction.of("intact"));
    registry.keyFor(CHECKOUT);
    Path file = store.fileFor(CHECKOUT.name());
    java.nio.file.Files.writeString(file, "version=1\naction=checkout:cart-42\nkey=\ncreated=yesterday\n");

    assertThatThrownBy(() -> registry.keyFor(CHECKOUT))
        .isInstanceOf(IdempotencyKeyStoreException.class)
        .hasMessageContaining("corrupt key file")
        .hasMessageContaining(file.toString());
    assertThat(java.nio.file.Files.exists(file)).as("left for an operator").isTrue();
    assertThat(registry.keyFor(IdempotentAction.of("intact"))).isEqualTo(intact);
    assertThat(registry.store().loadAll()).extracting(IdempotencyKeyStore.Entry::action).containsExactly("intact");

    // Forgetting the action is how to clear it.
    assertThat(registry.forget(CHECKOUT)).isTrue();
    assertThat(registry.keyFor(CHECKOUT)).isNotNull();
  }

  @Test
  void fileHoldingAnotherActionsKey_isCorrupt() throws Exception {
    FileKeyStore store = FileKeyStore.open(dir);
    IdempotencyKeyRegistry registry = IdempotencyKeyRegistry.builder().store(store).clock(clock).build();
    registry.keyFor(CHECKOUT);
    registry.keyFor(IdempotentAction.of("other"));
    java.nio.file.Files.copy(store.fileFor("other"), store.fileFor(CHECKOUT.name()),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    assertThatThrownBy(() -> registry.keyFor(CHECKOUT))
        .isInstanceOf(IdempotencyKeyStoreException.class)
        .hasMessageContaining("holds the key of action 'other'");
  }

  @Test
  void unreadableFile_givesAClearError() throws Exception {
    FileKeyStore store = FileKeyStore.open(dir);
    // A directory where the file should be: unreadable whatever the user's permissions.
    java.nio.file.Files.createDirectory(store.fileFor(CHECKOUT.name()));
    IdempotencyKeyRegistry registry = IdempotencyKeyRegistry.builder().store(store).clock(clock).build();
    assertThatThrownBy(() -> registry.keyFor(CHECKOUT))
        .isInstanceOf(IdempotencyKeyStoreException.class)
        .hasMessageContaining("cannot read the key file")
        .hasMessageContaining("checkout:cart-42");
    assertThat(registry.keyFor(IdempotentAction.of("intact"))).isNotNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "files"})
  void manyThreadsAskingForOneAction_allGetOneKey(String kind) throws Exception {
    IdempotencyKeyRegistry registry = registry(kind);
    int threads = 16;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<List<IdempotencyKey>>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        results.add(pool.submit(() -> {
          start.await();
          List<IdempotencyKey> keys = new ArrayList<>();
          for (int a = 0; a < 50; a++) keys.add(registry.keyFor(IdempotentAction.of("action-" + a)));
          return keys;
        }));
      }
      start.countDown();
      List<Set<IdempotencyKey>> perAction = new ArrayList<>();
      for (int a = 0; a < 50; a++) perAction.add(new HashSet<>());
      for (Future<List<IdempotencyKey>> f : results) {
        List<IdempotencyKey> keys = f.get(30, TimeUnit.SECONDS);
        for (int a = 0; a < 50; a++) perAction.get(a).add(keys.get(a));
      }
      assertThat(perAction).allMatch(s -> s.size() == 1);
      Set<IdempotencyKey> distinct = new HashSet<>();
      perAction.forEach(distinct::addAll);
      assertThat(distinct).hasSize(50);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void keyGenerators_makeUuidV4AndV7() {
    assertThat(UUID.fromString(KeyGenerator.uuidV4().newKey().value()).version()).isEqualTo(4);
    // KeyGeneratorTest checks their bits and their order.
    assertThat(UUID.fromString(KeyGenerator.uuidV7().newKey().value()).version()).isEqualTo(7);
  }

  @Test
  void argumentsAreCheckedWhereTheyEnter() {
    assertThatThrownBy(() -> IdempotentAction.of(null)).isInstanceOf(NullPointerException.class)
        .hasMessage("name");
    assertThatThrownBy(() -> IdempotentAction.of(" ")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> IdempotencyKeyRegistry.builder().keyLifetime(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> IdempotencyKeyRegistry.builder().store(null))
        .isInstanceOf(NullPointerException.class).hasMessage("store");
    assertThatThrownBy(() -> IdempotencyKeyRegistry.inMemory().keyFor(null))
        .isInstanceOf(NullPointerException.class).hasMessage("action");
  }

  private IdempotencyKeyRegistry registry(String kind) {
    IdempotencyKeyStore store = kind.equals("files") ? FileKeyStore.open(dir) : IdempotencyKeyStore.inMemory();
    return IdempotencyKeyRegistry.builder().store(store).clock(clock).build();
  }
}
