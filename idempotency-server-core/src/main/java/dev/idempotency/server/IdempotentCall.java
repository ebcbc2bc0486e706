package dev.idempotency.server;

import java.util.Objects;

/**
 * One guarded call: the client's key, the caller's scope and an optional request fingerprint.
 *
 * @param key the client's key (validated by the guard against the contract's syntax)
 * @param scope the caller scope (authenticated principal or tenant); empty for one anonymous scope
 * @param fingerprint a digest of the request, compared on repeats; empty for none
 */
public record IdempotentCall(String key, String scope, String fingerprint) {
  public IdempotentCall {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(scope, "scope");
    Objects.requireNonNull(fingerprint, "fingerprint");
  }

  /** A call with this key, the anonymous scope and no fingerprint. */
  public static IdempotentCall of(String key) {
    return new IdempotentCall(key, "", "");
  }

  public IdempotentCall withScope(String scope) {
    return new IdempotentCall(key, scope, fingerprint);
  }

  public IdempotentCall withFingerprint(String fingerprint) {
    return new IdempotentCall(key, scope, fingerprint);
  }
}
