package dev.idempotency.server;

import dev.idempotency.contract.IdempotencyKey;
import dev.idempotency.contract.InvalidIdempotencyKeyException;
import dev.idempotency.server.store.RecordId;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Objects;

/**
 * One guarded call: the client's key, the caller's scope and an optional request fingerprint.
 * Its {@code toString} shows them as digests, as {@link RecordId#toString()} does: a scope or a key
 * may carry a secret.
 *
 * @param key the client's key, parsed once by the contract's syntax
 * @param scope the caller scope (authenticated principal or tenant); empty for one anonymous scope
 * @param fingerprint a digest of the request, compared on repeats; empty for none
 */
public record IdempotentCall(IdempotencyKey key, String scope, String fingerprint) {
  public IdempotentCall {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(scope, "scope");
    Objects.requireNonNull(fingerprint, "fingerprint");
  }

  /** A call with this key, the anonymous scope and no fingerprint. */
  public static IdempotentCall of(IdempotencyKey key) {
    return new IdempotentCall(key, "", "");
  }

  /**
   * A call with this key, the anonymous scope and no fingerprint.
   *
   * @throws InvalidIdempotencyKeyException if {@code key} breaks the contract's syntax
   */
  public static IdempotentCall of(String key) {
    return of(IdempotencyKey.of(Objects.requireNonNull(key, "key")));
  }

  public IdempotentCall withScope(String scope) {
    return new IdempotentCall(key, scope, fingerprint);
  }

  public IdempotentCall withFingerprint(String fingerprint) {
    return new IdempotentCall(key, scope, fingerprint);
  }

  /** The three parts as digests (see {@link RecordId#toString()}); never a part verbatim. */
  @Override
  public String toString() {
    return "IdempotentCall[key=" + digest(key.value()) + ", scope=" + digest(scope)
        + ", fingerprint=" + digest(fingerprint) + "]";
  }

  // The form of RecordId's digests, so that a call and its record read alike in a log.
  private static String digest(String part) {
    if (part.isEmpty()) return "\"\"";
    MessageDigest sha256;
    try {
      sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every Java platform", e);
    }
    byte[] hash = sha256.digest(part.getBytes(StandardCharsets.UTF_8));
    return "sha256:" + Base64.getUrlEncoder().withoutPadding().encodeToString(hash).substring(0, 8);
  }
}
