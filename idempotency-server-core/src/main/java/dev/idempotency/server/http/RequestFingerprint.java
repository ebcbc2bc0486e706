package dev.idempotency.server.http;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The contract's request fingerprint: SHA-256 over the method, the path with query and the body
 * bytes, as 64 lowercase hex digits.
 *
 * <p>Each field is hashed after its length (4 bytes, big-endian), so that moving bytes from one
 * field to the next changes the digest: {@code ("POST", "/a", "bc")} and {@code ("POST", "/ab",
 * "c")} differ.
 *
 * <p>This class is threadsafe.
 */
final class RequestFingerprint {
  // One instance per thread: MessageDigest.getInstance walks the security providers on every
  // call. digest() resets the instance for the next request.
  private static final ThreadLocal<MessageDigest> SHA_256 =
      ThreadLocal.withInitial(RequestFingerprint::newSha256);

  private RequestFingerprint() {}

  static String of(HttpRequestView request) {
    MessageDigest sha256 = SHA_256.get();
    sha256.reset(); // in case an earlier call failed half-way
    field(sha256, request.method().getBytes(StandardCharsets.UTF_8));
    field(sha256, request.pathWithQuery().getBytes(StandardCharsets.UTF_8));
    field(sha256, request.body());
    return HexFormat.of().formatHex(sha256.digest());
  }

  private static void field(MessageDigest digest, byte[] bytes) {
    digest.update(ByteBuffer.allocate(4).putInt(bytes.length).array());
    digest.update(bytes);
  }

  private static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      // Every Java platform must provide SHA-256 (java.security.MessageDigest's Javadoc).
      throw new AssertionError(e);
    }
  }
}
