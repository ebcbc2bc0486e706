package dev.idempotency.spring;

import dev.idempotency.server.IdempotentCall;
import dev.idempotency.server.ResultCodec;
import dev.idempotency.server.StorePolicy;
import dev.idempotency.server.jdbc.JdbcIdempotencyStore;
import dev.idempotency.server.jdbc.TransactionalIdempotencyGuard;
import javax.sql.DataSource;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.transaction.support.TransactionTemplate;

/** The README's transactional mode in Spring: the guard inside a TransactionTemplate. */
// README: spring-transactional
class TransactionalPayments {
  record Receipt(String paymentId, long amountCents) {}

  private final TransactionTemplate transactions;
  private final DataSource dataSource;
  private final JdbcTemplate jdbc;
  private final TransactionalIdempotencyGuard guard;

  TransactionalPayments(TransactionTemplate transactions, DataSource dataSource, JdbcIdempotencyStore store) {
    this.transactions = transactions;
    this.dataSource = dataSource;
    this.jdbc = new JdbcTemplate(dataSource);
    this.guard = TransactionalIdempotencyGuard.builder(store).namespace("payments").build();
  }

  Receipt pay(String key, String userId, String orderId) {
    // One transaction, Spring's: the claim, the payment row and the stored answer commit together.
    return transactions.execute(status -> {
      try {
        return guard.run(
            DataSourceUtils.getConnection(dataSource),  // the transaction's connection
            IdempotentCall.of(key).withScope(userId),
            ResultCodec.json(Receipt.class),
            StorePolicy.storeEveryResult(),
            claim -> {
              jdbc.update("INSERT INTO payments (id, order_id, amount_cents) VALUES (?, ?, ?)",
                  "pay-" + orderId, orderId, 1250);
              return new Receipt("pay-" + orderId, 1250);
            }).value();
      } catch (RuntimeException e) {
        throw e;  // rolls the transaction back: no payment, no record, a retry runs again
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
  }
}
// README: end
