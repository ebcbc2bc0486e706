package dev.idempotency.server.redis;

import dev.idempotency.server.store.RecordId;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * Maps a {@link RecordId} to its one Redis key: {@code <prefix>{<digest>}}, where digest is the
 * unpadded base64url SHA-256 of the length-prefixed namespace, scope and key. The digest
 * is the hash tag, so one record is one slot and records spread over all 16384 slots; the key
 * is 45 bytes plus the prefix whatever the client sent, and no client character reaches it.
 * This class is threadsafe.
 */
final class RecordKeys {
  // 256 bits: collisions between distinct identities are out of reach; base64url keeps it 43 bytes.
  private static final String DIGEST = "SHA-256";

  private final byte[] prefix;

  RecordKeys(String prefix) {
    this.prefix = prefix.getBytes(StandardCharsets.UTF_8);
  }

  byte[] key(RecordId id) {
    byte[] tag = tag(id);
    byte[] key = new byte[prefix.length + tag.length + 2];
    System.arraycopy(prefix, 0, key, 0, prefix.length);
    key[prefix.length] = '{';
    System.arraycopy(tag, 0, key, prefix.length + 1, tag.length);
    key[key.length - 1] = '}';
    return key;
  }

  /** The hash tag of {@code id}: what Redis Cluster hashes to choose its slot. A fresh array. */
  static byte[] digest(RecordId id) {
    return tag(id).clone();
  }

  // The tag of the thread's last record, shared: callers copy it and never hand it out.
  private static byte[] tag(RecordId id) {
    Hasher hasher = HASHER.get();
    // The guard passes one RecordId instance to the claim and the completion of a call, on the
    // caller's thread: the second finds it here and skips a SHA-256 and a base64 encoding.
    // RecordId is immutable, so the same instance always has the same tag.
    if (hasher.lastId != id) {
      hasher.lastTag = hasher.hash(id);
      hasher.lastId = id;
    }
    return hasher.lastTag;
  }

  // One per thread: MessageDigest.getInstance walks the security providers on every call, which
  // profiles of 16 threads over Redis showed as 14% of a replay's client CPU.
  private static final ThreadLocal<Hasher> HASHER = ThreadLocal.withInitial(Hasher::new);

  private static final class Hasher {
    private final MessageDigest sha256;
    private final byte[] buffer = new byte[256]; // fed to the digest whenever full
    private int filled;
    private RecordId lastId;
    private byte[] lastTag;

    Hasher() {
      try {
        sha256 = MessageDigest.getInstance(DIGEST);
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("SHA-256 is required of every Java platform", e);
      }
    }

    byte[] hash(RecordId id) {
      sha256.reset(); // in case an earlier call failed half-way
      filled = 0;
      put(id.namespace());
      put(id.scope());
      put(id.key());
      sha256.update(buffer, 0, filled);
      return Base64.getUrlEncoder().withoutPadding().encode(sha256.digest());
    }

    // The length keeps ("ab", "c") and ("a", "bc") apart. The chars go in as raw UTF-16 code
    // units, big-endian, one-to-one even for strings a charset encoder would alter (lone
    // surrogates).
    private void put(String part) {
      int n = part.length();
      putByte(n >>> 24);
      putByte(n >>> 16);
      putByte(n >>> 8);
      putByte(n);
      for (int i = 0; i < n; i++) {
        char c = part.charAt(i);
        putByte(c >>> 8);
        putByte(c);
      }
    }

    private void putByte(int b) {
      if (filled == buffer.length) {
        sha256.update(buffer, 0, filled);
        filled = 0;
      }
      buffer[filled++] = (byte) b;
    }
  }
}
