package dev.idempotency.server.store;

import java.time.Duration;

/**
 * The state machine of the contract, one record per {@link RecordId}:
 *
 * <pre>
 *   absent --claim--> in progress (owner token, lease TTL) --complete--> completed (retention TTL)
 *                        |  ^ renew                                        |
 *                        +--release / lease expiry--> absent &lt;--retention expiry--+
 * </pre>
 *
 * <p>Every method is atomic and, for a network store, exactly ONE round trip. A repeat after
 * completion gets its stored answer from {@link #claim} itself, with no second read. Only the
 * holder of the owner token may complete, renew or release a claim, so a worker whose lease
 * expired and was taken over cannot overwrite or delete the new owner's record.
 *
 * <p>Fingerprints are opaque strings compared for equality; a record claimed without a
 * fingerprint (the empty string) matches only requests without one.
 *
 * <p>Implementations are threadsafe. Every method throws
 * {@link dev.idempotency.server.store.IdempotencyStoreUnavailableException} (or its subclass
 * {@link dev.idempotency.server.store.IdempotencyCapacityExceededException}) when the store cannot
 * answer; they never answer "acquired" when they do not know.
 */
public interface IdempotencyStore {

  /**
   * Claims {@code id} for {@code ownerToken}, or reports why not.
   *
   * @param id the record
   * @param fingerprint the request's fingerprint, or the empty string for none
   * @param ownerToken a fresh unique token chosen by the caller; echoed in {@link ClaimResult.Acquired}
   * @param leaseTtl how long the claim lives unless renewed or completed; positive
   */
  ClaimResult claim(RecordId id, String fingerprint, String ownerToken, Duration leaseTtl);

  /**
   * Completes the claim held by {@code ownerToken}, storing {@code result} for {@code retention}.
   *
   * @return true if stored; false if {@code ownerToken} no longer holds the claim (the lease
   *     expired and the record is absent or someone else's), in which case nothing changed
   */
  boolean complete(RecordId id, String ownerToken, byte[] result, Duration retention);

  /**
   * {@link #complete}, with {@code result} handed over: the caller never modifies the array after
   * this call (it may pass the same array again after a failure), so a store may keep it as it is
   * instead of copying it. The guards complete their
   * claims through this method, with arrays built for the store alone. By default it is
   * {@code complete}, which a store that serializes the bytes anyway needs no more than.
   */
  default boolean completeHandingOver(RecordId id, String ownerToken, byte[] result, Duration retention) {
    return complete(id, ownerToken, result, retention);
  }

  /**
   * Extends the lease held by {@code ownerToken} to {@code leaseTtl} from now.
   *
   * @return true if renewed; false if the token no longer holds the claim
   */
  boolean renew(RecordId id, String ownerToken, Duration leaseTtl);

  /**
   * Deletes the claim held by {@code ownerToken}, so the next claim acquires it.
   *
   * @return true if released; false if the token no longer holds the claim (nothing changed)
   */
  boolean release(RecordId id, String ownerToken);

  /**
   * The ticker by which this store times its leases, if it reports when each began
   * ({@link ClaimResult.Acquired#grantedAt()}); null (the default) if it does not. A guard with
   * the same ticker counts a lease from that reading, where it otherwise reads its ticker before
   * every claim (a lease begins no earlier than its claim was sent): in this JVM's heap the store's
   * reading is the lease's start itself, and a clock reading costs a memory-store call more than
   * a tenth of its business code.
   */
  default dev.idempotency.contract.Ticker leaseTicker() {
    return null;
  }
}
