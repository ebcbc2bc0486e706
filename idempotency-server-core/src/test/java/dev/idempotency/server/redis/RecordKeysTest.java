package dev.idempotency.server.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.server.store.RecordId;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The record key digest against the README's definition, written out plainly here. */
class RecordKeysTest {

  @Test
  void theDigestIsTheDocumentedOne() throws Exception {
    List<RecordId> ids = List.of(
        new RecordId("payments", "alice", "order-42"),
        new RecordId("payments", "", "k"),
        new RecordId("ab", "c", "k"),
        new RecordId("a", "bc", "k"),
        new RecordId("n", "\uD800 lone surrogate \uDFFF", "k"),
        // longer than the hasher's buffer, so it is fed to the digest in several pieces
        new RecordId("payments", "s".repeat(1000), "x".repeat(300)));
    for (RecordId id : ids) {
      assertThat(new String(RecordKeys.digest(id), StandardCharsets.US_ASCII))
          .as("%s", id)
          .isEqualTo(documented(id));
    }
  }

  @Test
  void aRepeatedIdentityGivesTheSameKeyAndEqualIdentitiesToo() {
    RecordKeys keys = new RecordKeys("idem:");
    RecordId id = new RecordId("payments", "alice", "order-42");
    byte[] first = keys.key(id);
    first[6] = 'X'; // a caller's copy: changing it changes nothing for the next call
    assertThat(keys.key(id)).isEqualTo(keys.key(new RecordId("payments", "alice", "order-42")));
    assertThat(new String(keys.key(id), StandardCharsets.US_ASCII))
        .isEqualTo("idem:{585dc1byyT7nWMQVNownnlQnU39AFYM0HMLAQRFR8S8}");
    byte[] digest = RecordKeys.digest(id);
    digest[0] = 'X';
    assertThat(RecordKeys.digest(id)[0]).isEqualTo((byte) '5');
    assertThat(keys.key(new RecordId("payments", "alice", "order-43"))).isNotEqualTo(keys.key(id));
  }

  private static String documented(RecordId id) throws Exception {
    MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
    for (String part : List.of(id.namespace(), id.scope(), id.key())) {
      ByteBuffer buffer = ByteBuffer.allocate(4 + 2 * part.length());
      buffer.putInt(part.length());
      for (int i = 0; i < part.length(); i++) buffer.putChar(part.charAt(i));
      sha256.update(buffer.array());
    }
    return Base64.getUrlEncoder().withoutPadding().encodeToString(sha256.digest());
  }
}
