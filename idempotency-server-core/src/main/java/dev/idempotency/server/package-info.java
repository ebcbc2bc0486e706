/**
 * Run business code at most once per {@code Idempotency-Key}, and answer every repeat with the
 * first result.
 *
 * <h2>Quick start</h2>
 *
 * <pre>{@code
 * IdempotencyGuard guard = IdempotencyGuard.builder()
 *     .store(new InMemoryIdempotencyStore())       // one instance; RedisIdempotencyStore for several
 *     .namespace("payments")                       // one per service sharing a store
 *     .build();
 *
 * Receipt receipt = guard.execute(
 *     IdempotentCall.of(key).withScope(userId).withFingerprint(requestDigest),
 *     Receipt.class,
 *     () -> payments.charge(order));               // runs once; repeats get an equal Receipt
 *
 * // The general form: the work sees its Claim (a fencing token for the resource it writes), and
 * // a StorePolicy says which results and failures are stored.
 * GuardedResult<Receipt> r = guard.run(call, ResultCodec.json(Receipt.class),
 *     StorePolicy.storeEveryResult(), claim -> payments.charge(order, claim.fencingToken()));
 * }</pre>
 *
 * <h2>What a call can end with</h2>
 *
 * <ul>
 *   <li>the value: fresh, or replayed from the store ({@link dev.idempotency.server.GuardedResult}
 *       tells which);
 *   <li>{@link dev.idempotency.contract.InvalidIdempotencyKeyException}: a malformed key (HTTP 400);
 *   <li>{@link dev.idempotency.server.IdempotencyInProgressException}: the first call is still
 *       running (HTTP 409 with {@code Retry-After}); or wait for it with
 *       {@link dev.idempotency.server.InProgressPolicy#waitUpTo};
 *   <li>{@link dev.idempotency.server.IdempotencyKeyReusedException}: the key came with another
 *       fingerprint, another request (HTTP 422);
 *   <li>{@link dev.idempotency.server.store.IdempotencyStoreUnavailableException}: the store failed, or
 *       is full ({@link dev.idempotency.server.store.IdempotencyCapacityExceededException}); nothing ran
 *       (HTTP 503);
 *   <li>the work's own exception, unchanged: the claim is released and a retry runs again; or,
 *       for failures the policy stores, {@link dev.idempotency.server.IdempotencyStoredFailureException}
 *       on repeats.
 * </ul>
 *
 * <p>Only the first case and the work's exception mean the business code ran in this call.
 *
 * <h2>Moving parts</h2>
 *
 * <ul>
 *   <li>{@link dev.idempotency.server.store.IdempotencyStore}: the state machine (absent, in
 *       progress under a lease, completed for a retention); the in-memory, Redis and PostgreSQL
 *       stores pass the same contract suite.
 *   <li>{@link dev.idempotency.server.Claim}: what a won claim shows its work (the fencing token);
 *       {@link dev.idempotency.server.StorePolicy}: which ends are stored.
 *   <li>{@link dev.idempotency.server.ResultCodec}: how results become bytes; JSON with Jackson by
 *       default ({@link dev.idempotency.server.JsonResultCodec}).
 *   <li>{@link dev.idempotency.server.IdempotencyListener}: events for metrics and logs.
 *   <li>{@code dev.idempotency.server.http}: the same guard in front of HTTP requests, answering as
 *       the contract's server table says.
 * </ul>
 */
package dev.idempotency.server;
