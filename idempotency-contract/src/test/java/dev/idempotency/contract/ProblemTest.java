package dev.idempotency.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ProblemTest {

  @Test
  void jsonCarriesTheFourFields() {
    Problem p = Problem.of(ProblemType.KEY_REUSED, "use a new key");
    Map<String, Object> json = FlatJson.parse(p.toJson());
    assertThat(json)
        .containsExactly(
            Map.entry("type", "https://idempotency.dev/problems/idempotency-key-reused"),
            Map.entry("title", ProblemType.KEY_REUSED.title()),
            Map.entry("status", 422L),
            Map.entry("detail", "use a new key"));
    assertThat(p.type()).isSameAs(ProblemType.KEY_REUSED);
    assertThat(p.status()).isEqualTo(422);
    assertThat(p.title()).isEqualTo(ProblemType.KEY_REUSED.title());
    assertThat(p.detail()).isEqualTo("use a new key");
  }

  @Test
  void statusMayDifferFromTheTypesDefault() {
    Problem p = Problem.of(ProblemType.REQUEST_IN_PROGRESS, 425, "wait");
    assertThat(p.status()).isEqualTo(425);
    assertThat(FlatJson.parse(p.toJson())).containsEntry("status", 425L);
  }

  @ParameterizedTest
  @ValueSource(ints = {200, 399, 600})
  void statusMustBeAnError(int status) {
    assertThatThrownBy(() -> Problem.of(ProblemType.KEY_INVALID, status, "x"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "quote \" inside",
        "backslash \\ inside",
        "a \\\" pair",
        "new\nline, return\r, tab\t",
        "controls \u0000 \u0001 \u001F \b \f",
        "non-ASCII: clé, ключ, \uD83D\uDD11",
        "</script><script>alert(1)</script>",
        "{\"nested\":\"json\"}",
        ""
      })
  void detailSurvivesEscaping(String detail) {
    String json = Problem.of(ProblemType.KEY_INVALID, detail).toJson();
    assertThat(json.chars()).noneMatch(c -> c < 0x20);
    assertThat(FlatJson.parse(json)).containsEntry("detail", detail);
  }

  @Test
  void bytesAreUtf8() {
    Problem p = Problem.of(ProblemType.KEY_INVALID, "clé \uD83D\uDD11");
    assertThat(new String(p.toJsonBytes(), StandardCharsets.UTF_8)).isEqualTo(p.toJson());
  }

  @Test
  void nullArgumentsAreNamed() {
    assertThatThrownBy(() -> Problem.of(null, "d")).hasMessage("type");
    assertThatThrownBy(() -> Problem.of(ProblemType.KEY_INVALID, null)).hasMessage("detail");
    assertThatThrownBy(() -> Problem.of(null, 400, "d")).hasMessage("type");
    assertThatThrownBy(() -> Problem.of(ProblemType.KEY_INVALID, 400, null)).hasMessage("detail");
  }

  /**
   * A strict reader of one flat JSON object whose values are strings or integers: enough to prove
   * that the hand-written JSON parses back to what went in. Fails on anything else.
   */
  static final class FlatJson {
    private final String s;
    private int i;

    private FlatJson(String s) {
      this.s = s;
    }

    static Map<String, Object> parse(String json) {
      FlatJson p = new FlatJson(json);
      Map<String, Object> out = p.object();
      if (p.i != json.length()) throw new IllegalArgumentException("trailing text at " + p.i);
      return out;
    }

    private Map<String, Object> object() {
      Map<String, Object> out = new LinkedHashMap<>();
      expect('{');
      if (peek() == '}') {
        i++;
        return out;
      }
      while (true) {
        String name = string();
        expect(':');
        Object value = peek() == '"' ? string() : number();
        if (out.put(name, value) != null) throw new IllegalArgumentException("repeated " + name);
        char c = next();
        if (c == '}') return out;
        if (c != ',') throw new IllegalArgumentException("expected , or } at " + (i - 1));
      }
    }

    private String string() {
      expect('"');
      StringBuilder b = new StringBuilder();
      while (true) {
        char c = next();
        if (c == '"') return b.toString();
        if (c < 0x20) throw new IllegalArgumentException("raw control character at " + (i - 1));
        if (c != '\\') {
          b.append(c);
          continue;
        }
        char e = next();
        switch (e) {
          case '"', '\\', '/' -> b.append(e);
          case 'b' -> b.append('\b');
          case 'f' -> b.append('\f');
          case 'n' -> b.append('\n');
          case 'r' -> b.append('\r');
          case 't' -> b.append('\t');
          case 'u' -> {
            b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
            i += 4;
          }
          default -> throw new IllegalArgumentException("bad escape \\" + e);
        }
      }
    }

    private Long number() {
      int start = i;
      if (peek() == '-') i++;
      while (i < s.length() && Character.isDigit(s.charAt(i))) i++;
      return Long.parseLong(s.substring(start, i));
    }

    private void expect(char c) {
      if (next() != c) throw new IllegalArgumentException("expected " + c + " at " + (i - 1));
    }

    private char peek() {
      return s.charAt(i);
    }

    private char next() {
      return s.charAt(i++);
    }
  }
}
