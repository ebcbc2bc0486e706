package dev.idempotency.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idempotency.contract.ReadmeSnippets;
import dev.idempotency.server.jdbc.JdbcIdempotencyStore;
import dev.idempotency.server.jdbc.PostgresServerFixture;
import dev.idempotency.server.jdbc.PostgresServerProcess;
import dev.idempotency.server.store.IdempotencyStore;
import java.nio.file.Path;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The contract over a real PostgreSQL of this class's own, through the application's DataSource
 * (Boot's Hikari pool); and the transactional mode in a Spring transaction.
 */
@Import(JdbcStoreAppTest.Payments.class)
class JdbcStoreAppTest extends StoreOutageContract {
  static final PostgresServerProcess POSTGRES = PostgresServerFixture.newServer();
  static final String DATABASE = POSTGRES.createDatabase("spring");

  @Autowired IdempotencyStore store;
  @Autowired TransactionalPayments payments;
  @Autowired TransactionTemplate transactions;
  @Autowired DataSource dataSource;

  @DynamicPropertySource
  static void postgres(DynamicPropertyRegistry registry) {
    registry.add("spring.datasource.url", () -> POSTGRES.jdbcUrl(DATABASE));
    // An outage is answered after this long rather than the pool's default 30 s.
    registry.add("spring.datasource.hikari.connection-timeout", () -> "1000");
    registry.add("idempotency.store.type", () -> "jdbc");
    registry.add("idempotency.store.jdbc.create-schema", () -> "true");
  }

  @TestConfiguration(proxyBeanMethods = false)
  static class Payments {
    @Bean
    TransactionalPayments transactionalPayments(
        TransactionTemplate transactions, DataSource dataSource, JdbcIdempotencyStore store) {
      new JdbcTemplate(dataSource).execute("CREATE TABLE IF NOT EXISTS payments"
          + " (id text PRIMARY KEY, order_id text NOT NULL, amount_cents bigint NOT NULL)");
      return new TransactionalPayments(transactions, dataSource, store);
    }
  }

  @AfterAll
  static void close() {
    POSTGRES.close();
  }

  @Override
  void stopStore() {
    POSTGRES.stop();
  }

  @Override
  void startStore() {
    POSTGRES.start();
  }

  @Test
  void theStoreIsTheApplicationsDataSource() throws Exception {
    assertThat(store).isInstanceOf(JdbcIdempotencyStore.class);
    long before = rows("idempotency_records");
    send(post(key(), "{}").build());
    assertThat(rows("idempotency_records")).isEqualTo(before + 1);
  }

  @Test
  void theTransactionalModeCommitsThePaymentAndTheRecordTogether() {
    String key = key();
    long payments0 = rows("payments");
    long records0 = rows("idempotency_records");
    TransactionalPayments.Receipt first = payments.pay(key, "alice", "ord-" + key);
    assertThat(rows("payments")).isEqualTo(payments0 + 1);
    assertThat(rows("idempotency_records")).isEqualTo(records0 + 1);

    assertThat(payments.pay(key, "alice", "ord-" + key)).isEqualTo(first);
    assertThat(rows("payments")).isEqualTo(payments0 + 1);
  }

  @Test
  void aRollbackLeavesNeitherPaymentNorRecordAndTheRetryRunsAgain() {
    String key = key();
    long payments0 = rows("payments");
    long records0 = rows("idempotency_records");
    // The payment joins the caller's transaction, which then fails: both writes roll back.
    assertThatThrownBy(() -> transactions.executeWithoutResult(status -> {
      payments.pay(key, "alice", "ord-" + key);
      throw new IllegalStateException("the caller fails after the payment");
    })).hasMessage("the caller fails after the payment");
    assertThat(rows("payments")).isEqualTo(payments0);
    assertThat(rows("idempotency_records")).isEqualTo(records0);

    TransactionalPayments.Receipt retry = payments.pay(key, "alice", "ord-" + key);
    assertThat(retry.paymentId()).isEqualTo("pay-ord-" + key);
    assertThat(rows("payments")).isEqualTo(payments0 + 1);
    assertThat(rows("idempotency_records")).isEqualTo(records0 + 1);
  }

  @Test
  void theReadmeShowsTheTransactionalSnippet() {
    assertThat(ReadmeSnippets.assertReadmeShows(
            Path.of("src/test/java/dev/idempotency/spring/TransactionalPayments.java"), Path.of("../README.md")))
        .containsExactly("spring-transactional");
  }

  long rows(String table) {
    return new JdbcTemplate(dataSource).queryForObject("SELECT count(*) FROM " + table, Long.class);
  }
}
