package dev.idempotency.client;

/**
 * What the {@link IdempotencyInterceptor} does with a POST or PATCH that carries neither an
 * {@link IdempotentAction} tag nor an {@code Idempotency-Key} header.
 */
public enum MissingKeyPolicy {
  /**
   * Send it with a fresh key made for this one call (the default). Automatic retries of the call
   * reuse that key, but a second call is a second action: it gets another key.
   */
  GENERATE,
  /**
   * Refuse to send it: the call fails with {@link IdempotencyRequestRejectedException} before
   * anything reaches the network. Use it to find the requests that were not given an action.
   */
  REJECT
}
