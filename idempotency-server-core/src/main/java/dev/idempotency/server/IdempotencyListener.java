package dev.idempotency.server;

import dev.idempotency.server.store.RecordId;
import java.time.Duration;

/**
 * Events of an {@link IdempotencyGuard}, for metrics and logs. Every method has an empty default,
 * so an implementation overrides what it needs. Methods are called on the caller's thread, on the
 * renewal scheduler's thread for the lease events and for the end of a deferred completion
 * ({@link #completeRecovered} and the {@link #executed} or {@link #failureStored} after it,
 * {@link #leaseLost}, {@link #completeFailed}), or on the thread that closes the guard for the
 * completions it ends; they should return quickly. An exception
 * thrown by a listener is logged and otherwise ignored: it never changes the guard's answer.
 *
 * <p>No event carries a key, a scope or an owner token as text: a {@link RecordId} prints the
 * scope and the key as digests ({@link RecordId#toString()}), and the exceptions the guard makes
 * name neither. {@code id.scope()} and {@code id.key()} give the parts themselves; a listener that
 * logs them takes that on.
 *
 * <p>Implementations must be threadsafe.
 */
public interface IdempotencyListener {
  /** A listener that does nothing: the default. */
  IdempotencyListener NONE = new IdempotencyListener() {};

  /**
   * One listener that tells each of {@code listeners} every event, in the order given, so a guard
   * can feed metrics and tracing at once. An exception one of them throws is logged and does not
   * keep the event from the others. No listeners give {@link #NONE}, one gives that listener.
   *
   * @throws NullPointerException if {@code listeners} or one of them is null
   */
  static IdempotencyListener composite(IdempotencyListener... listeners) {
    return CompositeListener.of(listeners);
  }

  /**
   * A guarded call ended, however it ended (one of {@link CallOutcome}), after {@code elapsed} by
   * the guard's ticker from its first claim: one call per {@code execute} or {@code run}, on the
   * caller's thread. The other events say more about particular steps; this one times calls.
   */
  default void callEnded(RecordId id, CallOutcome outcome, Duration elapsed) {}

  /** The business code ran for {@code id} and its result was stored. */
  default void executed(RecordId id) {}

  /** A repeat got the stored result (or stored failure); the business code did not run. */
  default void replayed(RecordId id) {}

  /** A repeat found the first call still running and gave up (fail fast, or waited in vain). */
  default void inProgress(RecordId id) {}

  /** The key was already used with another fingerprint. */
  default void keyReused(RecordId id) {}

  /**
   * The store failed to answer a claim. If {@code ranUnguarded} (fail-open), the business code
   * ran without a claim; otherwise nothing ran.
   */
  default void storeUnavailable(RecordId id, RuntimeException cause, boolean ranUnguarded) {}

  /** The lease of a running call was renewed. */
  default void leaseRenewed(RecordId id) {}

  /** A renewal failed for a reason other than a lost lease; the next one tries again. */
  default void renewFailed(RecordId id, RuntimeException cause) {}

  /**
   * The running call no longer holds its claim: its lease expired (another call may have taken
   * the key over and run the business code too). Renewal stopped. Also reported when completing
   * (in line or deferred) finds the claim gone: the result was not stored.
   */
  default void leaseLost(RecordId id) {}

  /**
   * The business code ran, but storing its result (or its stored failure) failed in line: the
   * caller got its answer, and the guard keeps trying to store it in the background while the
   * lease lasts. Repeats are told the call is in progress meanwhile. One of
   * {@link #completeRecovered}, {@link #leaseLost} or {@link #completeFailed} follows for
   * {@code id}.
   *
   * @param cause the last in-line failure
   */
  default void completeDeferred(RecordId id, RuntimeException cause) {}

  /**
   * A deferred result was stored after all: repeats get the replay, the business code ran once.
   * Followed by {@link #executed} (or {@link #failureStored}).
   */
  default void completeRecovered(RecordId id) {}

  /**
   * The business code ran but its result could not be stored, even after retrying in the
   * background until the lease ran out (or until the guard closed): the claim stays in progress
   * until its lease ends, then the key is free again and a retry runs the business code again.
   */
  default void completeFailed(RecordId id, RuntimeException cause) {}

  /** The business code threw and the failure policy stored the failure for repeats. */
  default void failureStored(RecordId id, Throwable failure) {}

  /** The business code threw, and releasing the claim failed: the key frees when its lease ends. */
  default void releaseFailed(RecordId id, RuntimeException cause) {}
}
