package dev.idempotency.server.http;

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
  // One digest per thread: MessageDigest.getInstance walks the security providers on every
  // call. digest() resets it for the next request.
  private static final ThreadLocal<Sha256> SHA_256 = ThreadLocal.withInitial(Sha256::new);
  private static final HexFormat HEX = HexFormat.of();

  private RequestFingerprint() {}

  static String of(HttpRequestView request) {
    Sha256 sha256 = SHA_256.get();
    try {
      sha256.field(request.method().getBytes(StandardCharsets.UTF_8));
      sha256.field(request.pathWithQuery().getBytes(StandardCharsets.UTF_8));
      sha256.field(request.body());
      return HEX.formatHex(sha256.digest.digest());
    } catch (RuntimeException | Error e) {
      // Failed half-way: the next request must not start from these bytes.
      sha256.digest.reset();
      throw e;
    }
  }

  /** A thread's digest, with room for a length prefix. Not threadsafe. */
  private static final class Sha256 {
    final MessageDigest digest;
    private final byte[] length = new byte[4];

    Sha256() {
      try {
        digest = MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        // Every Java platform must provide SHA-256 (java.security.MessageDigest's Javadoc).
        throw new AssertionError(e);
      }
    }

    void field(byte[] bytes) {
      int n = bytes.length;
      length[0] = (byte) (n >>> 24);
      length[1] = (byte) (n >>> 16);
      length[2] = (byte) (n >>> 8);
      length[3] = (byte) n;
      digest.update(length);
      digest.update(bytes);
    }
  }
}
