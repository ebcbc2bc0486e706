package dev.idempotency.server.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.contract.ReadmeSnippets;
import dev.idempotency.server.GuardedResult;
import dev.idempotency.server.IdempotencyGuard;
import dev.idempotency.server.IdempotentCall;
import dev.idempotency.server.ResultCodec;
import dev.idempotency.server.StorePolicy;
import dev.idempotency.server.store.IdempotencyStoreUnavailableException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** The code of the README's section "PostgreSQL store", verbatim, run against a real PostgreSQL. */
class JdbcReadmeExampleTest {

  @Test
  void theGuardOverPostgres() {
    PostgresServerProcess server = PostgresServerFixture.shared();
    DataSource dataSource = server.dataSource(server.createDatabase("readme"));
    AtomicInteger charges = new AtomicInteger();

    // README: guard
    IdempotencyGuard guard = IdempotencyGuard.builder()
        .store(JdbcIdempotencyStore.builder(dataSource) // your pool over org.postgresql:postgresql
            .createSchemaIfMissing(true)                // default false: your migrations create it
            .build())
        .namespace("payments")
        .build();
    // README: end
    try (guard) {
      assertThat(guard.execute("k-1", String.class, () -> "charged " + charges.incrementAndGet())).isEqualTo("charged 1");
      assertThat(guard.execute("k-1", String.class, () -> "charged " + charges.incrementAndGet())).isEqualTo("charged 1");
      assertThat(charges).hasValue(1);
    }
  }

  record Receipt(String paymentId, long amountCents) {}

  @Test
  void theTransactionalMode() throws Exception {
    PostgresServerProcess server = PostgresServerFixture.shared();
    String db = server.createDatabase("readme");
    DataSource dataSource = server.dataSource(db);
    server.execute(db, "CREATE TABLE payments (id text PRIMARY KEY, order_id text NOT NULL, amount_cents bigint NOT NULL)");
    JdbcIdempotencyStore store = JdbcIdempotencyStore.builder(dataSource).createSchemaIfMissing(true).build();
    String key = "5f0c6f2e-3b1a-4c8e-9d2f-7a6b5c4d3e2f";
    String userId = "alice";
    String orderId = "ord-42";

    // README: transactional
    TransactionalIdempotencyGuard guard = TransactionalIdempotencyGuard.builder(store)
        .namespace("payments")
        .lockTimeout(Duration.ofSeconds(2))   // default: how long a repeat waits for the first
        .build();

    GuardedResult<Receipt> result = guard.run(
        IdempotentCall.of(key).withScope(userId),
        ResultCodec.json(Receipt.class),
        StorePolicy.storeEveryResult(),
        claim -> {
          // The payment row commits with the record, or neither does.
          Connection c = TransactionalClaim.connection(claim);
          try (PreparedStatement insert = c.prepareStatement(
              "INSERT INTO payments (id, order_id, amount_cents) VALUES (?, ?, ?)")) {
            insert.setString(1, "pay-" + orderId);
            insert.setString(2, orderId);
            insert.setLong(3, 1250);
            insert.executeUpdate();
          }
          return new Receipt("pay-" + orderId, 1250);
        });
    // README: end

    assertThat(result.replayed()).isFalse();
    GuardedResult<Receipt> again = guard.run(IdempotentCall.of(key).withScope(userId),
        ResultCodec.json(Receipt.class), StorePolicy.storeEveryResult(), claim -> {
          throw new AssertionError("a repeat must not run the payment");
        });
    assertThat(again).isEqualTo(new GuardedResult<>(result.value(), true));
    assertThat(server.queryLong(db, "SELECT count(*) FROM payments")).isEqualTo(1);
  }

  @Test
  void theReadmeShowsThisCode() {
    assertThat(ReadmeSnippets.assertReadmeShows(
            Path.of("src/test/java/dev/idempotency/server/jdbc/JdbcReadmeExampleTest.java"), Path.of("../README.md")))
        .containsExactly("guard", "transactional", "periodic");
  }

  @Test
  void thePeriodicSweep() {
    PostgresServerProcess server = PostgresServerFixture.shared();
    DataSource dataSource = server.dataSource(server.createDatabase("readme"));
    // README: periodic
    JdbcIdempotencyStore store = JdbcIdempotencyStore.builder(dataSource)
        .sweepEvery(0) // no sweep on the claim path: this job deletes expired rows instead
        .createSchemaIfMissing(true)
        .build();
    ScheduledExecutorService cleaner = Executors.newSingleThreadScheduledExecutor();
    cleaner.scheduleWithFixedDelay(() -> {
      try {
        store.deleteExpired();
      } catch (IdempotencyStoreUnavailableException e) {
        // the database is away: the next run deletes these rows (a throw would end the schedule)
      }
    }, 1, 1, TimeUnit.MINUTES);
    // README: end
    cleaner.shutdownNow();
    assertThat(store.deleteExpired()).isZero();
  }
}
