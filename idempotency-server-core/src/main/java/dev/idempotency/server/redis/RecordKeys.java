package dev.idempotency.server.redis;

import dev.idempotency.server.store.RecordId;
import java.nio.ByteBuffer;
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
    byte[] tag = digest(id);
    byte[] key = new byte[prefix.length + tag.length + 2];
    System.arraycopy(prefix, 0, key, 0, prefix.length);
    key[prefix.length] = '{';
    System.arraycopy(tag, 0, key, prefix.length + 1, tag.length);
    key[key.length - 1] = '}';
    return key;
  }

  // One SHA-256 per thread: MessageDigest.getInstance walks the security providers on every call,
  // which profiles of 16 threads over Redis showed as 14% of a replay's client CPU. digest()
  // resets the instance, so it is ready for the next record.
  private static final ThreadLocal<MessageDigest> SHA_256 =
      ThreadLocal.withInitial(
          () -> {
            try {
              return MessageDigest.getInstance(DIGEST);
            } catch (NoSuchAlgorithmException e) {
              throw new IllegalStateException("SHA-256 is required of every Java platform", e);
            }
          });

  /** The hash tag of {@code id}: what Redis Cluster hashes to choose its slot. */
  static byte[] digest(RecordId id) {
    MessageDigest sha256 = SHA_256.get();
    sha256.reset(); // in case an earlier call failed half-way
    update(sha256, id.namespace());
    update(sha256, id.scope());
    update(sha256, id.key());
    return Base64.getUrlEncoder().withoutPadding().encode(sha256.digest());
  }

  // The length keeps ("ab", "c") and ("a", "bc") apart. The chars go in as raw UTF-16 code units,
  // one-to-one even for strings a charset encoder would alter (lone surrogates).
  private static void update(MessageDigest digest, String part) {
    ByteBuffer buffer = ByteBuffer.allocate(Integer.BYTES + Character.BYTES * part.length());
    buffer.putInt(part.length());
    for (int i = 0; i < part.length(); i++) buffer.putChar(part.charAt(i));
    digest.update(buffer.array());
  }
}
