package dev.idempotency.examples.demo;

import static dev.idempotency.examples.demo.EndToEnd.ACTIONS;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Exactly once under faults, memory store: one server that fails requests before the payment,
 * loses answers after it, and a client whose read timeout is sometimes shorter than the payment.
 */
class ExactlyOnceUnderFaultsTest {

  @Test
  void everyActionIsPaidExactlyOnce() throws Exception {
    try (DemoServer server = DemoServer.start(EndToEnd.serverWithFaults("memory", 1).build())) {
      String account = "e2e-memory";
      DemoClient.Summary client = EndToEnd.runClient(List.of(server), account, n -> {});

      LedgerCheck ledger = EndToEnd.assertExactlyOnce(client, List.of(server), account);
      DemoServer.Stats stats = server.stats();
      EndToEnd.report("memory", client, stats, ledger);
      // The business code ran once per action: the guard, not the ledger's safety net, did it.
      assertThat(stats.executions()).isEqualTo(ACTIONS);
      assertThat(stats.repeatsRefused()).isZero();
      // Each kind of fault was met: 503 before, answers lost after, and read timeouts shorter than
      // the payment (attempts with no answer beyond the lost answers).
      assertThat(stats.failedBefore()).isPositive();
      assertThat(stats.droppedAfter()).isPositive();
      assertThat(client.noAnswers()).isGreaterThan(stats.droppedAfter());
      assertThat(client.replays()).isPositive();
    }
  }
}
