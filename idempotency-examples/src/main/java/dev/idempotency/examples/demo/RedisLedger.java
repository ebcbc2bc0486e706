package dev.idempotency.examples.demo;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.idempotency.server.Claim;
import java.util.ArrayList;
import java.util.List;
import redis.clients.jedis.UnifiedJedis;

/**
 * A {@link Ledger} in Redis, next to the idempotency records, so that every server process that
 * uses the same Redis (standalone or Cluster) shares one ledger. Per account, a list of payments,
 * a hash from action to payment and a hash from action to the highest fencing token seen, under
 * one hash tag so that a Cluster keeps the three in one slot and one script checks and updates
 * them atomically.
 */
final class RedisLedger implements Ledger {
  // KEYS[1]: the account's hash of actions, KEYS[2]: its list of payments, KEYS[3]: its hash of
  // the highest fencing token per action. ARGV[1]: the action, ARGV[2]: the writer's fencing token
  // (decimal), ARGV[3]: the payment as JSON. Returns {0} refused stale, {1, first payment} refused
  // repeat, {2} accepted. Tokens are microseconds of the Redis clock, about 1.8e15 today: a Lua
  // number (a double) holds them exactly up to 2^53, some two centuries away.
  private static final String RECORD =
      "local token = tonumber(ARGV[2]) "
          + "local highest = tonumber(redis.call('HGET', KEYS[3], ARGV[1])) "
          + "if highest and token < highest then return {0} end "
          + "if not highest or token > highest then redis.call('HSET', KEYS[3], ARGV[1], ARGV[2]) end "
          + "local first = redis.call('HGET', KEYS[1], ARGV[1]) "
          + "if first then return {1, first} end "
          + "redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) "
          + "redis.call('RPUSH', KEYS[2], ARGV[3]) "
          + "return {2}";

  private final UnifiedJedis jedis;
  private final ObjectMapper json;

  RedisLedger(UnifiedJedis jedis, ObjectMapper json) {
    this.jedis = jedis;
    this.json = json;
  }

  @Override
  public Outcome record(String scope, String key, Claim claim, Payment payment) {
    String account = payment.account();
    Object answer = jedis.eval(
        RECORD, List.of(actionsKey(account), paymentsKey(account), tokensKey(account)),
        List.of(Ledger.actionId(scope, key), Long.toString(claim.fencingToken()), write(payment)));
    List<?> reply = (List<?>) answer;
    long code = (Long) reply.get(0);
    if (code == 0) return new Outcome.RefusedStale();
    if (code == 1) return new Outcome.RefusedRepeat(read(reply.get(1).toString()));
    return new Outcome.Accepted(payment);
  }

  @Override
  public List<Payment> payments(String account) {
    List<Payment> payments = new ArrayList<>();
    for (String entry : jedis.lrange(paymentsKey(account), 0, -1)) payments.add(read(entry));
    return payments;
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

  private static String tokensKey(String account) {
    return "demo:ledger:{" + account + "}:tokens";
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
