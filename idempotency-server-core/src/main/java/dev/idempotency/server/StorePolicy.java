package dev.idempotency.server;

import java.util.Objects;
import java.util.function.Predicate;

/**
 * Which ends of a won claim's work are stored and replayed to repeats, and which release the
 * claim so that a retry runs the work again: one rule for results and one for failures, judged in
 * one place when the work ends (Failsafe's {@code handleResultIf} beside {@code handleIf}).
 *
 * <ul>
 *   <li>A result the policy stores is stored and returned; a result it does not store is returned
 *       to this caller only, and the claim is released (an HTTP layer answers a 5xx this way).
 *   <li>A failure the policy stores is stored, and repeats throw
 *       {@link IdempotencyStoredFailureException}; any other failure releases the claim. Either
 *       way the exception reaches this caller unchanged.
 * </ul>
 *
 * <p>{@link #storeEveryResult()} stores every result, and stores the failures that the guard's
 * {@link IdempotencyGuardBuilder#storeFailuresWhen} accepts (by default none). A predicate must not
 * throw; one that does releases the claim (a result predicate's exception then reaches the caller).
 *
 * <p>This class is immutable and threadsafe.
 *
 * @param <T> the result type
 */
public final class StorePolicy<T> {
  private static final StorePolicy<Object> EVERY_RESULT = new StorePolicy<>(null, null);
  private static final System.Logger LOG = System.getLogger(StorePolicy.class.getName());

  private final Predicate<? super T> results; // null: every result
  private final Predicate<? super Throwable> failures; // null: the guard's storeFailuresWhen

  private StorePolicy(Predicate<? super T> results, Predicate<? super Throwable> failures) {
    this.results = results;
    this.failures = failures;
  }

  /** Every result is stored; failures as the guard's {@code storeFailuresWhen} says. */
  @SuppressWarnings("unchecked") // holds no T
  public static <T> StorePolicy<T> storeEveryResult() {
    return (StorePolicy<T>) EVERY_RESULT;
  }

  /** The results {@code predicate} accepts are stored; the others release the claim. */
  public static <T> StorePolicy<T> storeResultsWhen(Predicate<? super T> predicate) {
    return new StorePolicy<>(Objects.requireNonNull(predicate, "predicate"), null);
  }

  /**
   * This policy, storing the failures {@code predicate} accepts (deterministic ones: a declined
   * card, a validation error) instead of those of the guard's {@code storeFailuresWhen}.
   */
  public StorePolicy<T> storeFailuresWhen(Predicate<? super Throwable> predicate) {
    return new StorePolicy<>(results, Objects.requireNonNull(predicate, "predicate"));
  }

  /**
   * Whether {@code result} is stored; for the executors that judge a work's end.
   *
   * @throws RuntimeException what the result predicate threw
   */
  public boolean stores(T result) {
    return results == null || results.test(result);
  }

  /**
   * Whether {@code failure} is stored, by this policy's failure rule or, when it sets none, by
   * {@code guardDefault} (may be null: none); a rule that throws stores nothing. For the executors
   * that judge a work's end.
   */
  public boolean stores(Throwable failure, Predicate<? super Throwable> guardDefault) {
    Predicate<? super Throwable> rule = failures != null ? failures : guardDefault;
    if (rule == null) return false;
    try {
      return rule.test(failure);
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "a storeFailuresWhen predicate threw; releasing the claim", e);
      return false;
    }
  }

  /** Whether this policy sets a failure rule of its own (else the guard's applies). */
  public boolean hasFailureRule() {
    return failures != null;
  }

  @Override
  public String toString() {
    return "StorePolicy[results=" + (results == null ? "every" : "when predicate") + ", failures="
        + (failures == null ? "the guard's" : "when predicate") + "]";
  }
}
