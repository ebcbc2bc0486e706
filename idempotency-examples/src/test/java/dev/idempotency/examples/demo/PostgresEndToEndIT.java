package dev.idempotency.examples.demo;

import static dev.idempotency.examples.demo.ProcessRuns.ACTIONS;
import static dev.idempotency.examples.demo.ProcessRuns.CONCURRENCY;
import static dev.idempotency.examples.demo.ServerProcess.waitUntil;
import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.server.jdbc.PostgresServerFixture;
import dev.idempotency.server.jdbc.PostgresServerProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Two demo server processes on one real PostgreSQL ({@code --store jdbc:postgresql://...}, the
 * transactional mode), 500 payment actions under the demo's faults from a client in this JVM, and
 * the outages the issue names: exactly once; one server killed with SIGKILL five times and
 * restarted; one stopped with SIGSTOP in its transaction; the database restarted; a server's
 * sessions terminated mid-transaction. Each run ends checked in the database: one ledger row per
 * action, every completed record with its payment and every payment with its record.
 *
 * <p>The tests wait on events (a server's {@code /stats}, the kernel's process state, the
 * database's {@code pg_stat_activity}), never on time.
 */
class PostgresEndToEndIT {
  // Long enough to catch a payment in its transaction by polling /stats or pg_stat_activity.
  private static final Duration SLOW_PAYMENT = Duration.ofMillis(50);
  private static final Duration WAIT = Duration.ofMinutes(2);

  private static String store(PostgresServerProcess pg, String db, String applicationName) {
    return pg.jdbcUrl(db) + "&ApplicationName=" + applicationName;
  }

  /** What the database holds after a run. */
  record DatabaseCheck(long rows, long distinctActions, long completedRecords, long inProgressRecords,
      long recordsWithoutPayment, long paymentsWithoutRecord, long foreignTokens) {

    static DatabaseCheck of(PostgresServerProcess pg, String db, String account) {
      return new DatabaseCheck(
          pg.queryLong(db, "SELECT count(*) FROM demo_ledger WHERE account = ?", account),
          // Action i pays 1000 + i cents: a second payment of one action repeats an amount.
          pg.queryLong(db, "SELECT count(DISTINCT amount_cents) FROM demo_ledger WHERE account = ?", account),
          pg.queryLong(db, "SELECT count(*) FROM idempotency_records WHERE state = 'c'"),
          pg.queryLong(db, "SELECT count(*) FROM idempotency_records WHERE state = 'p'"),
          pg.queryLong(db, "SELECT count(*) FROM idempotency_records r WHERE r.state = 'c'"
              + " AND NOT EXISTS (SELECT 1 FROM demo_ledger l WHERE l.record_id = r.id)"),
          pg.queryLong(db, "SELECT count(*) FROM demo_ledger l WHERE NOT EXISTS"
              + " (SELECT 1 FROM idempotency_records r WHERE r.id = l.record_id AND r.state = 'c')"),
          // A row written under another record's claim carries that claim's fencing token.
          pg.queryLong(db, "SELECT count(*) FROM demo_ledger l JOIN idempotency_records r ON r.id = l.record_id"
              + " WHERE r.fence <> l.fencing_token"));
    }

    void assertOnePaymentPerAction(int actions) {
      assertThat(rows).as("ledger rows").isEqualTo(actions);
      assertThat(distinctActions).as("actions paid (a duplicate repeats an amount)").isEqualTo(actions);
      assertThat(completedRecords).as("completed idempotency records").isEqualTo(actions);
      assertThat(inProgressRecords).as("claims left in progress").isZero();
      assertThat(recordsWithoutPayment).as("completed records without their payment").isZero();
      assertThat(paymentsWithoutRecord).as("payments without their completed record").isZero();
      assertThat(foreignTokens).as("payments written under another record's claim").isZero();
    }

    @Override
    public String toString() {
      return String.format("db: rows=%d distinctActions=%d completedRecords=%d inProgressRecords=%d"
              + " recordsWithoutPayment=%d paymentsWithoutRecord=%d foreignTokens=%d", rows, distinctActions,
          completedRecords, inProgressRecords, recordsWithoutPayment, paymentsWithoutRecord, foreignTokens);
    }
  }

  /** The client's view and the ledger over HTTP: every action confirmed, none paid twice or lost. */
  private static LedgerCheck assertConfirmedOnce(DemoClient.Summary client, ServerProcess server, String account)
      throws Exception {
    assertThat(client.failures()).as("actions without a confirmed payment").isZero();
    LedgerCheck check = LedgerCheck.of(ACTIONS, client.confirmed(), DemoRun.readLedger(server.baseUri(), account));
    assertThat(check.duplicates()).as("payments made twice").isZero();
    assertThat(check.lost()).as("confirmed payments missing from the ledger").isZero();
    assertThat(check.payments()).isEqualTo(ACTIONS);
    return check;
  }

  private static DemoServer.Stats total(ServerProcess... servers) {
    List<DemoServer.Stats> stats = new ArrayList<>();
    for (ServerProcess s : servers) stats.add(s.stats());
    return EndToEnd.sum(stats);
  }

  @Test
  void exactlyOnceAcrossTwoServerProcesses() throws Exception {
    PostgresServerProcess pg = PostgresServerFixture.shared();
    String db = pg.createDatabase("e2e_once");
    try (ServerProcess a = ServerProcess.start("pg-a", ProcessRuns.args(store(pg, db, db + "-a"), EndToEnd.PROCESSING_DELAY));
         ServerProcess b = ServerProcess.start("pg-b", ProcessRuns.args(store(pg, db, db + "-b"), EndToEnd.PROCESSING_DELAY))) {
      String account = "pg-once";
      ProcessRuns.ClientRun run = new ProcessRuns.ClientRun(List.of(a, b), account, ACTIONS, CONCURRENCY);
      DemoClient.Summary client = run.await();

      assertConfirmedOnce(client, a, account);
      DatabaseCheck database = DatabaseCheck.of(pg, db, account);
      DemoServer.Stats total = total(a, b);
      ProcessRuns.report("(a) postgres, exactly once", run.elapsed(), client, total, database.toString());
      database.assertOnePaymentPerAction(ACTIONS);
      // Nothing rolled back a payment here: the payment code ran once per action, on either server.
      assertThat(total.executions()).isEqualTo(ACTIONS);
      assertThat(total.ledgerAccepted()).isEqualTo(ACTIONS);
      assertThat(total.repeatsRefused()).as("the ledger's unique key never had to refuse").isZero();
      assertThat(total.staleRefused()).isZero();
      assertThat(a.stats().executions()).isPositive();
      assertThat(b.stats().executions()).isPositive();
      assertThat(client.replays()).isPositive();
      assertThat(client.attempts()).isGreaterThan(ACTIONS + ACTIONS / 4);
    }
  }

  @Test
  void oneServerKilledFiveTimesWhileItPays() throws Exception {
    PostgresServerProcess pg = PostgresServerFixture.shared();
    String db = pg.createDatabase("e2e_kill");
    Random random = new Random(42);
    try (ServerProcess a = ServerProcess.start("pg-kill-a", ProcessRuns.args(store(pg, db, db + "-a"), SLOW_PAYMENT));
         ServerProcess b = ServerProcess.start("pg-kill-b", ProcessRuns.args(store(pg, db, db + "-b"), SLOW_PAYMENT))) {
      String account = "pg-kill";
      ProcessRuns.ClientRun run = new ProcessRuns.ClientRun(List.of(a, b), account, ACTIONS, CONCURRENCY);
      List<DemoServer.Stats> beforeKills = new ArrayList<>();
      List<Long> runningAtKill = new ArrayList<>();
      for (int kill = 0; kill < 5; kill++) {
        // A random moment: after a random number of A's payments, with one of A's in flight.
        long after = a.stats().ledgerAccepted() + 5 + random.nextInt(25);
        DemoServer.Stats[] last = new DemoServer.Stats[1];
        waitUntil(() -> {
          last[0] = a.stats();
          return last[0].ledgerAccepted() >= after && last[0].paymentsRunning() >= 1;
        }, WAIT, "A paid enough and has a payment in flight");
        a.kill();
        // Until A is back, workers that end an action start no other: the run outlasts five kills.
        run.holdNewActions();
        beforeKills.add(last[0]);
        runningAtKill.add(last[0].paymentsRunning());
        a.restart();
        run.releaseNewActions();
      }
      assertThat(run.isDone()).as("the run went on past the fifth kill").isFalse();
      DemoClient.Summary client = run.await();

      assertConfirmedOnce(client, b, account);
      DatabaseCheck database = DatabaseCheck.of(pg, db, account);
      List<DemoServer.Stats> all = new ArrayList<>(beforeKills);
      all.add(a.stats());
      all.add(b.stats());
      DemoServer.Stats total = EndToEnd.sum(all);
      ProcessRuns.report("(b) postgres, server A killed 5 times", run.elapsed(), client, total,
          database + " | A's payments in flight at each kill: " + runningAtKill
              + " (counts of the killed processes as of their last /stats)");
      database.assertOnePaymentPerAction(ACTIONS);
      assertThat(total.repeatsRefused()).isZero();
      assertThat(total.staleRefused()).isZero();
    }
  }

  @Test
  void aServerStoppedInItsTransactionHoldsItsClaimsAndCommitsWhenResumed() throws Exception {
    PostgresServerProcess pg = PostgresServerFixture.shared();
    String db = pg.createDatabase("e2e_stop");
    String appA = db + "-a";
    String appB = db + "-b";
    try (ServerProcess a = ServerProcess.start("pg-stop-a", ProcessRuns.args(store(pg, db, appA), SLOW_PAYMENT));
         ServerProcess b = ServerProcess.start("pg-stop-b", ProcessRuns.args(store(pg, db, appB), SLOW_PAYMENT))) {
      String account = "pg-stop";
      ProcessRuns.ClientRun run = new ProcessRuns.ClientRun(List.of(a, b), account, ACTIONS, CONCURRENCY);
      waitUntil(() -> run.done() >= ACTIONS / 5, WAIT, "a fifth of the actions ended");

      long openTransactions = 0;
      long b409Before = 0;
      for (int tries = 0; openTransactions == 0; tries++) {
        assertThat(tries).as("caught A with a transaction open").isLessThan(20);
        waitUntil(() -> a.stats().paymentsRunning() >= 2, WAIT, "A has payments in its transactions");
        b409Before = b.stats().inProgress();
        a.pause();
        // Stopped: A's sessions stay as they were. One idle in its transaction holds a claim's row lock.
        openTransactions = pg.queryLong(PostgresServerProcess.ADMIN_DATABASE, "SELECT count(*) FROM pg_stat_activity"
            + " WHERE application_name = ? AND state = 'idle in transaction'", appA);
        if (openTransactions == 0) a.resume();
      }
      long stoppedAt = System.nanoTime();
      // A retry reaches B, whose claim waits on A's row lock, then gives up after the lock timeout: 409.
      waitUntil(() -> pg.queryLong(PostgresServerProcess.ADMIN_DATABASE, "SELECT count(*) FROM pg_stat_activity b"
              + " WHERE b.application_name = ? AND EXISTS (SELECT 1 FROM pg_stat_activity a"
              + " WHERE a.application_name = ? AND a.pid = ANY (pg_blocking_pids(b.pid)))", appB, appA) >= 1,
          WAIT, "B waits on a row lock A holds");
      long before = b409Before;
      waitUntil(() -> b.stats().inProgress() > before, WAIT, "B answered 409");
      Duration stopped = Duration.ofNanos(System.nanoTime() - stoppedAt);
      a.resume();
      DemoClient.Summary client = run.await();

      assertConfirmedOnce(client, b, account);
      DatabaseCheck database = DatabaseCheck.of(pg, db, account);
      DemoServer.Stats total = total(a, b);
      ProcessRuns.report("(c) postgres, server A stopped in its transaction", run.elapsed(), client, total,
          database + String.format(" | A stopped %.1f s with %d transactions open; B's 409s meanwhile: %d",
              stopped.toMillis() / 1000.0, openTransactions, b.stats().inProgress() - b409Before));
      database.assertOnePaymentPerAction(ACTIONS);
      // Payment code may run more than once for an action (a run whose transaction rolled back),
      // but the ledger row commits once, and the unique key never has to refuse.
      assertThat(total.executions()).isGreaterThanOrEqualTo(ACTIONS);
      assertThat(total.repeatsRefused()).isZero();
      assertThat(total.staleRefused()).isZero();
    }
  }

  @Test
  void theDatabaseRestartedInTheMiddleOfTheRun() throws Exception {
    try (PostgresServerProcess pg = PostgresServerFixture.newServer()) {
      String db = pg.createDatabase("e2e_restart");
      try (ServerProcess a = ServerProcess.start("pg-restart-a", ProcessRuns.args(store(pg, db, db + "-a"), SLOW_PAYMENT));
           ServerProcess b = ServerProcess.start("pg-restart-b", ProcessRuns.args(store(pg, db, db + "-b"), SLOW_PAYMENT))) {
        String account = "pg-restart";
        ProcessRuns.ClientRun run = new ProcessRuns.ClientRun(List.of(a, b), account, ACTIONS, CONCURRENCY);
        waitUntil(() -> run.done() >= ACTIONS / 3, WAIT, "a third of the actions ended");
        long unavailableBefore = total(a, b).storeUnavailable();
        pg.stop();
        // Down until both servers answered 503 store-unavailable.
        waitUntil(() -> a.stats().storeUnavailable() > 0 && b.stats().storeUnavailable() > 0, WAIT,
            "both servers answered 503 while PostgreSQL was down");
        long during = total(a, b).storeUnavailable() - unavailableBefore;
        pg.start();
        DemoClient.Summary client = run.await();

        assertConfirmedOnce(client, a, account);
        DatabaseCheck database = DatabaseCheck.of(pg, db, account);
        DemoServer.Stats total = total(a, b);
        ProcessRuns.report("(d) postgres restarted mid-run", run.elapsed(), client, total,
            database + " | 503s while down (until both had one): " + during);
        database.assertOnePaymentPerAction(ACTIONS);
        assertThat(total.storeUnavailable()).isPositive();
        assertThat(total.repeatsRefused()).isZero();
        assertThat(total.staleRefused()).isZero();
      }
    }
  }

  @Test
  void aServersSessionsTerminatedMidTransaction() throws Exception {
    PostgresServerProcess pg = PostgresServerFixture.shared();
    String db = pg.createDatabase("e2e_terminate");
    String appA = db + "-a";
    try (ServerProcess a = ServerProcess.start("pg-term-a", ProcessRuns.args(store(pg, db, appA), SLOW_PAYMENT));
         ServerProcess b = ServerProcess.start("pg-term-b", ProcessRuns.args(store(pg, db, db + "-b"), SLOW_PAYMENT))) {
      String account = "pg-terminate";
      ProcessRuns.ClientRun run = new ProcessRuns.ClientRun(List.of(a, b), account, ACTIONS, CONCURRENCY);
      waitUntil(() -> run.done() >= ACTIONS / 5, WAIT, "a fifth of the actions ended");

      long failedBefore = 0;
      long terminated = 0;
      for (int tries = 0; terminated == 0; tries++) {
        assertThat(tries).as("caught A with a transaction open").isLessThan(20);
        waitUntil(() -> a.stats().paymentsRunning() >= 1, WAIT, "A has a payment in its transaction");
        DemoServer.Stats s = a.stats();
        failedBefore = s.paymentErrors() + s.storeUnavailable();
        // pg_terminate_backend of A's sessions that are in a transaction (a payment between statements).
        terminated = pg.queryLong(PostgresServerProcess.ADMIN_DATABASE, "SELECT count(*) FILTER"
            + " (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity"
            + " WHERE application_name = ? AND state = 'idle in transaction'", appA);
      }
      long before = failedBefore;
      waitUntil(() -> {
        DemoServer.Stats s = a.stats();
        return s.paymentErrors() + s.storeUnavailable() > before;
      }, WAIT, "A answered the attempt whose session was terminated with a 5xx");
      DemoClient.Summary client = run.await();

      assertConfirmedOnce(client, b, account);
      DatabaseCheck database = DatabaseCheck.of(pg, db, account);
      DemoServer.Stats total = total(a, b);
      ProcessRuns.report("(e) postgres, A's sessions terminated mid-transaction", run.elapsed(), client, total,
          database + " | sessions terminated in a transaction: " + terminated + "; A's 500s: "
              + a.stats().paymentErrors());
      database.assertOnePaymentPerAction(ACTIONS);
      assertThat(total.repeatsRefused()).isZero();
      assertThat(total.staleRefused()).isZero();
    }
  }
}
