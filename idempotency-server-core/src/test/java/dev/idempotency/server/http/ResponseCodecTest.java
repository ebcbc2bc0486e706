package dev.idempotency.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ResponseCodecTest {
  private final ResponseCodec codec = ResponseCodec.INSTANCE;

  @Test
  void roundTripKeepsStatusHeadersAndEveryByteOfTheBody() {
    byte[] body = new byte[512];
    for (int i = 0; i < body.length; i++) body[i] = (byte) i;
    Map<String, List<String>> headers = new LinkedHashMap<>();
    headers.put("Content-Type", List.of("application/octet-stream"));
    headers.put("Link", List.of("</a>; rel=next", "</b>; rel=prev"));
    headers.put("X-Name", List.of("Zoë, 東京", ""));
    HttpResponseView response = new HttpResponseView(201, headers, body);

    HttpResponseView decoded = codec.decode(codec.encode(response));

    assertThat(decoded).isEqualTo(response);
    assertThat(decoded.body()).containsExactly(body);
    assertThat(decoded.headers().keySet()).containsExactly("Content-Type", "Link", "X-Name");
  }

  @Test
  void theFormatIsPinned() {
    // Stored answers outlive deployments: an encoder that changes must still write this layout
    // (see the class Javadoc), built here field by field.
    Map<String, List<String>> headers = new LinkedHashMap<>();
    headers.put("Content-Type", List.of("application/json"));
    headers.put("X-Name", List.of("Zoë", ""));
    byte[] body = {1, 2, 3};
    byte[] zoe = "Zoë".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    ByteBuffer expected = ByteBuffer.allocate(1 + 2 + 4 + (8 + 12 + 16) + (8 + 6 + zoe.length) + (8 + 6) + 4 + 3);
    expected.put((byte) 1).putShort((short) 201).putInt(3);
    expected.putInt(12).put("Content-Type".getBytes()).putInt(16).put("application/json".getBytes());
    expected.putInt(6).put("X-Name".getBytes()).putInt(zoe.length).put(zoe);
    expected.putInt(6).put("X-Name".getBytes()).putInt(0);
    expected.putInt(3).put(body);

    assertThat(codec.encode(new HttpResponseView(201, headers, body))).containsExactly(expected.array());
  }

  @Test
  void emptyAnswerRoundTrips() {
    HttpResponseView response = new HttpResponseView(204, Map.of(), new byte[0]);
    byte[] encoded = codec.encode(response);
    assertThat(codec.decode(encoded)).isEqualTo(response);
    // version, status, header count, body length: the format has no padding.
    assertThat(encoded).hasSize(1 + 2 + 4 + 4);
  }

  @Test
  void everyStatusRoundTrips() {
    for (int status : new int[] {100, 200, 399, 422, 599}) {
      HttpResponseView r = new HttpResponseView(status, Map.of(), new byte[] {1});
      assertThat(codec.decode(codec.encode(r)).status()).isEqualTo(status);
    }
  }

  @Test
  void truncatedBytesAreRejected() {
    byte[] encoded =
        codec.encode(
            new HttpResponseView(200, Map.of("Content-Type", List.of("text/plain")), new byte[10]));
    for (int length = 0; length < encoded.length; length++) {
      byte[] cut = Arrays.copyOf(encoded, length);
      assertThatThrownBy(() -> codec.decode(cut))
          .as("cut to %d bytes", length)
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void trailingBytesAreRejected() {
    byte[] encoded = codec.encode(new HttpResponseView(200, Map.of(), new byte[] {7}));
    byte[] longer = Arrays.copyOf(encoded, encoded.length + 1);
    assertThatThrownBy(() -> codec.decode(longer))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("after the body");
  }

  @Test
  void unknownVersionIsRejected() {
    byte[] encoded = codec.encode(new HttpResponseView(200, Map.of(), new byte[0]));
    encoded[0] = 2;
    assertThatThrownBy(() -> codec.decode(encoded))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("format 2");
  }

  @Test
  void impossibleCountsAreRejectedWithoutAllocating() {
    byte[] negativePairs = ByteBuffer.allocate(11).put((byte) 1).putShort((short) 200).putInt(-1)
        .putInt(0).array();
    assertThatThrownBy(() -> codec.decode(negativePairs))
        .isInstanceOf(IllegalArgumentException.class);
    byte[] hugeBody = ByteBuffer.allocate(11).put((byte) 1).putShort((short) 200).putInt(0)
        .putInt(Integer.MAX_VALUE).array();
    assertThatThrownBy(() -> codec.decode(hugeBody)).isInstanceOf(IllegalArgumentException.class);
  }
}
