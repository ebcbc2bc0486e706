package dev.idempotency.examples.demo;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;

/**
 * The payments that really executed, per account: what the demo checks for duplicates and
 * losses.
 *
 * <p>Like a payments table with a unique index on the idempotency key, the ledger refuses a
 * second payment for the same caller and key and hands back the first. The guard should make
 * that refusal unnecessary; the ledger counts each one ({@link #repeatsRefused()}), so a test can
 * tell the guard's work from this safety net's. The one window the guard cannot close alone is a
 * store that fails after the payment and before its answer is stored.
 *
 * <p>Implementations are threadsafe.
 */
interface Ledger extends AutoCloseable {

  /**
   * Records {@code payment} for the caller {@code scope} and its idempotency {@code key}, unless
   * a payment is recorded for them already.
   *
   * @return the payment that stands: {@code payment}, or the one recorded before
   */
  Payment record(String scope, String key, Payment payment);

  /** Every payment recorded for {@code account}, in the order they executed. */
  List<Payment> payments(String account);

  /** How many times {@link #record} found a payment recorded already for its scope and key. */
  long repeatsRefused();

  @Override
  void close();

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
