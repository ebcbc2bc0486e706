package dev.idempotency.examples.demo;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import redis.clients.jedis.UnifiedJedis;

/**
 * A {@link Ledger} in Redis, next to the idempotency records, so that every server process that
 * uses the same Redis (standalone or Cluster) shares one ledger. Per account, a list of payments
 * and a hash from action to payment, under one hash tag so that a Cluster keeps both in one slot
 * and one script updates them atomically.
 */
final class RedisLedger implements Ledger {
  // KEYS[1]: the account's hash of actions, KEYS[2]: its list of payments.
  // ARGV[1]: the action, ARGV[2]: the payment as JSON. Returns the payment recorded before, or nil.
  private static final String RECORD =
      "local before = redis.call('HGET', KEYS[1], ARGV[1]) "
          + "if before then return before end "
          + "redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) "
          + "redis.call('RPUSH', KEYS[2], ARGV[2]) "
          + "return nil";

  private final UnifiedJedis jedis;
  private final ObjectMapper json;
  private final AtomicLong repeatsRefused = new AtomicLong();

  RedisLedger(UnifiedJedis jedis, ObjectMapper json) {
    this.jedis = jedis;
    this.json = json;
  }

  @Override
  public Payment record(String scope, String key, Payment payment) {
    String account = payment.account();
    Object before = jedis.eval(
        RECORD, List.of(actionsKey(account), paymentsKey(account)),
        List.of(Ledger.actionId(scope, key), write(payment)));
    if (before == null) return payment;
    repeatsRefused.incrementAndGet();
    return read(before.toString());
  }

  @Override
  public List<Payment> payments(String account) {
    List<Payment> payments = new ArrayList<>();
    for (String entry : jedis.lrange(paymentsKey(account), 0, -1)) payments.add(read(entry));
    return payments;
  }

  @Override
  public long repeatsRefused() {
    return repeatsRefused.get();
  }

  @Override
  public void close() {
    // The Jedis client belongs to the server, which closes it.
  }

  // Accounts are [A-Za-z0-9._-], so the braces of the hash tag are the only ones in a key.
  private static String actionsKey(String account) {
    return "demo:ledger:{" + account + "}:actions";
  }

  private static String paymentsKey(String account) {
    return "demo:ledger:{" + account + "}:payments";
  }

  private String write(Payment payment) {
    try {
      return json.writeValueAsString(payment);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write " + payment, e);
    }
  }

  private Payment read(String entry) {
    try {
      return json.readValue(entry, Payment.class);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a ledger entry that is not a payment: " + entry, e);
    }
  }
}
