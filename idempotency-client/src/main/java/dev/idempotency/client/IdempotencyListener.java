package dev.idempotency.client;

import dev.idempotency.contract.IdempotencyKey;
import java.time.Duration;
import okhttp3.Request;

/**
 * Observes what an {@link IdempotencyInterceptor} does, for metrics and logs. Every method has an
 * empty default. Methods run on the calling thread, so they must be threadsafe and quick; an
 * exception a method throws is logged and otherwise ignored.
 *
 * <p>For a keyed call, the order is: {@link #keyCreated} or {@link #keyReused} (not for a key the
 * caller put in the header), then for each attempt {@link #attemptStarted} and, if another attempt
 * follows, {@link #retryScheduled}; then {@link #gaveUp} if the outcome is unknown,
 * {@link #keyForgotten} if the action succeeded or definitively failed, and last
 * {@link #callEnded}, exactly once per keyed call. One exception: a success whose body is longer
 * than {@link IdempotencyInterceptor.Builder#maxBufferedSuccessBody} ends the call first, and
 * {@link #keyForgotten} follows when the caller reads that body to its end, on the thread that
 * reads it (or never, if it does not).
 */
public interface IdempotencyListener {
  /** The listener that does nothing. */
  IdempotencyListener NONE = new IdempotencyListener() {};

  /**
   * One listener that tells each of {@code listeners} every event, in the order given, so an
   * interceptor can feed metrics and tracing at once. An exception one of them throws is logged
   * and does not keep the event from the others. No listeners give {@link #NONE}, one gives that
   * listener.
   *
   * @throws NullPointerException if {@code listeners} or one of them is null
   */
  static IdempotencyListener composite(IdempotencyListener... listeners) {
    return CompositeListener.of(listeners);
  }

  /**
   * A new key was made.
   *
   * @param action the action, or null for a key made for one untagged POST or PATCH
   */
  default void keyCreated(IdempotentAction action, IdempotencyKey key) {}

  /** The action already had a key, which is sent again (a manual retry of the action). */
  default void keyReused(IdempotentAction action, IdempotencyKey key) {}

  /**
   * The action succeeded (its whole answer arrived) or definitively failed, so its key was
   * forgotten.
   */
  default void keyForgotten(IdempotentAction action, IdempotencyKey key) {}

  /**
   * An attempt is about to be sent.
   *
   * @param attempt 1 for the first attempt
   */
  default void attemptStarted(Request request, IdempotencyKey key, int attempt) {}

  /**
   * The last attempt will be followed by another, with the same key, after {@code delay}; unless
   * the thread is interrupted first, which ends the call with {@link #gaveUp} instead.
   *
   * @param nextAttempt the number of the attempt to come, 2 or more
   */
  default void retryScheduled(Request request, IdempotencyKey key, int nextAttempt, Duration delay) {}

  /** Retrying stopped with the outcome unknown. */
  default void gaveUp(Request request, IdempotencyOutcome.Unknown outcome) {}

  /** The call ended; called once per keyed call, whatever the outcome. */
  default void callEnded(Request request, IdempotencyOutcome outcome) {}
}
