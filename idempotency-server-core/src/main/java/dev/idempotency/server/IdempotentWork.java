package dev.idempotency.server;

/**
 * Business code run under a won {@link Claim}: the general form of what a guard runs, for code
 * that needs the claim's fencing token or throws checked exceptions. The simpler forms of
 * {@link IdempotencyGuard} take a {@link java.util.function.Supplier}.
 *
 * @param <T> the result, stored for repeats as the call's {@link StorePolicy} says
 */
@FunctionalInterface
public interface IdempotentWork<T> {
  /**
   * Runs the business code once for the claim's key.
   *
   * @throws Exception to fail the call: the exception reaches the caller unchanged, and the claim
   *     is released (or the failure stored, as the {@link StorePolicy} says)
   */
  T run(Claim claim) throws Exception;
}
