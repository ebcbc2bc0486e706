package dev.idempotency.benchmarks;

import com.zaxxer.hikari.HikariDataSource;
import dev.idempotency.server.IdempotentCall;
import dev.idempotency.server.StorePolicy;
import dev.idempotency.server.jdbc.JdbcIdempotencyStore;
import dev.idempotency.server.jdbc.PostgresServerProcess;
import dev.idempotency.server.jdbc.TransactionalIdempotencyGuard;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How large the records table stays under a steady load with the documented sweep: a
 * {@link TransactionalIdempotencyGuard} with a short retention runs {@link #KEYS} new keys back to
 * back on one thread, with the store's defaults (one call in 16 sweeps a batch of up to 100 expired
 * rows before its transaction); every {@link #SAMPLE_EVERY} keys the table's rows are counted, and
 * how many of them are live (unexpired). Run in the driver's JVM, in a database of its own, after
 * the timed benchmarks.
 */
record PostgresTableSize(int keys, Duration retention, double seconds, long finalRows, long finalLive,
    long steadyRows, long steadyLive, long maxRows, long totalBytes, String error) {

  static final int KEYS = 20_000;
  static final int SAMPLE_EVERY = 500;
  static final Duration RETENTION = Duration.ofSeconds(1);

  static PostgresTableSize measure(PostgresServerProcess server) {
    System.out.println("postgres table size: " + KEYS + " new keys, retention " + RETENTION.toMillis() + " ms");
    String database = server.createDatabase("sweep");
    try (HikariDataSource pool = PostgresBenchmarks.newPool(server.port(), database)) {
      JdbcIdempotencyStore store = JdbcIdempotencyStore.builder(pool).createSchemaIfMissing(true).build();
      TransactionalIdempotencyGuard guard = TransactionalIdempotencyGuard.builder(store)
          .namespace("payments").retention(RETENTION).build();
      Keys keys = new Keys();
      List<long[]> samples = new ArrayList<>(); // {rows, live}
      long start = System.nanoTime();
      for (int i = 1; i <= KEYS; i++) {
        guard.run(IdempotentCall.of(keys.next()), PostgresBenchmarks.CODEC, StorePolicy.storeEveryResult(),
            claim -> Receipt.charge());
        if (i % SAMPLE_EVERY == 0) samples.add(count(pool));
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      long[] last = samples.get(samples.size() - 1);
      // The second half of the run: the table has had several retentions to reach its steady size.
      List<long[]> steady = samples.subList(samples.size() / 2, samples.size());
      long steadyRows = median(steady, 0);
      long steadyLive = median(steady, 1);
      long maxRows = steady.stream().mapToLong(s -> s[0]).max().orElse(0);
      long bytes = server.queryLong(database, "SELECT pg_total_relation_size('idempotency_records')");
      PostgresTableSize size = new PostgresTableSize(KEYS, RETENTION, seconds, last[0], last[1],
          steadyRows, steadyLive, maxRows, bytes, null);
      System.out.println("  " + size.json());
      return size;
    } catch (Exception e) {
      System.out.println("  failed: " + e);
      return new PostgresTableSize(KEYS, RETENTION, 0, 0, 0, 0, 0, 0, 0, e.toString());
    }
  }

  private static long[] count(HikariDataSource pool) throws SQLException {
    try (Connection c = pool.getConnection(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT count(*), count(*) FILTER (WHERE expires_at > clock_timestamp())"
            + " FROM idempotency_records")) {
      rs.next();
      return new long[] {rs.getLong(1), rs.getLong(2)};
    }
  }

  private static long median(List<long[]> samples, int column) {
    long[] values = samples.stream().mapToLong(s -> s[column]).sorted().toArray();
    return values.length == 0 ? 0 : values[values.length / 2];
  }

  double rate() {
    return seconds == 0 ? 0 : keys / seconds;
  }

  String tableRow() {
    String title = "PostgreSQL records table under steady load (" + keys + " new keys, retention "
        + retention.toMillis() + " ms, the default sweep)";
    if (error != null) return "| " + title + " | 1 | — | — | — | report | NOT MEASURED (" + error + ") | |\n";
    return String.format(Locale.ROOT, "| %s | 1 | %d rows (median of the second half; max %d, %d at the end), %s"
            + " | %d live rows | %sx | report | REPORT | |%n",
        title, steadyRows, maxRows, finalRows, mib(totalBytes), steadyLive,
        BenchmarkDriver.fmt(steadyLive == 0 ? 0 : (double) steadyRows / steadyLive));
  }

  String meaning() {
    return "- **PostgreSQL records table under steady load**: a TransactionalIdempotencyGuard with a retention\n"
        + "  of " + retention.toMillis() + " ms runs " + keys + " new keys back to back on one thread (its work writes\n"
        + "  nothing else), the store's default sweep (one call in 16 deletes up to 100 expired rows,\n"
        + "  oldest first, before its transaction). Every " + SAMPLE_EVERY + " keys the rows of\n"
        + "  `idempotency_records` are counted, and the live (unexpired) ones: the guarded column is the\n"
        + "  median count over the second half of the run (and its maximum, and the count at the end) with\n"
        + "  `pg_total_relation_size` (table, index and TOAST) at the end; the baseline column is the\n"
        + "  median of the live rows, the least a table holding every answer for its retention can hold\n"
        + "  (about the rate times the retention); the ratio is rows over live rows.\n";
  }

  private static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
  }

  Map<String, Object> json() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("keys", keys);
    m.put("retentionMillis", retention.toMillis());
    if (error != null) {
      m.put("error", error);
      return m;
    }
    m.put("seconds", BenchmarkDriver.round(seconds));
    m.put("keysPerSecond", BenchmarkDriver.round(rate()));
    m.put("steadyRows", steadyRows);
    m.put("steadyLiveRows", steadyLive);
    m.put("maxRows", maxRows);
    m.put("finalRows", finalRows);
    m.put("finalLiveRows", finalLive);
    m.put("pgTotalRelationSizeBytes", totalBytes);
    m.put("method", "every " + SAMPLE_EVERY + " keys count(*) and the unexpired rows; steady = median over the second half");
    return m;
  }
}
