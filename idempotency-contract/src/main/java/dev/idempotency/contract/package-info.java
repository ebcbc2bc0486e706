/**
 * The Idempotency-Key contract between clients and servers, in code, with no dependencies.
 *
 * <ul>
 *   <li>{@link dev.idempotency.contract.IdempotencyHeaders}: the header names.
 *   <li>{@link dev.idempotency.contract.IdempotencyKey}: key syntax (1-255 visible ASCII), bare
 *       and RFC 8941 sf-string forms.
 *   <li>{@link dev.idempotency.contract.ClientDirective}: what each status code means to a
 *       client: retry with the same key, stop and keep it, or stop and forget it.
 *   <li>{@link dev.idempotency.contract.ProblemType} and {@link dev.idempotency.contract.Problem}:
 *       the RFC 9457 problem answers a server sends.
 *   <li>{@link dev.idempotency.contract.RetryAfter}: delta-seconds and HTTP-date.
 *   <li>{@link dev.idempotency.contract.Ticker} and {@link dev.idempotency.contract.Sleeper}: the
 *       one monotonic time source and the one way to wait, shared by the client and the server
 *       so that one fake drives both in tests ({@code FakeTime} in this module's test-jar).
 * </ul>
 */
package dev.idempotency.contract;
