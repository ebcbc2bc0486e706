package dev.idempotency.server.store;

import org.assertj.core.api.Condition;

/** AssertJ conditions on {@link ClaimResult}s, for every store's tests. */
public final class ClaimAssertions {
  private ClaimAssertions() {}

  /** Acquired for {@code ownerToken}, with a positive fencing token (whichever). */
  public static Condition<ClaimResult> acquiredBy(String ownerToken) {
    return new Condition<>(
        r -> r instanceof ClaimResult.Acquired a && a.ownerToken().equals(ownerToken) && a.fencingToken() > 0,
        "acquired by %s", ownerToken);
  }

  /** The fencing token of an acquired claim, 0 for any other answer. */
  public static long fencingToken(ClaimResult r) {
    return r instanceof ClaimResult.Acquired a ? a.fencingToken() : 0;
  }
}
