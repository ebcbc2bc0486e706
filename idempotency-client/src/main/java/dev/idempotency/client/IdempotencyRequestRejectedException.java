package dev.idempotency.client;

import java.io.IOException;

/**
 * The interceptor refused to send a request, before anything reached the network: a POST or PATCH
 * without a key under {@link MissingKeyPolicy#REJECT}, an {@code Idempotency-Key} header that
 * breaks the contract's syntax (or is repeated), or a key store that could not be read. The
 * message says which; the cause, if any, is the underlying error.
 */
public final class IdempotencyRequestRejectedException extends IOException {
  private static final long serialVersionUID = 1L;

  public IdempotencyRequestRejectedException(String message, Throwable cause) {
    super(message, cause);
  }
}
