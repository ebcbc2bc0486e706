package dev.idempotency.contract;

/** The status codes the contract gives a meaning to. See {@link ClientDirective} for the client side. */
public final class StatusCodes {
  /** Key missing or malformed. */
  public static final int BAD_REQUEST = 400;
  /** The client should retry with the same key. */
  public static final int REQUEST_TIMEOUT = 408;
  /** A request with this key is still being processed (the default in-progress answer). */
  public static final int CONFLICT = 409;
  /** The request body is larger than the server stores. */
  public static final int CONTENT_TOO_LARGE = 413;
  /** The key was reused for a different request (the fingerprint differs). */
  public static final int UNPROCESSABLE_CONTENT = 422;
  /** RFC 8470: the alternative in-progress answer, a server option. */
  public static final int TOO_EARLY = 425;
  /** The client should retry with the same key, honouring Retry-After. */
  public static final int TOO_MANY_REQUESTS = 429;
  /** The idempotency store cannot be reached: nothing ran, retry with the same key. */
  public static final int SERVICE_UNAVAILABLE = 503;

  private StatusCodes() {}
}
