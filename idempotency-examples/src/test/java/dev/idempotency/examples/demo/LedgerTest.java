package dev.idempotency.examples.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.idempotency.server.Claim;
import dev.idempotency.server.redis.RedisServerFixture;
import dev.idempotency.server.redis.RedisServerProcess;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.RedisClient;

/**
 * The fenced ledgers, memory and a real Redis, told the same story: a stale owner's late write is
 * refused as stale, a second payment for a paid action as a repeat, and neither reaches the
 * account's payments.
 */
class LedgerTest {
  private static final long OLD = 1_764_000_000_000_000L; // microseconds, as the stores' tokens are
  private static final long NEW = OLD + 1;

  private static Payment payment(String account, long amount) {
    return new Payment(UUID.randomUUID().toString(), account, amount, "EUR");
  }

  private static Claim token(long t) {
    return () -> t;
  }

  private static void tellsStaleFromRepeat(Ledger ledger, String account) {
    // B (the newer claim) pays first; A, resumed after its lease expired, writes late.
    Payment byB = payment(account, 100);
    assertThat(ledger.record("alice", "k1", token(NEW), byB)).isEqualTo(new Ledger.Outcome.Accepted(byB));
    assertThat(ledger.record("alice", "k1", token(OLD), payment(account, 100)))
        .isEqualTo(new Ledger.Outcome.RefusedStale());

    // A writes first; B, which took the claim over, writes after: fencing cannot tell, the unique
    // key does, and the first payment stands.
    Payment byA = payment(account, 200);
    assertThat(ledger.record("alice", "k2", token(OLD), byA)).isEqualTo(new Ledger.Outcome.Accepted(byA));
    assertThat(ledger.record("alice", "k2", token(NEW), payment(account, 200)))
        .isEqualTo(new Ledger.Outcome.RefusedRepeat(byA));
    // The repeat raised the highest token seen: A's own second write is now stale too.
    assertThat(ledger.record("alice", "k2", token(OLD), payment(account, 200)))
        .isEqualTo(new Ledger.Outcome.RefusedStale());

    // The same token twice (one owner writing again) is a repeat, not stale.
    assertThat(ledger.record("alice", "k1", token(NEW), payment(account, 100)))
        .isEqualTo(new Ledger.Outcome.RefusedRepeat(byB));
    // The same key from another caller is another action.
    Payment bobs = payment(account, 300);
    assertThat(ledger.record("bob", "k1", token(OLD), bobs)).isEqualTo(new Ledger.Outcome.Accepted(bobs));

    assertThat(ledger.payments(account)).containsExactly(byB, byA, bobs);
  }

  @Test
  void memoryLedger() {
    tellsStaleFromRepeat(new MemoryLedger(), "acc-1");
  }

  @Test
  void redisLedger() {
    RedisServerProcess redis = RedisServerFixture.standalone();
    try (RedisClient jedis = redis.newClient()) {
      String account = "ledger-" + UUID.randomUUID().toString().substring(0, 8);
      tellsStaleFromRepeat(new RedisLedger(jedis, new ObjectMapper()), account);
      // Three keys, one hash tag: one slot of a Cluster.
      assertThat(jedis.keys("demo:ledger:{" + account + "}:*")).hasSize(3);
    }
  }

  @Test
  void anUnguardedWriteHasTokenZero() {
    Ledger l = new MemoryLedger();
    Payment p = payment("acc-1", 1);
    assertThat(l.record("", "k", Claim.UNGUARDED, p)).isEqualTo(new Ledger.Outcome.Accepted(p));
    assertThat(l.record("", "k", Claim.UNGUARDED, payment("acc-1", 1))).isInstanceOf(Ledger.Outcome.RefusedRepeat.class);
    assertThat(l.payments("acc-1")).isEqualTo(List.of(p));
  }
}
