package dev.idempotency.server;

/**
 * The claim a guarded call won, as its business code sees it: {@code guard.run(call, codec, policy,
 * claim -> ledger.write(payment, claim.fencingToken()))}.
 *
 * <p>The guard renews the claim's lease while the work runs and settles it when the work ends; the
 * work only reads it. A worker that stalls past its lease (a long GC pause, a stopped process) may
 * lose the claim to a newer owner and not know it: hand the fencing token to the resource the work
 * writes, and let the resource refuse a token lower than one it has seen (see the README, section
 * "Exactly-once effects").
 *
 * <p>Implementations are threadsafe.
 */
public interface Claim {
  /**
   * What code that runs without a claim sees: an HTTP method the layer does not guard, or a call
   * run unguarded because the store could not answer (fail-open). Its fencing token is 0.
   */
  Claim UNGUARDED = () -> 0;

  /**
   * The claim's fencing token: strictly greater than the token of every earlier owner of the same
   * record in the same store, so a resource that keeps the highest token it has seen per action
   * can refuse the writes of a stale owner. Each store documents what its tokens survive. A call
   * that ran unguarded ({@linkplain IdempotencyGuardBuilder#failOpen fail-open}) has token 0.
   */
  long fencingToken();
}
