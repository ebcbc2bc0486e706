package dev.idempotency.server.jdbc;

import dev.idempotency.server.store.IdempotencyStore;
import dev.idempotency.server.store.IdempotencyStoreContract;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The store contract, unchanged, against a real PostgreSQL (a database of its own on the shared
 * server), over connections from a pool as an application would have.
 *
 * <p>Time passes by the database's clock: {@link #advance} moves every row's expiry that much
 * closer, as the clock moving on would have. No test sleeps, so the "short" TTL can be long
 * enough that a stalled machine never expires a record early. Real expiry by
 * {@code clock_timestamp()} is tested in {@link JdbcIdempotencyStoreTest}.
 */
class JdbcStoreContractTest extends IdempotencyStoreContract {
  private static PostgresServerProcess server;
  private static String database;
  private static SimplePool dataSource;

  @BeforeAll
  static void createTable() {
    server = PostgresServerFixture.shared();
    database = server.createDatabase("contract");
    dataSource = new SimplePool(server.dataSource(database));
    JdbcIdempotencyStore.builder(dataSource).createSchemaIfMissing(true).build();
  }

  private static final List<JdbcIdempotencyStore> STORES = new CopyOnWriteArrayList<>();

  @AfterAll
  static void closePool() {
    dataSource.close();
    // How often a claim met the race its statement cannot see (RecordTable.claimSql): evidence
    // that the concurrency test exercised it.
    System.out.println("claim statements run again after a race: "
        + STORES.stream().mapToLong(JdbcIdempotencyStore::claimReruns).sum());
  }

  @Override
  protected IdempotencyStore newStore() {
    JdbcIdempotencyStore store = JdbcIdempotencyStore.builder(dataSource).build();
    STORES.add(store);
    return store;
  }

  @Override
  protected void advance(Duration d) {
    server.execute(database, "UPDATE " + JdbcIdempotencyStore.DEFAULT_TABLE_NAME
        + " SET expires_at = expires_at - interval '" + d.toMillis() + " milliseconds'");
  }

  @Override
  protected Duration shortTtl() {
    return Duration.ofSeconds(5);
  }

  /** The suite's 50 rounds of 32 racing claims; more for a harder run: {@code -Didem.jdbc.rounds=1000}. */
  @Override
  protected int concurrencyRounds() {
    return Integer.getInteger("idem.jdbc.rounds", super.concurrencyRounds());
  }
}
