package dev.idempotency.server.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.server.IdempotencyGuard;
import dev.idempotency.server.store.IdempotencyStoreUnavailableException;
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
