package dev.idempotency.examples.demo;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A {@link Ledger} in this process: for the memory store, where one server is all there is. */
final class MemoryLedger implements Ledger {
  private final Map<String, Payment> byAction = new HashMap<>();
  private final Map<String, List<Payment>> byAccount = new HashMap<>();
  private long repeatsRefused;

  @Override
  public synchronized Payment record(String scope, String key, Payment payment) {
    Payment before = byAction.putIfAbsent(Ledger.actionId(scope, key), payment);
    if (before != null) {
      repeatsRefused++;
      return before;
    }
    byAccount.computeIfAbsent(payment.account(), a -> new ArrayList<>()).add(payment);
    return payment;
  }

  @Override
  public synchronized List<Payment> payments(String account) {
    return List.copyOf(byAccount.getOrDefault(account, List.of()));
  }

  @Override
  public synchronized long repeatsRefused() {
    return repeatsRefused;
  }

  @Override
  public void close() {}
}
