/**
 * Where idempotency records live: the store SPI and its in-memory implementation.
 *
 * <p>{@link dev.idempotency.server.store.IdempotencyStore} is the contract's state machine, one
 * atomic call (one round trip) per transition:
 *
 * <pre>
 *   absent --claim--> in progress (owner token, lease TTL) --complete--> completed (retention TTL)
 *     ^                 | renew: the lease again from now                  |
 *     +---- release or lease expiry ----+------------ retention expiry -----+
 * </pre>
 *
 * <p>A claim answers with a {@link dev.idempotency.server.store.ClaimResult}: acquired (with a
 * fencing token, strictly greater than every earlier owner's of the record), in progress (with the
 * lease remaining), completed (with the stored bytes) or a fingerprint mismatch. Only the owner
 * token completes, renews or releases a claim. A store that cannot answer throws
 * {@link dev.idempotency.server.store.IdempotencyStoreUnavailableException} (a full one its
 * subclass {@link dev.idempotency.server.store.IdempotencyCapacityExceededException}).
 *
 * <p>{@link dev.idempotency.server.store.InMemoryIdempotencyStore} serves one instance of a
 * service: at most 100,000 records by default, a tenth of them per scope, and no record dropped
 * before it expires unless the store is built to evict completed ones early. The Redis store
 * ({@code dev.idempotency.server.redis}) and the PostgreSQL store ({@code
 * dev.idempotency.server.jdbc}) serve several. All pass the same contract suite,
 * {@code IdempotencyStoreContract} in this module's test-jar; a new store should too.
 */
package dev.idempotency.server.store;
