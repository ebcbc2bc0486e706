package dev.idempotency.server.http;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HttpViewsTest {

  @Test
  void headerLookupIgnoresCase() {
    HttpRequestView r = request(Map.of("idempotency-KEY", List.of("k")));
    assertThat(r.headerValues("Idempotency-Key")).containsExactly("k");
    assertThat(r.headerValues("IDEMPOTENCY-KEY")).containsExactly("k");
    assertThat(r.headerValues("Content-Type")).isEmpty();
  }

  @Test
  void entriesThatDifferOnlyInCaseAreOneHeader() {
    Map<String, List<String>> headers = new LinkedHashMap<>();
    headers.put("Idempotency-Key", List.of("a"));
    headers.put("idempotency-key", List.of("b", "c"));
    assertThat(request(headers).headerValues("Idempotency-Key")).containsExactly("a", "b", "c");
  }

  @Test
  void headersAreCopiedAndUnmodifiable() {
    List<String> values = new ArrayList<>(List.of("1"));
    Map<String, List<String>> headers = new HashMap<>();
    headers.put("X-A", values);
    HttpRequestView r = request(headers);
    values.add("2");
    headers.put("X-B", List.of("3"));
    assertThat(r.headers()).containsOnlyKeys("X-A");
    assertThat(r.headerValues("x-a")).containsExactly("1");
    assertThatThrownBy(() -> r.headers().put("X-C", List.of())).isInstanceOf(
        UnsupportedOperationException.class);
  }

  @Test
  void equalityComparesBodiesByContent() {
    HttpResponseView a = new HttpResponseView(200, Map.of(), "x".getBytes(UTF_8));
    HttpResponseView b = new HttpResponseView(200, Map.of(), "x".getBytes(UTF_8));
    assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
    assertThat(a).isNotEqualTo(new HttpResponseView(200, Map.of(), "y".getBytes(UTF_8)));
    assertThat(request(Map.of())).isEqualTo(request(Map.of()));
  }

  @Test
  void nullsAreNamed() {
    byte[] none = new byte[0];
    assertThatThrownBy(() -> new HttpRequestView(null, "/", Map.of(), none, ""))
        .hasMessage("method");
    assertThatThrownBy(() -> new HttpRequestView("POST", null, Map.of(), none, ""))
        .hasMessage("pathWithQuery");
    assertThatThrownBy(() -> new HttpRequestView("POST", "/", null, none, ""))
        .hasMessage("headers");
    assertThatThrownBy(() -> new HttpRequestView("POST", "/", Map.of(), null, ""))
        .hasMessage("body");
    assertThatThrownBy(() -> new HttpRequestView("POST", "/", Map.of(), none, null))
        .hasMessage("scope");
    Map<String, List<String>> nullValue = new HashMap<>();
    nullValue.put("X-A", Arrays.asList("1", null));
    assertThatThrownBy(() -> new HttpRequestView("POST", "/", nullValue, none, ""))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("X-A");
    assertThatThrownBy(() -> new HttpResponseView(200, Map.of(), null)).hasMessage("body");
  }

  @Test
  void statusMustBeAnHttpStatus() {
    assertThatThrownBy(() -> new HttpResponseView(99, Map.of(), new byte[0]))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new HttpResponseView(600, Map.of(), new byte[0]))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static HttpRequestView request(Map<String, List<String>> headers) {
    return new HttpRequestView("POST", "/orders", headers, "{}".getBytes(UTF_8), "alice");
  }
}
