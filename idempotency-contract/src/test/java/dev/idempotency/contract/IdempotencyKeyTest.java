package dev.idempotency.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IdempotencyKeyTest {
  private static final String UUID = "5f0c6f2e-3b1a-4c8e-9d2f-7a6b5c4d3e2f";

  @Test
  void bareFormIsTheKeyItself() {
    IdempotencyKey key = IdempotencyKey.parseHeader(UUID);
    assertThat(key.value()).isEqualTo(UUID);
    assertThat(key.toHeaderValue()).isEqualTo(UUID);
  }

  @Test
  void surroundingSpacesAndTabsAreIgnored() {
    assertThat(IdempotencyKey.parseHeader(" \t" + UUID + "\t ").value()).isEqualTo(UUID);
    assertThat(IdempotencyKey.parseHeader(" \"" + UUID + "\"\t").value()).isEqualTo(UUID);
  }

  @Test
  void sfStringFormIsUnquoted() {
    assertThat(IdempotencyKey.parseHeader("\"" + UUID + "\"").value()).isEqualTo(UUID);
  }

  @Test
  void sfStringEscapesAreDecoded() {
    // "a\"b\\c" on the wire is the key a"b\c.
    assertThat(IdempotencyKey.parseHeader("\"a\\\"b\\\\c\"").value()).isEqualTo("a\"b\\c");
  }

  @Test
  void sfStringWithAnotherEscapeIsInvalid() {
    assertInvalid("\"a\\nb\"");
    assertInvalid("\"a\\'b\"");
  }

  @Test
  void emptyIsInvalidInBothForms() {
    assertInvalid("");
    assertInvalid("   ");
    assertInvalid("\"\"");
  }

  @Test
  void twoHundredFiftyFiveCharactersAreTheLimit() {
    String max = "k".repeat(IdempotencyKey.MAX_LENGTH);
    assertThat(IdempotencyKey.MAX_LENGTH).isEqualTo(255);
    assertThat(IdempotencyKey.parseHeader(max).value()).isEqualTo(max);
    assertThat(IdempotencyKey.parseHeader("\"" + max + "\"").value()).isEqualTo(max);

    String tooLong = max + "k";
    assertThatThrownBy(() -> IdempotencyKey.parseHeader(tooLong))
        .isInstanceOf(InvalidIdempotencyKeyException.class)
        .hasMessageContaining("256")
        .hasMessageContaining("255");
    assertInvalid("\"" + tooLong + "\"");
  }

  @Test
  void lengthCountsTheUnquotedKey() {
    // 254 characters and one escape pair: 255 after unquoting.
    String value = "k".repeat(254) + "\\\\";
    assertThat(IdempotencyKey.parseHeader("\"" + value + "\"").value()).hasSize(255);
  }

  @Test
  void spaceIsNotVisibleAscii() {
    assertInvalid("a b");
    assertThat(IdempotencyKey.isValid("a b")).isFalse();
    // Inside an sf-string a space is legal syntax, but still not a key character.
    assertInvalid("\"a b\"");
  }

  @Test
  void exclamationMarkAndTildeAreTheVisibleAsciiBounds() {
    assertThat(IdempotencyKey.parseHeader("!").value()).isEqualTo("!");
    assertThat(IdempotencyKey.parseHeader("~").value()).isEqualTo("~");
    assertThat(IdempotencyKey.parseHeader("\"!~\"").value()).isEqualTo("!~");
    assertThat(IdempotencyKey.isValid("a!b~c")).isTrue();
  }

  @Test
  void deleteIsNotVisibleAscii() {
    assertInvalid("a\u007Fb");
    assertInvalid("\"a\u007Fb\"");
  }

  @Test
  void controlCharactersAreInvalid() {
    assertInvalid("a\u0000b");
    assertInvalid("a\u001Fb");
    assertInvalid("\"a\tb\"");
  }

  @ParameterizedTest
  @ValueSource(strings = {"clé", "ключ", "key\u00A0", "\uD83D\uDD11", "\"clé\""})
  void nonAsciiIsInvalid(String headerValue) {
    assertInvalid(headerValue);
  }

  @Test
  void unterminatedQuoteIsInvalid() {
    assertThatThrownBy(() -> IdempotencyKey.parseHeader("\"abc"))
        .isInstanceOf(InvalidIdempotencyKeyException.class)
        .hasMessageContaining("unterminated");
    assertInvalid("\"");
    // The closing quote is escaped, so the string never ends.
    assertInvalid("\"abc\\\"");
    assertInvalid("\"abc\\");
  }

  @Test
  void charactersAfterTheClosingQuoteThatAreNotParametersAreInvalid() {
    assertInvalid("\"abc\"x");
    assertInvalid("\"abc\" x");
    assertInvalid("\"abc\", \"def\"");
    assertInvalid("\"abc\"\"def\"");
    assertInvalid("\"abc\"=1");
  }

  // --- RFC 8941 section 3.1.2: an item may carry parameters; the key is the string -----------

  @Test
  void sfStringWithParameters_isTheString() {
    assertThat(IdempotencyKey.parseHeader("\"" + UUID + "\";v=1").value()).isEqualTo(UUID);
    assertThat(IdempotencyKey.parseHeader("\"abc\";v").value()).isEqualTo("abc");
    assertThat(IdempotencyKey.parseHeader("\"abc\";a=1;b;c=2").value()).isEqualTo("abc");
    assertThat(IdempotencyKey.parseHeader("\"abc\";  a=1; b=2").value())
        .as("spaces after the semicolon").isEqualTo("abc");
    assertThat(IdempotencyKey.parseHeader("\"abc\" ;a=1\t").value())
        .as("optional whitespace before it, read loosely").isEqualTo("abc");
    assertThat(IdempotencyKey.parseHeader("\"a\\\"b\";v=1").value()).isEqualTo("a\"b");
  }

  @Test
  void parameterValuesOfEveryBareItemType() {
    // integer, decimal, string (with an escape and the separators inside), token, byte
    // sequence, boolean; and keys with every character a key may have.
    String v = "\"abc\";i=-42;d=1.5;s=\"x;y=\\\"z\\\" ,w\";t=foo/bar:baz*;b=:cGF5bG9hZA==:;f=?0;"
        + "*k_e-y.1*=?1";
    assertThat(IdempotencyKey.parseHeader(v).value()).isEqualTo("abc");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "\"abc\";", // a semicolon and no parameter
        "\"abc\";a=1;",
        "\"abc\";;a=1",
        "\"abc\";=1", // no name
        "\"abc\";A=1", // names are lowercase
        "\"abc\";1a=1", // and start with a letter or *
        "\"abc\";a b=1",
        "\"abc\";a=", // no value
        "\"abc\";a= 1",
        "\"abc\";a=1 2",
        "\"abc\";a=1 x",
        "\"abc\";a=1,b=2",
        "\"abc\";a=1, \"def\"",
        "\"abc\";a=\"x", // an unterminated string value
        "\"abc\";a=\"x\\y\"", // an escape other than \" and \\
        "\"abc\";a=\"x\"y",
        "\"abc\";a=(1)",
        "\"abc\";a=\u00e9"
      })
  void parametersThatAreNotRfc8941ParametersAreInvalid(String headerValue) {
    assertInvalid(headerValue);
  }

  @Test
  void parametersDoNotMakeAnInvalidKeyValid() {
    assertInvalid("\"\";v=1");
    assertInvalid("\"a b\";v=1");
    assertInvalid("\"" + "k".repeat(256) + "\";v=1");
  }

  @Test
  void theBareFormIsTheWholeValue_semicolonsIncluded() {
    // ';' and '=' are visible ASCII, so a bare key may hold them: the bare form has no
    // parameters, and abc;v=1 is the key "abc;v=1", not "abc".
    assertThat(IdempotencyKey.parseHeader("abc;v=1").value()).isEqualTo("abc;v=1");
    assertThat(IdempotencyKey.parseHeader("abc;v=1")).isNotEqualTo(IdempotencyKey.of("abc"));
  }

  @Test
  void errorMessagesDoNotRepeatTheValue() {
    assertThatThrownBy(() -> IdempotencyKey.parseHeader("\"secret-key\";v=secret-value x"))
        .isInstanceOf(InvalidIdempotencyKeyException.class)
        .hasMessageNotContaining("secret");
  }

  @Test
  void aListInOneBareValueIsInvalid() {
    // Some frameworks join a repeated header into one comma-separated value.
    assertInvalid("abc, def");
  }

  @Test
  void oneHeaderValueIsTheKey() {
    assertThat(IdempotencyKey.parseHeaders(List.of(UUID)).value()).isEqualTo(UUID);
  }

  @Test
  void noHeaderValueMeansMissing() {
    assertThat(IdempotencyKey.parseHeaders(List.of())).isNull();
  }

  @Test
  void repeatedHeaderIsInvalidEvenWhenTheValuesAgree() {
    assertThatThrownBy(() -> IdempotencyKey.parseHeaders(List.of(UUID, UUID)))
        .isInstanceOf(InvalidIdempotencyKeyException.class)
        .hasMessageContaining("2 times");
    assertThatThrownBy(() -> IdempotencyKey.parseHeaders(List.of("a", "b", "c")))
        .isInstanceOf(InvalidIdempotencyKeyException.class);
  }

  @Test
  void nullHeaderValueIsInvalid() {
    assertThatThrownBy(() -> IdempotencyKey.parseHeaders(Arrays.asList((String) null)))
        .isInstanceOf(InvalidIdempotencyKeyException.class);
  }

  @Test
  void invalidKeyIsAnIllegalArgument() {
    assertThat(new InvalidIdempotencyKeyException("x")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void nullArgumentsAreNamed() {
    assertThatThrownBy(() -> IdempotencyKey.of(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("value");
    assertThatThrownBy(() -> IdempotencyKey.parseHeader(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("headerValue");
    assertThatThrownBy(() -> IdempotencyKey.parseHeaders(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("headerValues");
    assertThat(IdempotencyKey.isValid(null)).isFalse();
  }

  @Test
  void ofTakesTheUnquotedValueAsIs() {
    // of() does not unquote: the quotes are key characters there.
    assertThat(IdempotencyKey.of("\"abc\"").value()).isEqualTo("\"abc\"");
    assertThatThrownBy(() -> IdempotencyKey.of(" abc"))
        .isInstanceOf(InvalidIdempotencyKeyException.class);
  }

  @Test
  void equalityIsByValue() {
    assertThat(IdempotencyKey.parseHeader("\"abc\"")).isEqualTo(IdempotencyKey.of("abc"));
    assertThat(IdempotencyKey.of("abc")).hasSameHashCodeAs(IdempotencyKey.of("abc"));
    assertThat(IdempotencyKey.of("abc")).isNotEqualTo(IdempotencyKey.of("ABC"));
    assertThat(IdempotencyKey.of("abc")).hasToString("abc");
  }

  private static void assertInvalid(String headerValue) {
    assertThatThrownBy(() -> IdempotencyKey.parseHeader(headerValue))
        .as("header value <%s>", headerValue)
        .isInstanceOf(InvalidIdempotencyKeyException.class);
  }
}
