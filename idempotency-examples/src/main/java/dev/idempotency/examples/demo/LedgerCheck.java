package dev.idempotency.examples.demo;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Compares what the client was told with what the ledger holds, for one run of {@code actions}
 * actions whose amounts tell them apart ({@link DemoClient#FIRST_AMOUNT_CENTS} + action).
 *
 * @param payments the ledger entries of this run
 * @param duplicates ledger entries beyond the first of their action: a payment made twice
 * @param lost confirmed payments the ledger does not hold
 * @param unconfirmedButPaid actions the client never saw confirmed whose payment is in the ledger
 */
record LedgerCheck(int payments, int duplicates, int lost, int unconfirmedButPaid) {

  static LedgerCheck of(int actions, List<Payment> confirmed, List<Payment> ledger) {
    Map<Long, Integer> perAction = new HashMap<>();
    int payments = 0;
    for (Payment p : ledger) {
      long action = p.amountCents() - DemoClient.FIRST_AMOUNT_CENTS;
      if (action < 0 || action >= actions) continue; // another run's payment on the same account
      payments++;
      perAction.merge(action, 1, Integer::sum);
    }
    int duplicates = 0;
    for (int n : perAction.values()) duplicates += n - 1;

    Set<String> ledgerIds = new HashSet<>();
    for (Payment p : ledger) ledgerIds.add(p.id());
    int lost = 0;
    Set<Long> confirmedActions = new HashSet<>();
    for (Payment p : confirmed) {
      confirmedActions.add(p.amountCents() - DemoClient.FIRST_AMOUNT_CENTS);
      if (!ledgerIds.contains(p.id())) lost++;
    }
    int unconfirmedButPaid = 0;
    for (long action : perAction.keySet()) {
      if (!confirmedActions.contains(action)) unconfirmedButPaid++;
    }
    return new LedgerCheck(payments, duplicates, lost, unconfirmedButPaid);
  }
}
