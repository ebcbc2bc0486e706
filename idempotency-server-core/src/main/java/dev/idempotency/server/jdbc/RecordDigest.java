package dev.idempotency.server.jdbc;

import dev.idempotency.server.store.RecordId;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The SHA-256 digests this store keeps instead of what it was given: a record's identity (the
 * primary key), a fingerprint and an owner token. Equal inputs give equal digests and distinct
 * inputs distinct ones (SHA-256 collisions are out of reach), so the store compares digests where
 * it would compare strings, and no character of a key, scope, fingerprint or token reaches the
 * table. This class is threadsafe.
 */
final class RecordDigest {
  /** The length of every digest, in bytes: 32, a fixed-width key whatever the client sent. */
  static final int LENGTH = 32;

  // One per thread: MessageDigest.getInstance walks the security providers on every call.
  private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every Java platform", e);
    }
  });

  private RecordDigest() {}

  /**
   * The record's identity, as the Redis store's key digest (README, "Key layout") before its
   * base64url encoding: for each of namespace, scope and key, its length in UTF-16 code units as a
   * 4-byte big-endian integer, then its code units, big-endian. The lengths keep ("ab", "c") and
   * ("a", "bc") apart; raw code units keep even lone surrogates one-to-one.
   */
  static byte[] of(RecordId id) {
    MessageDigest sha256 = reset();
    put(sha256, id.namespace());
    put(sha256, id.scope());
    put(sha256, id.key());
    return sha256.digest();
  }

  /** A fingerprint or a token: its UTF-16 code units, big-endian, with no length (one part). */
  static byte[] of(String s) {
    MessageDigest sha256 = reset();
    putChars(sha256, s);
    return sha256.digest();
  }

  private static MessageDigest reset() {
    MessageDigest sha256 = SHA256.get();
    sha256.reset(); // in case an earlier call failed half-way
    return sha256;
  }

  private static void put(MessageDigest sha256, String part) {
    int n = part.length();
    sha256.update(new byte[] {(byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n});
    putChars(sha256, part);
  }

  private static void putChars(MessageDigest sha256, String s) {
    byte[] units = new byte[2 * s.length()];
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      units[2 * i] = (byte) (c >>> 8);
      units[2 * i + 1] = (byte) c;
    }
    sha256.update(units);
  }
}
