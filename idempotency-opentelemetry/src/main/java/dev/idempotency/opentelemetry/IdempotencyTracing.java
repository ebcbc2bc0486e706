package dev.idempotency.opentelemetry;

import io.opentelemetry.api.common.AttributeKey;

/**
 * The span attributes and events the idempotency listeners add; {@link GuardTracing#create} and
 * {@link ClientTracing#create} make the listeners:
 *
 * <pre>{@code
 * IdempotencyGuard guard = IdempotencyGuard.builder()
 *     .store(store)
 *     .listener(GuardTracing.create())
 *     .build();
 * }</pre>
 *
 * <p>They add to {@code Span.current()}, the span of whatever runs the guarded call or sends the
 * request (an HTTP server span, the application's own); they start no span and need only
 * {@code opentelemetry-api}, the application bringing the SDK or the agent. Keys follow the
 * semantic conventions' style: snake_case under the {@code idempotency.} namespace, and the
 * conventions' own {@code exception.type}. No attribute carries a key, a scope or an action name.
 *
 * <p>Each side needs its own module on the class path ({@code idempotency-server-core} or
 * {@code idempotency-client}, both optional dependencies of this one); each side's listener is a
 * class of its own that names only its side. This class holds constants only.
 */
public final class IdempotencyTracing {
  /**
   * How the call ended. Guard: its {@code CallOutcome} in lower case ({@code executed},
   * {@code executed_not_stored}, {@code failed}, {@code failure_stored}, {@code replayed},
   * {@code in_progress}, {@code key_reused}, {@code store_unavailable},
   * {@code capacity_exceeded}, {@code ran_unguarded}). Client: {@code succeeded},
   * {@code replayed}, {@code in_progress}, {@code definitely_failed}, {@code unknown}. The same
   * values as the Micrometer module's {@code outcome} tag.
   */
  public static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("idempotency.outcome");

  /** Whether the answer was a replay of a stored one: the business code did not run for it. */
  public static final AttributeKey<Boolean> REPLAYED = AttributeKey.booleanKey("idempotency.replayed");

  /** Guard: the namespace of the guard's records. */
  public static final AttributeKey<String> NAMESPACE = AttributeKey.stringKey("idempotency.namespace");

  /** Client: the number of HTTP attempts the call made, at least 1. */
  public static final AttributeKey<Long> ATTEMPTS = AttributeKey.longKey("idempotency.attempts");

  /** Client: why retrying stopped, when the outcome is {@code unknown} ({@code max_attempts}, {@code deadline}, ...). */
  public static final AttributeKey<String> GIVE_UP_REASON = AttributeKey.stringKey("idempotency.give_up_reason");

  /** Client, on {@link #RETRY_SCHEDULED}: the number of the attempt to come, 2 or more. */
  public static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("idempotency.attempt");

  /** Client, on {@link #RETRY_SCHEDULED}: the wait before it, in seconds. */
  public static final AttributeKey<Double> RETRY_DELAY = AttributeKey.doubleKey("idempotency.retry_delay");

  /** On the guard's failure events: the class name of the store's exception (never its message). */
  public static final AttributeKey<String> EXCEPTION_TYPE = AttributeKey.stringKey("exception.type");

  /** Client event: another attempt follows, with the same key, after {@link #RETRY_DELAY}. */
  public static final String RETRY_SCHEDULED = "idempotency.retry_scheduled";

  /**
   * Guard event: the work ran but storing its result failed in line; the caller has its answer
   * and the guard goes on storing it in the background.
   */
  public static final String COMPLETION_DEFERRED = "idempotency.completion_deferred";

  /** Guard event: the work threw and releasing its claim failed; the key frees when the lease ends. */
  public static final String RELEASE_FAILED = "idempotency.release_failed";

  private IdempotencyTracing() {}
}
