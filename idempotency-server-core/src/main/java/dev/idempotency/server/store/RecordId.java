package dev.idempotency.server.store;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Objects;

/**
 * The identity of one idempotency record: the namespace of the service, the caller's scope (the
 * authenticated principal or tenant) and the client's key. The same key from two scopes or two
 * namespaces names two different records.
 *
 * <p>A store may lay the three parts out however it likes (the Redis store hashes them), but it
 * must keep distinct identities distinct whatever characters the parts hold.
 *
 * <p>The scope and the key may carry secrets (a scope taken from a credential, a key that is a
 * bearer of the action), so {@link #toString()}, which exceptions, logs and listener events show,
 * prints them only as short digests.
 *
 * @param namespace the service's namespace, never empty
 * @param scope the caller scope; the empty string for one anonymous scope
 * @param key the client's key, already validated
 */
public record RecordId(String namespace, String scope, String key) {
  public RecordId {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(scope, "scope");
    Objects.requireNonNull(key, "key");
    if (namespace.isEmpty()) throw new IllegalArgumentException("namespace is empty");
    if (key.isEmpty()) throw new IllegalArgumentException("key is empty");
  }

  // Written out rather than generated: a store hashes and compares an id on every operation, and
  // the strings cache their own hashes.
  @Override
  public int hashCode() {
    return 31 * (31 * namespace.hashCode() + scope.hashCode()) + key.hashCode();
  }

  /**
   * The namespace as it is, and the scope and the key as digests, for logs and messages: scope
   * {@code alice} and key {@code order-42} of namespace {@code payments} print as
   * {@code RecordId[namespace=payments, scope=sha256:K9gGyX8O, key=sha256:O_ixV8Qj]}. A digest is
   * {@code sha256:} and the first 8 characters of the unpadded base64url SHA-256 of the part's
   * UTF-8 bytes: the same part always reads the same, so the lines about one record can be found
   * together, and 48 bits of a digest give nothing of a secret away (a guessable part, such as a
   * user name, can still be guessed). The empty (anonymous) scope prints as {@code scope=""}.
   */
  @Override
  public String toString() {
    return "RecordId[namespace=" + namespace
        + ", scope=" + (scope.isEmpty() ? "\"\"" : digest(scope))
        + ", key=" + digest(key) + "]";
  }

  // 8 base64url characters, 48 bits: enough to tell apart the records a log shows together.
  private static final int DIGEST_CHARS = 8;

  /** {@code sha256:} and the first {@link #DIGEST_CHARS} characters of the digest of {@code part}. */
  static String digest(String part) {
    MessageDigest sha256;
    try {
      sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every Java platform", e);
    }
    byte[] hash = sha256.digest(part.getBytes(StandardCharsets.UTF_8));
    return "sha256:" + Base64.getUrlEncoder().withoutPadding().encodeToString(hash).substring(0, DIGEST_CHARS);
  }

  @Override
  public boolean equals(Object o) {
    return o == this
        || (o instanceof RecordId other
            && key.equals(other.key)
            && scope.equals(other.scope)
            && namespace.equals(other.namespace));
  }
}
