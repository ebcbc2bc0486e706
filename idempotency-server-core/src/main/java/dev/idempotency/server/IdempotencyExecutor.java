package dev.idempotency.server;

/**
 * What runs work at most once per key and answers repeats with the first result: the
 * {@link IdempotencyGuard} (a lease-based store; the record and the work's effects are two writes,
 * so hand the work's writes the claim's fencing token) or a transactional guard (a SQL store
 * whose record commits or rolls back with the work's own writes, in one transaction:
 * {@code dev.idempotency.server.jdbc.TransactionalIdempotencyGuard}). The HTTP layer runs over
 * either.
 *
 * <p>Implementations are threadsafe.
 */
public interface IdempotencyExecutor {
  /**
   * Runs {@code work} once for the call's record, under the {@link Claim} it won, and stores its end
   * as {@code policy} says. A repeat with the same fingerprint returns the stored result, or throws
   * the stored failure.
   *
   * @throws Exception what {@code work} threw, unchanged; or, before anything ran,
   *     {@link IdempotencyInProgressException}, {@link IdempotencyKeyReusedException},
   *     {@link dev.idempotency.server.store.IdempotencyStoreUnavailableException}; or
   *     {@link IdempotencyStoredFailureException} for a repeat of a stored failure
   */
  <T> GuardedResult<T> run(IdempotentCall call, ResultCodec<T> codec, StorePolicy<T> policy, IdempotentWork<T> work)
      throws Exception;

  /** The namespace of the executor's records. */
  String namespace();
}
