package dev.idempotency.server;

/**
 * How one guarded call ended, as {@link IdempotencyListener#callEnded} reports it: one value per
 * call, on the caller's thread, when the guard returns or throws. Low-cardinality by design: a
 * metric tag or a span attribute.
 */
public enum CallOutcome {
  /** The work ran and its result is stored (or being stored in the background). */
  EXECUTED,
  /**
   * The work ran, but its claim was lost before its result could be stored (its lease ran out and
   * another call may have taken the key): the result is not stored. Hand the claim's fencing
   * token to the work's resource so a stale owner's write is refused.
   */
  LEASE_LOST,
  /** The work ran; its result was not stored (its store policy said so: an HTTP 5xx), the key released. */
  EXECUTED_NOT_STORED,
  /** The work threw; the claim was released, so a retry runs it again. */
  FAILED,
  /** The work threw, and its failure is stored for repeats. */
  FAILURE_STORED,
  /** A repeat got the stored result (or the stored failure); nothing ran. */
  REPLAYED,
  /** The first call is still running; nothing ran. */
  IN_PROGRESS,
  /** The key was used for another request; nothing ran. */
  KEY_REUSED,
  /** The store could not answer, and the guard fails closed; nothing ran. */
  STORE_UNAVAILABLE,
  /** The store had no room for a new key; nothing ran. */
  CAPACITY_EXCEEDED,
  /** The store could not answer and the guard fails open: the work ran unguarded. */
  RAN_UNGUARDED
}
