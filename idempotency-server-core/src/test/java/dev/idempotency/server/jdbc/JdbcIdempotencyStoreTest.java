package dev.idempotency.server.jdbc;

import static dev.idempotency.server.store.ClaimAssertions.acquiredBy;
import static dev.idempotency.server.store.ClaimAssertions.fencingToken;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idempotency.server.store.ClaimResult;
import dev.idempotency.server.store.IdempotencyStoreUnavailableException;
import dev.idempotency.server.store.RecordId;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * What the contract suite does not see: the table itself (its rows, its schema, its sweep), the
 * fencing tokens, real expiry by the database's clock, and races the suite does not run. On the
 * shared server, in a database of its own, over a pool; each test uses a table of its own.
 */
class JdbcIdempotencyStoreTest {
  private static final Duration LEASE = Duration.ofMinutes(10);
  private static final Duration RETENTION = Duration.ofMinutes(10);
  private static final AtomicInteger TABLES = new AtomicInteger();

  private static PostgresServerProcess server;
  private static String database;
  private static SimplePool dataSource;

  private String table;
  private JdbcIdempotencyStore store;

  @BeforeAll
  static void createDatabase() {
    server = PostgresServerFixture.shared();
    database = server.createDatabase("store");
    dataSource = new SimplePool(server.dataSource(database));
  }

  @AfterAll
  static void closePool() {
    dataSource.close();
  }

  @BeforeEach
  void newTable() {
    table = "t" + TABLES.incrementAndGet();
    store = newStore(b -> b);
  }

  private JdbcIdempotencyStore newStore(UnaryOperator<JdbcIdempotencyStore.Builder> settings) {
    return settings.apply(JdbcIdempotencyStore.builder(dataSource).tableName(table).createSchemaIfMissing(true)).build();
  }

  private static RecordId id(String key) {
    return new RecordId("payments", "alice", key);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private long count() {
    return server.queryLong(database, "SELECT count(*) FROM " + table);
  }

  /** Moves every row's expiry {@code d} closer: time passing, by the table's measure. */
  private void advance(Duration d) {
    server.execute(database, "UPDATE " + table + " SET expires_at = expires_at - interval '" + d.toMillis() + " ms'");
  }

  /** One row's columns, by record id. */
  private Map<String, Object> row(RecordId id) {
    return server.admin(database, c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT id, fingerprint, state, owner_token, fence, result, xmin::text::bigint AS xmin, xmax::text::bigint AS xmax"
              + " FROM " + table + " WHERE id = ?")) {
        ps.setBytes(1, RecordDigest.of(id));
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) return null;
          Map<String, Object> row = new LinkedHashMap<>();
          for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
            row.put(rs.getMetaData().getColumnName(i), rs.getObject(i));
          }
          return row;
        }
      }
    });
  }

  @Test
  void answersAreStoredAsByteaExactlyAsGivenAndComeBackSo() {
    byte[] everyByte = new byte[256];
    for (int i = 0; i < everyByte.length; i++) everyByte[i] = (byte) i;
    byte[] large = new byte[1 << 20];
    new Random(42).nextBytes(large);
    Map<String, byte[]> answers = new LinkedHashMap<>();
    answers.put("every-byte", everyByte);
    answers.put("empty", new byte[0]);
    answers.put("nul", new byte[] {0});
    answers.put("ff", new byte[] {(byte) 0xFF, 0, (byte) 0xFF});
    answers.put("bad-utf8", new byte[] {(byte) 0xC3, (byte) 0x28, (byte) 0xFE});
    answers.put("1-mib", large);
    answers.forEach((key, answer) -> {
      store.claim(id(key), "fp", "owner", LEASE);
      assertThat(store.complete(id(key), "owner", answer, RETENTION)).isTrue();
    });
    answers.forEach((key, answer) -> {
      assertThat((byte[]) row(id(key)).get("result")).as(key).isEqualTo(answer);
      ClaimResult replay = store.claim(id(key), "fp", "other", LEASE);
      assertThat(replay).isInstanceOf(ClaimResult.Completed.class);
      assertThat(((ClaimResult.Completed) replay).result()).as(key).isEqualTo(answer);
    });
  }

  @Test
  void everyVisibleAsciiKeyAndLongKeysAreRowsOfTheirOwnKeyedBy32ByteDigests() {
    List<String> keys = new ArrayList<>();
    StringBuilder all = new StringBuilder();
    for (char c = 0x21; c <= 0x7E; c++) {
      keys.add(String.valueOf(c));
      all.append(c);
    }
    keys.add(all.toString());
    keys.add(all.reverse().toString());
    keys.addAll(List.of("k".repeat(255), "k".repeat(254) + "l", "'; DROP TABLE x; --", "%_\\"));
    for (String k : keys) {
      assertThat(store.claim(id(k), "fp", "owner", LEASE)).as(k).isInstanceOf(ClaimResult.Acquired.class);
      assertThat(store.complete(id(k), "owner", bytes("answer to " + k), RETENTION)).isTrue();
    }
    for (String k : keys) {
      ClaimResult replay = store.claim(id(k), "fp", "other", LEASE);
      assertThat(new String(((ClaimResult.Completed) replay).result(), StandardCharsets.UTF_8)).isEqualTo("answer to " + k);
    }
    assertThat(count()).isEqualTo(keys.size());
    // The key column holds the record digest and nothing else: no character of a client's key.
    assertThat(server.queryLong(database, "SELECT count(*) FROM " + table + " WHERE octet_length(id) <> 32"
        + " OR octet_length(fingerprint) <> 32 OR owner_token IS NOT NULL")).isZero();
    for (String k : keys) assertThat(row(id(k))).as(k).isNotNull().containsEntry("id", RecordDigest.of(id(k)));
  }

  @Test
  void aRowHoldsDigestsOfItsFingerprintAndTokenAndNoTokenOnceCompleted() {
    RecordId id = id("k");
    // Strings that a text column would refuse (NUL) or alter (a lone surrogate).
    String fingerprint = "fp\u0000\uD800";
    store.claim(id, fingerprint, "owner-a", LEASE);
    Map<String, Object> claimed = row(id);
    assertThat(claimed).containsEntry("state", "p").containsEntry("result", null);
    assertThat((byte[]) claimed.get("fingerprint")).isEqualTo(RecordDigest.of(fingerprint));
    assertThat((byte[]) claimed.get("owner_token")).isEqualTo(RecordDigest.of("owner-a"));
    assertThat(store.claim(id, "fp\u0000\uDBFF", "owner-b", LEASE)).isInstanceOf(ClaimResult.FingerprintMismatch.class);
    assertThat(store.claim(id, fingerprint, "owner-b", LEASE)).isInstanceOf(ClaimResult.InProgress.class);

    assertThat(store.complete(id, "owner-a", bytes("answer"), RETENTION)).isTrue();
    assertThat(row(id)).containsEntry("state", "c").containsEntry("owner_token", null)
        .containsEntry("fence", claimed.get("fence"));
  }

  @Test
  void recordsExpireByTheDatabasesClock() throws InterruptedException {
    RecordId id = id("k");
    assertThat(store.claim(id, "fp", "owner-a", Duration.ofMillis(50))).isInstanceOf(ClaimResult.Acquired.class);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    ClaimResult next;
    while (!((next = store.claim(id, "fp", "owner-b", LEASE)) instanceof ClaimResult.Acquired)) {
      assertThat(next).isInstanceOf(ClaimResult.InProgress.class);
      assertThat(((ClaimResult.InProgress) next).leaseRemaining()).isLessThanOrEqualTo(Duration.ofMillis(50));
      assertThat(System.nanoTime()).as("still claimed after 30 s").isLessThan(deadline);
      Thread.sleep(10);
    }
    assertThat(store.complete(id, "owner-a", bytes("late"), RETENTION)).isFalse();
    assertThat(store.complete(id, "owner-b", bytes("answer"), Duration.ofMillis(50))).isTrue();
    deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!(store.claim(id, "other-fp", "owner-c", LEASE) instanceof ClaimResult.Acquired)) {
      assertThat(System.nanoTime()).as("still retained after 30 s").isLessThan(deadline);
      Thread.sleep(10);
    }
  }

  @Test
  void fencingTokensIncreaseAcrossTheSuccessiveOwnersOfARecord() {
    RecordId id = id("k");
    List<Long> fences = new ArrayList<>();
    fences.add(fencingToken(store.claim(id, "fp", "owner-1", LEASE)));
    // Repeats draw no token and write nothing: the row's version is the one the claim wrote.
    Map<String, Object> before = row(id);
    assertThat(fencingToken(store.claim(id, "fp", "x", LEASE))).isZero();
    assertThat(fencingToken(store.claim(id, "other", "x", LEASE))).isZero();
    assertThat(row(id)).containsEntry("xmin", before.get("xmin")).containsEntry("xmax", 0L);

    assertThat(store.release(id, "owner-1")).isTrue();
    fences.add(fencingToken(store.claim(id, "fp", "owner-2", Duration.ofSeconds(5)))); // after a release
    advance(Duration.ofSeconds(5));
    fences.add(fencingToken(store.claim(id, "fp", "owner-3", LEASE))); // a take-over of an expired lease
    assertThat(store.complete(id, "owner-3", bytes("answer"), Duration.ofSeconds(5))).isTrue();
    assertThat(fencingToken(store.claim(id, "fp", "x", LEASE))).as("a replay").isZero();
    advance(Duration.ofSeconds(5));
    fences.add(fencingToken(store.claim(id, "fp", "owner-4", LEASE))); // after the retention
    // Another record in between draws from the same sequence: still increasing for this one.
    store.claim(id("other"), "fp", "y", LEASE);
    assertThat(store.release(id, "owner-4")).isTrue();
    fences.add(fencingToken(store.claim(id, "fp", "owner-5", LEASE)));

    assertThat(fences).doesNotContain(0L).isSorted().doesNotHaveDuplicates();
    assertThat(row(id)).containsEntry("fence", fences.get(fences.size() - 1));
  }

  /**
   * 32 threads race to take over a record whose lease has just expired, round after round: the
   * conflict path of the claim. Exactly one wins, with a fencing token above the previous owner's.
   */
  @Test
  void ofManyConcurrentTakeOversOfAnExpiredClaimExactlyOneWins() throws Exception {
    int threads = 32;
    CyclicBarrier start = new CyclicBarrier(threads);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      RecordId id = id("race");
      long previous = fencingToken(store.claim(id, "fp", "first", Duration.ofSeconds(5)));
      for (int round = 0; round < 5; round++) {
        advance(Duration.ofSeconds(5)); // the owner's lease has run out
        List<Future<ClaimResult>> claims = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          String token = "round-" + round + "-" + t;
          claims.add(pool.submit(() -> {
            start.await(30, TimeUnit.SECONDS);
            return store.claim(id, "fp", token, Duration.ofSeconds(5));
          }));
        }
        List<Long> winners = new ArrayList<>();
        for (Future<ClaimResult> f : claims) {
          ClaimResult r = f.get(60, TimeUnit.SECONDS);
          if (r instanceof ClaimResult.Acquired a) winners.add(a.fencingToken());
          else assertThat(r).isInstanceOf(ClaimResult.InProgress.class);
        }
        assertThat(winners).as("round %d", round).hasSize(1);
        assertThat(winners.get(0)).isGreaterThan(previous);
        previous = winners.get(0);
      }
    } finally {
      pool.shutdownNow();
    }
    System.out.println("claim statements run again after a race: " + store.claimReruns());
  }

  /**
   * Under a stricter default isolation the race the claim's snapshot cannot see is a
   * serialization failure (40001) instead of an empty answer; it is run again all the same.
   */
  @Test
  void underSerializableIsolationConcurrentClaimsStillHaveOneWinner() throws Exception {
    PGSimpleDataSource serializable = (PGSimpleDataSource) server.dataSource(database);
    serializable.setOptions("-c default_transaction_isolation=serializable");
    int threads = 32;
    try (SimplePool pool = new SimplePool(serializable)) {
      JdbcIdempotencyStore strict = JdbcIdempotencyStore.builder(pool).tableName(table).build();
      try (Connection c = pool.getConnection(); Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SHOW transaction_isolation")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getString(1)).isEqualTo("serializable");
      }
      CyclicBarrier start = new CyclicBarrier(threads);
      ExecutorService workers = Executors.newFixedThreadPool(threads);
      try {
        for (int round = 0; round < 10; round++) {
          RecordId id = id("serializable-" + round);
          List<Future<ClaimResult>> claims = new ArrayList<>();
          for (int t = 0; t < threads; t++) {
            String token = "owner-" + t;
            claims.add(workers.submit(() -> {
              start.await(30, TimeUnit.SECONDS);
              return strict.claim(id, "fp", token, LEASE);
            }));
          }
          int acquired = 0;
          for (Future<ClaimResult> f : claims) {
            ClaimResult r = f.get(60, TimeUnit.SECONDS);
            if (r instanceof ClaimResult.Acquired) acquired++;
            else assertThat(r).isInstanceOf(ClaimResult.InProgress.class);
          }
          assertThat(acquired).as("round %d", round).isEqualTo(1);
        }
      } finally {
        workers.shutdownNow();
      }
      System.out.println("serializable: claim statements run again after a race: " + strict.claimReruns());
    }
  }

  @Test
  void aSteadyLoadOfExpiringRecordsKeepsTheTableBounded() throws InterruptedException {
    int waves = 25;
    int perWave = 20;
    JdbcIdempotencyStore sweeping = newStore(b -> b.sweepEvery(8).sweepBatchSize(50));
    long most = 0;
    for (int wave = 0; wave < waves; wave++) {
      awaitAllExpired();
      for (int i = 0; i < perWave; i++) {
        sweeping.claim(id("w" + wave + "-" + i), "fp", "owner", Duration.ofMillis(1));
      }
      most = Math.max(most, count());
    }
    // The first sweep of each wave deletes every row of the waves before (all expired, fewer
    // than a batch); what is left is this wave's.
    assertThat(most).isLessThanOrEqualTo(perWave);

    // The same load with the sweep off keeps every row.
    table = "t" + TABLES.incrementAndGet();
    JdbcIdempotencyStore notSweeping = newStore(b -> b.sweepEvery(0));
    for (int wave = 0; wave < waves; wave++) {
      for (int i = 0; i < perWave; i++) {
        notSweeping.claim(id("w" + wave + "-" + i), "fp", "owner", Duration.ofMillis(1));
      }
    }
    assertThat(count()).isEqualTo((long) waves * perWave);
  }

  /** Waits, by the database's clock, until no row of the table is live. */
  private void awaitAllExpired() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (server.queryLong(database, "SELECT count(*) FROM " + table + " WHERE expires_at > clock_timestamp()") > 0) {
      assertThat(System.nanoTime()).as("rows still live after 30 s").isLessThan(deadline);
      Thread.sleep(1);
    }
  }

  @Test
  void deleteExpiredDeletesEveryExpiredRowInBatchesAndNoLiveOne() {
    JdbcIdempotencyStore periodic = newStore(b -> b.sweepEvery(0).sweepBatchSize(100));
    server.execute(database, "INSERT INTO " + table + " (id, fingerprint, state, owner_token, fence, expires_at)"
        + " SELECT sha256(i::text::bytea), sha256(''::bytea), 'p', sha256('t'::bytea), i,"
        + " clock_timestamp() - interval '1 second' FROM generate_series(1, 250) i");
    periodic.claim(id("live"), "fp", "owner", LEASE);
    periodic.claim(id("done"), "fp", "owner", LEASE);
    periodic.complete(id("done"), "owner", bytes("answer"), RETENTION);

    assertThat(periodic.deleteExpired()).isEqualTo(250);
    assertThat(count()).isEqualTo(2);
    assertThat(periodic.deleteExpired()).isZero();
    assertThat(periodic.claim(id("done"), "fp", "x", LEASE)).isInstanceOf(ClaimResult.Completed.class);
  }

  @Test
  void theSweepIsAnIndexRangeScanOnTheExpiry() {
    insertLiveRows(20_000);
    assertThat(explainSweep("EXPLAIN ")).contains("Index Scan using " + table + "_expires_at").doesNotContain("Seq Scan");
  }

  /**
   * The sweep's scan ends at the first live row: the expiry is its index condition, not a filter
   * (a filter read every row of the table, in expiry order, on every sweep that found nothing).
   */
  @Test
  void theSweepReadsNoLiveRowWhenNothingExpired() {
    insertLiveRows(20_000);
    assertThat(explainSweep("EXPLAIN (ANALYZE, COSTS OFF) "))
        .contains("Index Cond: (expires_at <=").doesNotContain("Rows Removed by Filter");
    assertThat(count()).isEqualTo(20_000);
  }

  /** {@code n} claims in progress whose leases end 1 to n seconds from now, the table analyzed. */
  private void insertLiveRows(int n) {
    server.execute(database, "INSERT INTO " + table + " (id, fingerprint, state, owner_token, fence, expires_at)"
        + " SELECT sha256(i::text::bytea), sha256(''::bytea), 'p', sha256('t'::bytea), i,"
        + " clock_timestamp() + i * interval '1 second' FROM generate_series(1, " + n + ") i;"
        + " ANALYZE " + table);
  }

  /** The plan of one sweep of 100 rows, as {@code explain} (an EXPLAIN with its options) prints it. */
  private String explainSweep(String explain) {
    return server.admin(database, c -> {
      StringBuilder out = new StringBuilder();
      try (PreparedStatement ps = c.prepareStatement(explain + RecordTable.named(table).deleteExpiredSql())) {
        ps.setInt(1, 100);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) out.append(rs.getString(1)).append('\n');
        }
      }
      return out.toString();
    });
  }

  @Test
  void aConfiguredTableInASchemaOfItsOwnIsTheOnlyOneUsed() {
    String schemaTable = "idem_" + table + ".Records";
    JdbcIdempotencyStore custom = JdbcIdempotencyStore.builder(dataSource)
        .tableName(schemaTable).createSchemaIfMissing(true).build();
    assertThat(custom.tableName()).isEqualTo(schemaTable);
    custom.claim(id("k"), "fp", "owner", LEASE);
    custom.complete(id("k"), "owner", bytes("answer"), RETENTION);

    assertThat(server.queryLong(database, "SELECT count(*) FROM idem_" + table + ".\"Records\"")).isEqualTo(1);
    assertThat(count()).isZero();
    assertThat(server.queryLong(database, "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        + " WHERE n.nspname = 'idem_" + table + "' AND c.relname IN ('Records', 'Records_fence_seq', 'Records_expires_at')"))
        .isEqualTo(3);
  }

  @Test
  void createSchemaIfMissingIsIdempotentAndSafeWhenInstancesStartTogether() throws Exception {
    store.claim(id("k"), "fp", "owner", LEASE);
    newStore(b -> b); // again: the table and its row stay
    assertThat(count()).isEqualTo(1);

    table = "t" + TABLES.incrementAndGet();
    int instances = 8;
    CyclicBarrier start = new CyclicBarrier(instances);
    ExecutorService pool = Executors.newFixedThreadPool(instances);
    try {
      List<Future<JdbcIdempotencyStore>> stores = new ArrayList<>();
      for (int i = 0; i < instances; i++) {
        stores.add(pool.submit(() -> {
          start.await(30, TimeUnit.SECONDS);
          return newStore(b -> b);
        }));
      }
      for (Future<JdbcIdempotencyStore> f : stores) f.get(60, TimeUnit.SECONDS);
    } finally {
      pool.shutdownNow();
    }
    assertThat(count()).isZero();
  }

  @Test
  void withoutCreateSchemaIfMissingAMissingTableIsAnUnavailableStoreNamingIt() {
    JdbcIdempotencyStore missing = JdbcIdempotencyStore.builder(dataSource).tableName("nowhere").build();
    assertThatThrownBy(() -> missing.claim(id("k"), "fp", "owner", LEASE))
        .isInstanceOf(IdempotencyStoreUnavailableException.class)
        .hasMessageContaining("claim").hasMessageContaining("42P01").hasMessageContaining("nowhere")
        .hasCauseInstanceOf(SQLException.class);
  }

  /**
   * The schema file as Flyway or Liquibase would run it, and createSchemaIfMissing with the
   * default name, make the same table, sequence and index.
   */
  @Test
  void theSchemaFileAndCreateSchemaIfMissingMakeTheSameObjects() {
    String fromFile = server.createDatabase("schema_file");
    String fromStore = server.createDatabase("schema_store");
    server.execute(fromFile, RecordTable.schemaFile());
    JdbcIdempotencyStore.builder(server.dataSource(fromStore)).createSchemaIfMissing(true).build();

    String described = describe(fromFile, "idempotency_records");
    assertThat(described).contains("id|bytea|NO", "expires_at|timestamp with time zone|NO",
        "PRIMARY KEY (id)", "(expires_at)", "idempotency_records_fence_seq");
    assertThat(describe(fromStore, "idempotency_records")).isEqualTo(described);
    // A configured name makes the same objects under its own names.
    JdbcIdempotencyStore.builder(server.dataSource(fromStore)).tableName("other_records").createSchemaIfMissing(true).build();
    assertThat(describe(fromStore, "other_records").replace("other_records", "idempotency_records")).isEqualTo(described);
  }

  /** Columns, constraints, indexes and the sequence of {@code table}, as PostgreSQL describes them. */
  private static String describe(String db, String table) {
    return server.admin(db, c -> {
      StringBuilder out = new StringBuilder();
      query(c, out, "SELECT column_name || '|' || data_type || '|' || is_nullable || '|' || coalesce(column_default, '')"
          + " || '|' || coalesce(character_maximum_length::text, '') FROM information_schema.columns"
          + " WHERE table_name = ? ORDER BY ordinal_position", table);
      query(c, out, "SELECT contype::text || '|' || pg_get_constraintdef(oid) FROM pg_constraint"
          + " WHERE conrelid = ?::regclass ORDER BY 1", table);
      query(c, out, "SELECT indexdef FROM pg_indexes WHERE tablename = ? ORDER BY 1", table);
      query(c, out, "SELECT sequence_name || '|' || data_type || '|' || start_value || '|' || increment"
          + " FROM information_schema.sequences WHERE sequence_name = ? || '_fence_seq'", table);
      return out.toString();
    });
  }

  private static void query(Connection c, StringBuilder out, String sql, String parameter) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, parameter);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) out.append(rs.getString(1)).append('\n');
      }
    }
  }

  @Test
  void tableNamesAndSettingsAreCheckedWhereTheyEnter() {
    JdbcIdempotencyStore.Builder b = JdbcIdempotencyStore.builder(dataSource);
    assertThatThrownBy(() -> JdbcIdempotencyStore.builder(null)).isInstanceOf(NullPointerException.class).hasMessage("dataSource");
    assertThatThrownBy(() -> b.tableName(null)).isInstanceOf(NullPointerException.class).hasMessage("tableName");
    for (String bad : List.of("", "1abc", "a-b", "a b", "a;b", "\"a\"", "a.b.c", ".a", "a.", "é", "a".repeat(53),
        "s".repeat(64) + ".t")) {
      assertThatThrownBy(() -> b.tableName(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
    }
    for (String good : List.of("a", "_a1", "Idem", "select", "a".repeat(52), "s".repeat(63) + ".t", "idem.records")) {
      assertThat(JdbcIdempotencyStore.builder(dataSource).tableName(good).build().tableName()).isEqualTo(good);
    }
    assertThatThrownBy(() -> b.statementTimeout(Duration.ofMillis(-1))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.statementTimeout(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> b.sweepBatchSize(0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.sweepBatchSize(10_001)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.sweepEvery(-1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.renew(id("k"), "owner", Duration.ofDays(365 * 1000)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(count()).isZero();
  }

  /**
   * A pool may hand out connections with autocommit off; each transition still commits on its
   * own, and the connection goes back as it came.
   */
  @Test
  void connectionsWithoutAutocommitStillCommitEveryTransition() {
    List<Boolean> autoCommitOnClose = new java.util.concurrent.CopyOnWriteArrayList<>();
    JdbcIdempotencyStore manual = JdbcIdempotencyStore.builder(manualCommit(dataSource, autoCommitOnClose))
        .tableName(table).build();
    manual.claim(id("k"), "fp", "owner", LEASE);
    assertThat(row(id("k"))).as("visible to another session").isNotNull();
    assertThat(manual.complete(id("k"), "owner", bytes("answer"), RETENTION)).isTrue();
    assertThat(store.claim(id("k"), "fp", "x", LEASE)).isInstanceOf(ClaimResult.Completed.class);
    assertThat(autoCommitOnClose).containsExactly(false, false);
  }

  /**
   * A data source over {@code delegate} whose connections start with autocommit off, as some
   * pools are configured, and that notes each connection's autocommit when it is closed.
   */
  private static DataSource manualCommit(DataSource delegate, List<Boolean> autoCommitOnClose) {
    InvocationHandler dataSource = (proxy, method, args) -> {
      if (!method.getName().equals("getConnection") || args != null) return invoke(delegate, method, args);
      Connection real = delegate.getConnection();
      real.setAutoCommit(false);
      return Proxy.newProxyInstance(JdbcIdempotencyStoreTest.class.getClassLoader(), new Class<?>[] {Connection.class},
          (p, m, a) -> {
            if (m.getName().equals("close")) autoCommitOnClose.add(real.getAutoCommit());
            return invoke(real, m, a);
          });
    };
    return (DataSource) Proxy.newProxyInstance(JdbcIdempotencyStoreTest.class.getClassLoader(),
        new Class<?>[] {DataSource.class}, dataSource);
  }

  private static Object invoke(Object target, Method method, Object[] args) throws Throwable {
    try {
      return method.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  @Test
  void twoStoresOverOneTableAreOneStore() {
    JdbcIdempotencyStore other = newStore(b -> b);
    String token = UUID.randomUUID().toString();
    assertThat(store.claim(id("k"), "fp", token, LEASE)).is(acquiredBy(token));
    assertThat(other.claim(id("k"), "fp", "x", LEASE)).isInstanceOf(ClaimResult.InProgress.class);
    assertThat(other.complete(id("k"), token, bytes("answer"), RETENTION)).isTrue();
    assertThat(((ClaimResult.Completed) store.claim(id("k"), "fp", "y", LEASE)).result()).isEqualTo(bytes("answer"));
  }
}
