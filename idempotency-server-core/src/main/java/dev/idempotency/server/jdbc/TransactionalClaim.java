package dev.idempotency.server.jdbc;

import dev.idempotency.server.Claim;
import java.sql.Connection;

/**
 * The claim a {@link TransactionalIdempotencyGuard} call won: the connection whose transaction
 * holds the claim, where the work writes its effects so that they commit with the record, and the
 * claim's fencing token (not needed for exactly-once here: the transaction is).
 *
 * <p>Implementations are threadsafe as far as the connection is; the work uses it on its own thread.
 */
public interface TransactionalClaim extends Claim {
  /** The connection of the claim's transaction; the work never commits, rolls back or closes it. */
  Connection connection();

  /**
   * The connection of {@code claim}, for work written against {@link Claim} (an HTTP handler, say).
   *
   * @throws IllegalArgumentException if {@code claim} was not won by a transactional guard
   */
  static Connection connection(Claim claim) {
    if (claim instanceof TransactionalClaim transactional) return transactional.connection();
    throw new IllegalArgumentException("not a transactional claim: the work runs under a lease-based guard "
        + "(or unguarded); use a TransactionalIdempotencyGuard to write in the record's transaction");
  }
}
