package dev.idempotency.server.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.server.store.RecordId;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The record digest is the Redis store's (README, "Key layout"), written out plainly here; the
 * README's example pins both to the same bytes.
 */
class RecordDigestTest {

  @Test
  void theReadmeExampleIsTheRedisKeysDigest() {
    byte[] digest = RecordDigest.of(new RecordId("payments", "alice", "order-42"));
    assertThat(digest).hasSize(RecordDigest.LENGTH);
    // README: namespace payments, scope alice, key order-42 give idem:{585dc1by...}.
    assertThat(Base64.getUrlEncoder().withoutPadding().encodeToString(digest))
        .isEqualTo("585dc1byyT7nWMQVNownnlQnU39AFYM0HMLAQRFR8S8");
  }

  @Test
  void theDigestIsTheDocumentedOne() throws Exception {
    List<RecordId> ids = List.of(
        new RecordId("payments", "alice", "order-42"),
        new RecordId("payments", "", "k"),
        new RecordId("ab", "c", "k"),
        new RecordId("a", "bc", "k"),
        new RecordId("n", "\uD800 lone surrogate \uDFFF", "k"),
        new RecordId("payments", "s".repeat(1000), "x".repeat(300)));
    for (RecordId id : ids) {
      assertThat(RecordDigest.of(id)).as("%s", id).isEqualTo(documented(id));
    }
    assertThat(RecordDigest.of(new RecordId("ab", "c", "k"))).isNotEqualTo(RecordDigest.of(new RecordId("a", "bc", "k")));
  }

  @Test
  void aStringsDigestIsTheSha256OfItsUtf16CodeUnits() throws Exception {
    for (String s : List.of("", "fp", "\u0000", "\uD800", "é", "a".repeat(500))) {
      ByteBuffer units = ByteBuffer.allocate(2 * s.length());
      for (int i = 0; i < s.length(); i++) units.putChar(s.charAt(i));
      assertThat(RecordDigest.of(s)).as(s).isEqualTo(MessageDigest.getInstance("SHA-256").digest(units.array()));
    }
    // Strings a charset would map to the same bytes stay apart.
    assertThat(RecordDigest.of("\uD800")).isNotEqualTo(RecordDigest.of("\uDBFF")).isNotEqualTo(RecordDigest.of("?"));
  }

  private static byte[] documented(RecordId id) throws Exception {
    MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
    for (String part : List.of(id.namespace(), id.scope(), id.key())) {
      ByteBuffer buffer = ByteBuffer.allocate(4 + 2 * part.length());
      buffer.putInt(part.length());
      for (int i = 0; i < part.length(); i++) buffer.putChar(part.charAt(i));
      sha256.update(buffer.array());
    }
    return sha256.digest();
  }
}
