package dev.idempotency.client;

import java.time.Duration;
import java.util.Objects;

/**
 * When and how often the {@link IdempotencyInterceptor} sends a request again, always with the
 * same key. A retry happens only on an answer the contract says to retry (5xx, 408, 429) or on no
 * answer at all (a connection failure or a timeout), and only if every bound allows it:
 *
 * <ul>
 *   <li>at most {@link #maxAttempts()} attempts in all;
 *   <li>the wait before attempt <i>n</i>+1 is the server's {@code Retry-After} (seconds or an
 *       HTTP date), capped at {@link #maxRetryAfter()}; without one, "full jitter": a uniformly
 *       random wait between zero and {@code min(maxDelay, baseDelay * 2^(n-1))};
 *   <li>no wait ends after {@link #deadline()}, counted from the first attempt: the call gives
 *       up instead of sleeping past it;
 *   <li>each retry takes tokens from a budget shared by all calls of one interceptor (so of one
 *       client); when it is empty, calls give up instead of retrying, so an outage does not
 *       multiply the traffic. Each success puts tokens back.
 * </ul>
 *
 * <table>
 *   <caption>Defaults</caption>
 *   <tr><th>setting</th><th>default</th></tr>
 *   <tr><td>maxAttempts</td><td>5</td></tr>
 *   <tr><td>baseDelay, maxDelay</td><td>100 ms, 10 s</td></tr>
 *   <tr><td>maxRetryAfter</td><td>60 s</td></tr>
 *   <tr><td>deadline</td><td>30 s</td></tr>
 *   <tr><td>retryBudget</td><td>500 tokens; a retry costs 5, a retry after a timeout 10; a
 *       success puts back 1</td></tr>
 * </table>
 *
 * <p>This class is immutable and threadsafe; it holds settings only, and the budget's tokens live
 * in the interceptor.
 */
public final class RetryPolicy {
  // One first attempt and four retries: with full jitter from 100 ms the four waits add up to at
  // most 1.5 s (0.75 s on average), or more when the server sends Retry-After: enough to ride out
  // a dropped connection or a failover, short enough that a user is still waiting.
  private static final int DEFAULT_MAX_ATTEMPTS = 5;
  // The AWS SDK for Java 2.x standard retry mode starts at 100 ms...
  private static final Duration DEFAULT_BASE_DELAY = Duration.ofMillis(100);
  // ...and caps a wait at 20 s; 10 s leaves room for attempts within the 30 s deadline.
  private static final Duration DEFAULT_MAX_DELAY = Duration.ofSeconds(10);
  // A server that asks for more than a minute is better served by the user trying later.
  private static final Duration DEFAULT_MAX_RETRY_AFTER = Duration.ofSeconds(60);
  // OkHttp's default timeouts are 10 s each; 30 s bounds the whole call, waits included.
  private static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(30);
  // AWS SDK standard mode: a bucket of 500 tokens, a retry costs 5 (10 after a timeout, which
  // costs the server more), a success puts back 1. 100 straight failed retries empty it.
  private static final int DEFAULT_BUDGET_TOKENS = 500;
  private static final int DEFAULT_RETRY_COST = 5;
  private static final int DEFAULT_TIMEOUT_RETRY_COST = 10;
  private static final int DEFAULT_SUCCESS_REFUND = 1;

  private static final RetryPolicy DEFAULTS = new Builder().build();

  private final int maxAttempts;
  private final Duration baseDelay;
  private final Duration maxDelay;
  private final Duration maxRetryAfter;
  private final Duration deadline;
  private final int budgetTokens;
  private final int retryCost;
  private final int timeoutRetryCost;
  private final int successRefund;

  private RetryPolicy(Builder b) {
    this.maxAttempts = b.maxAttempts;
    this.baseDelay = b.baseDelay;
    this.maxDelay = b.maxDelay;
    this.maxRetryAfter = b.maxRetryAfter;
    this.deadline = b.deadline;
    this.budgetTokens = b.budgetTokens;
    this.retryCost = b.retryCost;
    this.timeoutRetryCost = b.timeoutRetryCost;
    this.successRefund = b.successRefund;
  }

  /** The policy with every default (see the table above). */
  public static RetryPolicy defaults() {
    return DEFAULTS;
  }

  /** Returns a builder with the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** Returns a builder with this policy's settings. */
  public Builder newBuilder() {
    return new Builder(this);
  }

  /** The most attempts of one call, the first included. Default 5. */
  public int maxAttempts() {
    return maxAttempts;
  }

  /** The full-jitter bound for the first retry, doubled for each further one. Default 100 ms. */
  public Duration baseDelay() {
    return baseDelay;
  }

  /** The largest full-jitter bound. Default 10 s. */
  public Duration maxDelay() {
    return maxDelay;
  }

  /** The longest wait a server's {@code Retry-After} gets. Default 60 s. */
  public Duration maxRetryAfter() {
    return maxRetryAfter;
  }

  /** No wait ends later than this after the first attempt started. Default 30 s. */
  public Duration deadline() {
    return deadline;
  }

  /** The size of the shared retry budget, in tokens; it starts full. Default 500. */
  public int budgetTokens() {
    return budgetTokens;
  }

  /** The tokens a retry takes from the budget. Default 5. */
  public int retryCost() {
    return retryCost;
  }

  /** The tokens a retry after a timeout takes. Default 10. */
  public int timeoutRetryCost() {
    return timeoutRetryCost;
  }

  /** The tokens a success puts back, up to the size. Default 1. */
  public int successRefund() {
    return successRefund;
  }

  @Override
  public String toString() {
    return "RetryPolicy(maxAttempts=" + maxAttempts + ", baseDelay=" + baseDelay
        + ", maxDelay=" + maxDelay + ", maxRetryAfter=" + maxRetryAfter + ", deadline=" + deadline
        + ", budgetTokens=" + budgetTokens + ", retryCost=" + retryCost + ", timeoutRetryCost="
        + timeoutRetryCost + ", successRefund=" + successRefund + ")";
  }

  /** Builds a {@link RetryPolicy}. Not threadsafe; {@link #build} copies it. */
  public static final class Builder {
    private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
    private Duration baseDelay = DEFAULT_BASE_DELAY;
    private Duration maxDelay = DEFAULT_MAX_DELAY;
    private Duration maxRetryAfter = DEFAULT_MAX_RETRY_AFTER;
    private Duration deadline = DEFAULT_DEADLINE;
    private int budgetTokens = DEFAULT_BUDGET_TOKENS;
    private int retryCost = DEFAULT_RETRY_COST;
    private int timeoutRetryCost = DEFAULT_TIMEOUT_RETRY_COST;
    private int successRefund = DEFAULT_SUCCESS_REFUND;

    private Builder() {}

    private Builder(RetryPolicy p) {
      maxAttempts = p.maxAttempts;
      baseDelay = p.baseDelay;
      maxDelay = p.maxDelay;
      maxRetryAfter = p.maxRetryAfter;
      deadline = p.deadline;
      budgetTokens = p.budgetTokens;
      retryCost = p.retryCost;
      timeoutRetryCost = p.timeoutRetryCost;
      successRefund = p.successRefund;
    }

    /**
     * The most attempts of one call, the first included; 1 turns retries off. Default 5.
     *
     * @throws IllegalArgumentException if less than 1
     */
    public Builder maxAttempts(int maxAttempts) {
      if (maxAttempts < 1) throw new IllegalArgumentException("maxAttempts < 1: " + maxAttempts);
      this.maxAttempts = maxAttempts;
      return this;
    }

    /**
     * The full-jitter bounds: the first retry waits up to {@code baseDelay}, each further one up
     * to twice as long, never more than {@code maxDelay}. Default 100 ms and 10 s.
     *
     * @throws IllegalArgumentException if either is negative
     */
    public Builder backoff(Duration baseDelay, Duration maxDelay) {
      this.baseDelay = nonNegative(baseDelay, "baseDelay");
      this.maxDelay = nonNegative(maxDelay, "maxDelay");
      return this;
    }

    /**
     * The longest wait a server's {@code Retry-After} gets; a longer one is cut to it. Default
     * 60 s.
     *
     * @throws IllegalArgumentException if negative
     */
    public Builder maxRetryAfter(Duration maxRetryAfter) {
      this.maxRetryAfter = nonNegative(maxRetryAfter, "maxRetryAfter");
      return this;
    }

    /**
     * The total time for one call: no wait ends later than this after the first attempt
     * started; the call gives up instead. Default 30 s.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder deadline(Duration deadline) {
      nonNegative(deadline, "deadline");
      if (deadline.isZero()) throw new IllegalArgumentException("deadline is zero");
      this.deadline = deadline;
      return this;
    }

    /**
     * The size of the retry budget shared by all calls of one interceptor; 0 turns retries off.
     * Default 500.
     *
     * @throws IllegalArgumentException if negative
     */
    public Builder budgetTokens(int budgetTokens) {
      if (budgetTokens < 0) throw new IllegalArgumentException("budgetTokens < 0: " + budgetTokens);
      this.budgetTokens = budgetTokens;
      return this;
    }

    /**
     * What a retry takes from the budget, what a retry after a timeout takes, and what a success
     * puts back. Default 5, 10 and 1.
     *
     * @throws IllegalArgumentException if a cost is less than 1 or the refund is negative
     */
    public Builder budgetCosts(int retryCost, int timeoutRetryCost, int successRefund) {
      if (retryCost < 1) throw new IllegalArgumentException("retryCost < 1: " + retryCost);
      if (timeoutRetryCost < 1) {
        throw new IllegalArgumentException("timeoutRetryCost < 1: " + timeoutRetryCost);
      }
      if (successRefund < 0) throw new IllegalArgumentException("successRefund < 0: " + successRefund);
      this.retryCost = retryCost;
      this.timeoutRetryCost = timeoutRetryCost;
      this.successRefund = successRefund;
      return this;
    }

    /**
     * Returns the policy.
     *
     * @throws IllegalStateException if {@code baseDelay} is greater than {@code maxDelay}
     */
    public RetryPolicy build() {
      if (baseDelay.compareTo(maxDelay) > 0) {
        throw new IllegalStateException(
            "baseDelay " + baseDelay + " is greater than maxDelay " + maxDelay);
      }
      return new RetryPolicy(this);
    }

    private static Duration nonNegative(Duration d, String name) {
      Objects.requireNonNull(d, name);
      if (d.isNegative()) throw new IllegalArgumentException(name + " is negative: " + d);
      return d;
    }
  }
}
