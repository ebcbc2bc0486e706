package dev.idempotency.server.store;

import java.util.Objects;

/**
 * The identity of one idempotency record: the namespace of the service, the caller's scope (the
 * authenticated principal or tenant) and the client's key. The same key from two scopes or two
 * namespaces names two different records.
 *
 * <p>A store may lay the three parts out however it likes (the Redis store hashes them), but it
 * must keep distinct identities distinct whatever characters the parts hold.
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

  @Override
  public boolean equals(Object o) {
    return o == this
        || (o instanceof RecordId other
            && key.equals(other.key)
            && scope.equals(other.scope)
            && namespace.equals(other.namespace));
  }
}
