package dev.idempotency.contract;

/**
 * What a client does with an answer, per the client table of the contract. Each directive says
 * both whether to send again and what to do with the key.
 *
 * <table>
 *   <caption>Answers and directives</caption>
 *   <tr><th>answer</th><th>directive</th></tr>
 *   <tr><td>2xx</td><td>{@link #SUCCEEDED}</td></tr>
 *   <tr><td>5xx, 408, 429, no answer at all</td><td>{@link #RETRY_SAME_KEY}</td></tr>
 *   <tr><td>409, 425</td><td>{@link #STOP_KEEP_KEY}</td></tr>
 *   <tr><td>other 1xx, 3xx and 4xx</td><td>{@link #STOP_FORGET_KEY}</td></tr>
 * </table>
 */
public enum ClientDirective {
  /** Done. Report whether it was a replay; forget the key. */
  SUCCEEDED(false, false),
  /**
   * The request may or may not have run: send it again with the SAME key, after a backoff that
   * honours {@code Retry-After}. The key is kept, also after giving up (the outcome is unknown).
   */
  RETRY_SAME_KEY(true, true),
  /**
   * The first request with this key is still being processed. Stop at once and tell the caller;
   * keep the key so that a later retry of the action gets the stored answer.
   */
  STOP_KEEP_KEY(false, true),
  /** A definitive failure (a client bug or bad input): stop and forget the key. */
  STOP_FORGET_KEY(false, false);

  private final boolean retry;
  private final boolean keepKey;

  ClientDirective(boolean retry, boolean keepKey) {
    this.retry = retry;
    this.keepKey = keepKey;
  }

  /** True if the client should send the request again with the same key. */
  public boolean retry() {
    return retry;
  }

  /** True if the key must be kept for the next attempt or the next try of the action. */
  public boolean keepKey() {
    return keepKey;
  }

  /**
   * The directive for an HTTP status code.
   *
   * @throws IllegalArgumentException if {@code status} is not in 100..599
   */
  public static ClientDirective forStatus(int status) {
    if (status < 100 || status > 599) {
      throw new IllegalArgumentException("not an HTTP status code: " + status);
    }
    if (status >= 200 && status < 300) return SUCCEEDED;
    if (status >= 500) return RETRY_SAME_KEY;
    switch (status) {
      case StatusCodes.REQUEST_TIMEOUT:
      case StatusCodes.TOO_MANY_REQUESTS:
        return RETRY_SAME_KEY;
      case StatusCodes.CONFLICT:
      case StatusCodes.TOO_EARLY:
        return STOP_KEEP_KEY;
      default:
        return STOP_FORGET_KEY;
    }
  }

  /**
   * The directive when no answer arrived: a connection failure, a reset, a timeout. The server
   * may have run the request, which is exactly the case the key exists for.
   */
  public static ClientDirective forNoAnswer() {
    return RETRY_SAME_KEY;
  }
}
