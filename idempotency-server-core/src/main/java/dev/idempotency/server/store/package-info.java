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
 * <p>A claim answers with a {@link dev.idempotency.server.store.ClaimResult}: acquired, in
 * progress (with the lease remaining), completed (with the stored bytes) or a fingerprint
 * mismatch. Only the owner token completes, renews or releases a claim.
 *
 * <p>{@link dev.idempotency.server.store.InMemoryIdempotencyStore} serves one instance of a
 * service: at most 100,000 records by default, a tenth of them per scope, and no record dropped
 * before it expires unless the store is built to evict completed ones early. The Redis store
 * ({@code dev.idempotency.server.redis}) serves several. Both pass the same contract suite,
 * {@code IdempotencyStoreContract} in this module's test-jar; a new store should too.
 */
package dev.idempotency.server.store;
