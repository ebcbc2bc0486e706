package dev.idempotency.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** RFC 9110 section 10.2.3; the three date forms are the examples of section 5.6.7. */
class RetryAfterTest {
  // 37 seconds before the RFC's example date, Sun, 06 Nov 1994 08:49:37 GMT.
  private static final Instant NOW = Instant.parse("1994-11-06T08:49:00Z");

  @Test
  void deltaSeconds() {
    assertThat(RetryAfter.parse("120", NOW)).contains(Duration.ofSeconds(120));
    assertThat(RetryAfter.parse("0", NOW)).contains(Duration.ZERO);
    assertThat(RetryAfter.parse(" 5 ", NOW)).contains(Duration.ofSeconds(5));
    assertThat(RetryAfter.parse("007", NOW)).contains(Duration.ofSeconds(7));
  }

  @Test
  void hugeDeltaSecondsIsTheLongestDelay() {
    Duration longest = Duration.ofSeconds(Long.MAX_VALUE);
    assertThat(RetryAfter.parse("9223372036854775807", NOW)).contains(longest);
    assertThat(RetryAfter.parse("9223372036854775808", NOW)).contains(longest);
    assertThat(RetryAfter.parse("99999999999999999999999999999999", NOW)).contains(longest);
  }

  @Test
  void imfFixdate() {
    assertThat(RetryAfter.parse("Sun, 06 Nov 1994 08:49:37 GMT", NOW))
        .contains(Duration.ofSeconds(37));
  }

  @Test
  void rfc850Date() {
    assertThat(RetryAfter.parse("Sunday, 06-Nov-94 08:49:37 GMT", NOW))
        .contains(Duration.ofSeconds(37));
  }

  @Test
  void rfc850YearMoreThanFiftyYearsAheadIsInThePast() {
    Instant now = Instant.parse("2026-11-27T00:00:00Z");
    // 2076 is 50 years ahead: still the future. 2077 would be 51: it means 1977.
    assertThat(RetryAfter.parse("Friday, 06-Nov-76 00:00:00 GMT", now))
        .contains(Duration.between(now, Instant.parse("2076-11-06T00:00:00Z")));
    assertThat(RetryAfter.parse("Sunday, 06-Nov-77 00:00:00 GMT", now)).contains(Duration.ZERO);
  }

  @Test
  void asctimeDate() {
    assertThat(RetryAfter.parse("Sun Nov  6 08:49:37 1994", NOW)).contains(Duration.ofSeconds(37));
    assertThat(RetryAfter.parse("Wed Nov 16 08:49:00 1994", NOW)).contains(Duration.ofDays(10));
  }

  @Test
  void dateInThePastIsNoDelay() {
    assertThat(RetryAfter.parse("Sun, 06 Nov 1994 08:48:00 GMT", NOW)).contains(Duration.ZERO);
    assertThat(RetryAfter.parse("Sun, 06 Nov 1994 08:49:00 GMT", NOW)).contains(Duration.ZERO);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "   ",
        "-5",
        "+5",
        "1.5",
        "5s",
        "soon",
        "0x10",
        "\uFF15", // a fullwidth digit five
        "Sun, 06 Nov 1994 08:49:37 UTC",
        "Sun, 6 Nov 1994 08:49:37 GMT",
        "Mon, 06 Nov 1994 08:49:37 GMT", // the wrong day of the week
        "1994-11-06T08:49:37Z"
      })
  void invalidValuesAreIgnored(String value) {
    assertThat(RetryAfter.parse(value, NOW)).isEmpty();
  }

  @Test
  void nullIsIgnoredButNowIsRequired() {
    assertThat(RetryAfter.parse(null, NOW)).isEqualTo(Optional.empty());
    assertThatThrownBy(() -> RetryAfter.parse("1", null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("now");
  }

  @Test
  void formatRoundsUpToWholeSeconds() {
    assertThat(RetryAfter.format(Duration.ZERO)).isEqualTo("0");
    assertThat(RetryAfter.format(Duration.ofNanos(1))).isEqualTo("1");
    assertThat(RetryAfter.format(Duration.ofMillis(999))).isEqualTo("1");
    assertThat(RetryAfter.format(Duration.ofSeconds(1))).isEqualTo("1");
    assertThat(RetryAfter.format(Duration.ofMillis(1001))).isEqualTo("2");
    assertThat(RetryAfter.format(Duration.ofMinutes(2))).isEqualTo("120");
  }

  @Test
  void formatRejectsNegativeAndNull() {
    assertThatThrownBy(() -> RetryAfter.format(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RetryAfter.format(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("delay");
  }

  @Test
  void formattedValuesParseBack() {
    assertThat(RetryAfter.parse(RetryAfter.format(Duration.ofSeconds(42)), NOW))
        .contains(Duration.ofSeconds(42));
    Instant at = Instant.parse("2026-11-27T06:00:00Z");
    assertThat(RetryAfter.formatHttpDate(at)).isEqualTo("Fri, 27 Nov 2026 06:00:00 GMT");
    assertThat(RetryAfter.parse(RetryAfter.formatHttpDate(at), at.minusSeconds(90)))
        .contains(Duration.ofSeconds(90));
  }
}
