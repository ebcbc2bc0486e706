package dev.idempotency.server.http;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RequestFingerprintTest {

  @Test
  void isSha256AsLowercaseHex() {
    assertThat(RequestFingerprint.of(request("POST", "/orders", "{}"))).matches("[0-9a-f]{64}");
  }

  @Test
  void theFormatIsPinned() {
    // Records outlive deployments (24 h retention): a changed fingerprint format would answer
    // 422 to a client retrying across a deployment. Change this value only on purpose. It is
    // sha256(be32(len) method, be32(len) path, be32(len) body), computed independently.
    assertThat(RequestFingerprint.of(request("POST", "/orders?x=1", "{\"qty\":1}")))
        .isEqualTo("78fba3672f8ec18678af0c965d4e52d4f6a79c037718a4276f8ee3c04686eede");
  }

  @Test
  void movingBytesAcrossFieldsChangesIt() {
    assertThat(RequestFingerprint.of(request("POST", "/a", "bc")))
        .isNotEqualTo(RequestFingerprint.of(request("POST", "/ab", "c")));
    assertThat(RequestFingerprint.of(request("POST", "/a", "")))
        .isNotEqualTo(RequestFingerprint.of(request("POS", "T/a", "")));
  }

  @Test
  void eachFieldCounts() {
    String base = RequestFingerprint.of(request("POST", "/orders?x=1", "{}"));
    assertThat(RequestFingerprint.of(request("PATCH", "/orders?x=1", "{}"))).isNotEqualTo(base);
    assertThat(RequestFingerprint.of(request("POST", "/orders?x=2", "{}"))).isNotEqualTo(base);
    assertThat(RequestFingerprint.of(request("POST", "/orders?x=1", "{ }"))).isNotEqualTo(base);
    assertThat(RequestFingerprint.of(request("POST", "/orders?x=1", "{}"))).isEqualTo(base);
  }

  @Test
  void headersAndScopeAreNotPartOfIt() {
    HttpRequestView a =
        new HttpRequestView("POST", "/o", Map.of("X-A", List.of("1")), "b".getBytes(UTF_8), "alice");
    HttpRequestView b = new HttpRequestView("POST", "/o", Map.of(), "b".getBytes(UTF_8), "bob");
    assertThat(RequestFingerprint.of(a)).isEqualTo(RequestFingerprint.of(b));
  }

  private static HttpRequestView request(String method, String path, String body) {
    return new HttpRequestView(method, path, Map.of(), body.getBytes(UTF_8), "");
  }
}
