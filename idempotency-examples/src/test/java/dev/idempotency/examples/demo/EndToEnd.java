package dev.idempotency.examples.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.IntConsumer;

/** What the end-to-end tests share: the faults, the client run and the exactly-once checks. */
final class EndToEnd {
  static final int ACTIONS = 1000;
  static final int CONCURRENCY = 16;
  // Business time per payment, and a read timeout half as long on one attempt in ten: those
  // attempts give up while the payment runs, and their retry finds it in progress or done.
  static final Duration PROCESSING_DELAY = Duration.ofMillis(20);
  static final Duration SHORT_READ_TIMEOUT = Duration.ofMillis(10);
  static final double SHORT_READ_TIMEOUT_RATE = 0.1;

  private EndToEnd() {}

  static DemoServer.Options.Builder serverWithFaults(String store, long seed) {
    return DemoServer.Options.builder()
        .store(store)
        .processingDelay(PROCESSING_DELAY)
        .failBefore(0.2)
        .dropAfter(0.2)
        .random(new Random(seed));
  }

  /** Runs the actions against {@code servers}, attempts spread over them in turn. */
  static DemoClient.Summary runClient(List<DemoServer> servers, String account, IntConsumer progress)
      throws InterruptedException {
    List<URI> uris = new ArrayList<>();
    for (DemoServer s : servers) uris.add(s.baseUri());
    return DemoClient.run(DemoClient.Options.builder(uris)
        .actions(ACTIONS)
        .concurrency(CONCURRENCY)
        .account(account)
        .token("e2e-" + account)
        .shortReadTimeouts(SHORT_READ_TIMEOUT, SHORT_READ_TIMEOUT_RATE)
        .random(new Random(account.hashCode()))
        .progress(progress)
        .build());
  }

  /** Sums the servers' counts. */
  static DemoServer.Stats total(List<DemoServer> servers) {
    List<DemoServer.Stats> stats = new ArrayList<>();
    for (DemoServer s : servers) stats.add(s.stats());
    return sum(stats);
  }

  /** The sum of {@code stats}, field by field. */
  static DemoServer.Stats sum(List<DemoServer.Stats> stats) {
    long[] t = new long[14];
    for (DemoServer.Stats s : stats) {
      long[] v = {s.executions(), s.ledgerAccepted(), s.staleRefused(), s.repeatsRefused(), s.failedBefore(),
          s.droppedAfter(), s.storeUnavailable(), s.busy(), s.slowClients(), s.refused(), s.inProgress(),
          s.paymentErrors(), s.paymentsInFlight(), s.paymentsRunning()};
      for (int i = 0; i < t.length; i++) t[i] += v[i];
    }
    return new DemoServer.Stats(t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8], t[9], t[10], t[11], t[12], t[13]);
  }

  /**
   * Every action confirmed, the ledger (read from each server) holding exactly one payment per
   * action, and each confirmed payment being the one in the ledger.
   */
  static LedgerCheck assertExactlyOnce(DemoClient.Summary client, List<DemoServer> servers, String account)
      throws Exception {
    List<Payment> ledger = DemoRun.readLedger(servers.get(0).baseUri(), account);
    for (DemoServer other : servers.subList(1, servers.size())) {
      assertThat(DemoRun.readLedger(other.baseUri(), account)).as("one ledger shared by every server").isEqualTo(ledger);
    }
    LedgerCheck check = LedgerCheck.of(ACTIONS, client.confirmed(), ledger);
    assertThat(client.failures()).as("actions without a confirmed payment").isZero();
    assertThat(client.confirmed()).hasSize(ACTIONS);
    assertThat(check.duplicates()).as("payments made twice").isZero();
    assertThat(check.lost()).as("confirmed payments missing from the ledger").isZero();
    assertThat(check.payments()).as("payments in the ledger").isEqualTo(ACTIONS);
    assertThat(ledger).hasSize(ACTIONS);
    // Faults really happened: far more attempts than actions.
    assertThat(client.attempts()).isGreaterThan(ACTIONS + ACTIONS / 4);
    return check;
  }

  static void report(String name, DemoClient.Summary c, DemoServer.Stats s, LedgerCheck l) {
    System.out.printf("%s: actions=%d attempts=%d noAnswers=%d retries=%d replays=%d inProgressStops=%d gaveUpStops=%d"
            + " failures=%d | server: executions=%d failedBefore=%d droppedAfter=%d storeUnavailable=%d inProgress=%d"
            + " paymentErrors=%d ledgerAccepted=%d staleRefused=%d repeatsRefused=%d | ledger: payments=%d"
            + " duplicates=%d lost=%d%n",
        name, c.actions(), c.attempts(), c.noAnswers(), c.retries(), c.replays(), c.inProgressStops(), c.unknownStops(),
        c.failures(), s.executions(), s.failedBefore(), s.droppedAfter(), s.storeUnavailable(), s.inProgress(),
        s.paymentErrors(), s.ledgerAccepted(), s.staleRefused(), s.repeatsRefused(), l.payments(), l.duplicates(),
        l.lost());
  }
}
