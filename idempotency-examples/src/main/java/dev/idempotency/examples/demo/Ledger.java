package dev.idempotency.examples.demo;

import dev.idempotency.server.Claim;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;

/**
 * The payments that really executed, per account: the resource the payment code writes, and what
 * the demo checks for duplicates and losses.
 *
 * <p>It guards itself twice, as a payments table would, and says which guard answered:
 *
 * <ul>
 *   <li><b>Fencing.</b> A write carries the fencing token of the claim its payment code runs under
 *       ({@link Claim#fencingToken()}). The ledger keeps the highest token it has seen per action
 *       and refuses a write with a lower one ({@link Outcome.RefusedStale}): a worker that was paused
 *       past its lease, whose claim a newer owner took, loses its late write instead of paying a
 *       second time. (The PostgreSQL ledger needs no tokens: it writes in the claim's own
 *       transaction, so a stale owner cannot exist.)
 *   <li><b>A unique key per action</b> (caller and idempotency key): a second payment for an action
 *       already paid is refused ({@link Outcome.RefusedRepeat}) and the first one stands. Fencing
 *       cannot stop a stale owner that wrote <em>before</em> the new one; this key can. The guard
 *       and fencing should make it unnecessary, which the count of its refusals shows.
 * </ul>
 *
 * <p>Implementations are threadsafe.
 */
interface Ledger extends AutoCloseable {

  /**
   * Records {@code payment} for the caller {@code scope} and its idempotency {@code key}, made by
   * payment code that runs under {@code claim}, unless fencing or the unique key refuses it.
   *
   * @throws RuntimeException if the ledger cannot be written; the payment may or may not be recorded
   */
  Outcome record(String scope, String key, Claim claim, Payment payment);

  /** Every payment recorded for {@code account}, in the order they were recorded. */
  List<Payment> payments(String account);

  @Override
  void close();

  /** What {@link #record} did. */
  sealed interface Outcome {
    /** Recorded: the payment executed. */
    record Accepted(Payment payment) implements Outcome {}

    /** Refused: a claim with a higher fencing token wrote for this action; this writer is stale. */
    record RefusedStale() implements Outcome {}

    /** Refused: the action has a payment already, {@code first}, which stands. */
    record RefusedRepeat(Payment first) implements Outcome {}
  }

  /** The identity of one action in the ledger: the caller and its key, the caller digested. */
  static String actionId(String scope, String key) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(scope.getBytes(StandardCharsets.UTF_8));
      // A fixed length, so the key after it cannot be confused with a part of the scope; and a
      // scope function that returns a credential still keeps it out of the ledger.
      return Base64.getUrlEncoder().withoutPadding().encodeToString(digest) + ":" + key;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }
}
