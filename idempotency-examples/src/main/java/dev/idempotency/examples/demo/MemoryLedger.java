package dev.idempotency.examples.demo;

import dev.idempotency.server.Claim;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A {@link Ledger} in this process: for the memory store, where one server is all there is. */
final class MemoryLedger implements Ledger {
  private final Map<String, Payment> byAction = new HashMap<>();
  private final Map<String, Long> highestToken = new HashMap<>();
  private final Map<String, List<Payment>> byAccount = new HashMap<>();

  @Override
  public synchronized Outcome record(String scope, String key, Claim claim, Payment payment) {
    String action = Ledger.actionId(scope, key);
    long token = claim.fencingToken();
    Long highest = highestToken.get(action);
    if (highest != null && token < highest) return new Outcome.RefusedStale();
    if (highest == null || token > highest) highestToken.put(action, token);
    Payment before = byAction.putIfAbsent(action, payment);
    if (before != null) return new Outcome.RefusedRepeat(before);
    byAccount.computeIfAbsent(payment.account(), a -> new ArrayList<>()).add(payment);
    return new Outcome.Accepted(payment);
  }

  @Override
  public synchronized List<Payment> payments(String account) {
    return List.copyOf(byAccount.getOrDefault(account, List.of()));
  }

  @Override
  public void close() {}
}
