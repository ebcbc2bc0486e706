package dev.idempotency.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
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

  // --- read leniently (RFC 9110 section 5.6.7: recipients are encouraged to be robust) ---------

  @Test
  void aOneDigitDayAsJavasRfc1123FormatterWritesIt() {
    Instant now = Instant.parse("2026-12-01T19:52:00Z");
    assertThat(RetryAfter.parse("Tue, 1 Dec 2026 19:52:03 GMT", now)).contains(Duration.ofSeconds(3));
  }

  @Test
  void everyDateJavasRfc1123FormatterWritesIsRead() {
    // Each day of a leap year at a time of day that moves, in GMT and at other offsets: what a
    // server that formats Retry-After with DateTimeFormatter.RFC_1123_DATE_TIME sends.
    Instant now = Instant.parse("2027-12-31T00:00:00Z");
    List<String> unread = new ArrayList<>();
    for (ZoneId zone : List.of(ZoneOffset.UTC, ZoneOffset.ofHours(1), ZoneOffset.ofHoursMinutes(-5, -30))) {
      for (int day = 0; day < 366; day++) {
        Instant at = Instant.parse("2028-01-01T00:00:00Z").plusSeconds(day * 86_400L + day * 237L % 86_400);
        String value = DateTimeFormatter.RFC_1123_DATE_TIME.format(at.atZone(zone));
        if (!RetryAfter.parse(value, now).equals(Optional.of(Duration.between(now, at)))) {
          unread.add(value);
        }
      }
    }
    assertThat(unread).isEmpty();
  }

  @Test
  void aOneDigitDayInEachForm() {
    Instant now = Instant.parse("2026-12-01T19:52:00Z");
    Optional<Duration> three = Optional.of(Duration.ofSeconds(3));
    assertThat(RetryAfter.parse("Tue, 01 Dec 2026 19:52:03 GMT", now)).isEqualTo(three);
    assertThat(RetryAfter.parse("Tuesday, 1-Dec-26 19:52:03 GMT", now)).isEqualTo(three);
    assertThat(RetryAfter.parse("Tue Dec 1 19:52:03 2026", now)).isEqualTo(three);
    assertThat(RetryAfter.parse("Tue Dec  1 19:52:03 2026", now)).isEqualTo(three);
  }

  @Test
  void extraSpacesAndTabsBetweenTheParts() {
    Instant now = Instant.parse("2026-12-01T19:52:00Z");
    Optional<Duration> three = Optional.of(Duration.ofSeconds(3));
    assertThat(RetryAfter.parse("  Tue,  1   Dec\t2026  19:52:03 \t GMT ", now)).isEqualTo(three);
    assertThat(RetryAfter.parse("Tue ,1 Dec 2026 19:52:03 GMT", now)).isEqualTo(three);
    assertThat(RetryAfter.parse("Tuesday,\t01-Dec-26   19:52:03  GMT", now)).isEqualTo(three);
    assertThat(RetryAfter.parse("Tue   Dec \t 1  19:52:03    2026", now)).isEqualTo(three);
  }

  @Test
  void namesInAnyCase() {
    Instant now = Instant.parse("2026-12-01T19:52:00Z");
    Optional<Duration> three = Optional.of(Duration.ofSeconds(3));
    assertThat(RetryAfter.parse("tue, 01 dec 2026 19:52:03 gmt", now)).isEqualTo(three);
    assertThat(RetryAfter.parse("TUE, 01 DEC 2026 19:52:03 GMT", now)).isEqualTo(three);
    assertThat(RetryAfter.parse("TUESDAY, 01-DEC-26 19:52:03 GMT", now)).isEqualTo(three);
    assertThat(RetryAfter.parse("tue dec  1 19:52:03 2026", now)).isEqualTo(three);
  }

  @Test
  void whatRfc1123AndRfc5322AlsoAllow() {
    Instant now = Instant.parse("2026-12-01T19:52:00Z");
    // The day of the week is optional, as are the seconds; the full name of the day is read too.
    assertThat(RetryAfter.parse("1 Dec 2026 19:52:03 GMT", now)).contains(Duration.ofSeconds(3));
    assertThat(RetryAfter.parse("Tue, 1 Dec 2026 19:53 GMT", now)).contains(Duration.ofSeconds(60));
    assertThat(RetryAfter.parse("Tuesday, 01 Dec 2026 19:52:03 GMT", now)).contains(Duration.ofSeconds(3));
    // UT and UTC name the same zone as GMT; a numeric offset says how far the time is from it.
    assertThat(RetryAfter.parse("Tue, 01 Dec 2026 19:52:03 UT", now)).contains(Duration.ofSeconds(3));
    assertThat(RetryAfter.parse("Tue, 01 Dec 2026 19:52:03 UTC", now)).contains(Duration.ofSeconds(3));
    assertThat(RetryAfter.parse("Tue, 01 Dec 2026 20:52:03 +0100", now)).contains(Duration.ofSeconds(3));
    assertThat(RetryAfter.parse("Tue, 01 Dec 2026 14:22:03 -0530", now)).contains(Duration.ofSeconds(3));
    // 24:00:00 is the end of the day, as ISO 8601 has it (Java's own parser reads it too).
    assertThat(RetryAfter.parse("Tue, 01 Dec 2026 24:00:00 GMT", now))
        .contains(Duration.between(now, Instant.parse("2026-12-02T00:00:00Z")));
    // A leap second is the second before the next minute's first.
    assertThat(RetryAfter.parse("Tue, 01 Dec 2026 19:52:60 GMT", now)).contains(Duration.ofSeconds(60));
  }

  @Test
  void rfc850YearIsTheOneWithinFiftyYearsOfNowToTheDay() {
    // 2076-11-06 is more than 50 years after 2026-01-01 (by ten months): 76 is 1976, a Saturday.
    Instant now = Instant.parse("2026-01-01T00:00:00Z");
    assertThat(RetryAfter.parse("Saturday, 06-Nov-76 00:00:00 GMT", now)).contains(Duration.ZERO);
    assertThat(RetryAfter.parse("Friday, 06-Nov-76 00:00:00 GMT", now))
        .as("2076-11-06 is a Friday, but 76 means 1976 here").isEmpty();
    // 2075-11-06 is within 50 years: the future.
    assertThat(RetryAfter.parse("Wednesday, 06-Nov-75 00:00:00 GMT", now))
        .contains(Duration.between(now, Instant.parse("2075-11-06T00:00:00Z")));
    // Late in a century the next century's years are the near ones: 05 in 2090 is 2105.
    Instant late = Instant.parse("2090-06-01T00:00:00Z");
    assertThat(RetryAfter.parse("Friday, 06-Nov-05 00:00:00 GMT", late))
        .contains(Duration.between(late, Instant.parse("2105-11-06T00:00:00Z")));
  }

  @Test
  void aValueTooLongToBeADateIsIgnored() {
    Instant now = Instant.parse("2026-12-01T19:52:00Z");
    assertThat(RetryAfter.parse("Tue," + " ".repeat(200) + "1 Dec 2026 19:52:03 GMT", now)).isEmpty();
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
        "Mon, 06 Nov 1994 08:49:37 GMT", // the wrong day of the week
        "Monday, 06-Nov-94 08:49:37 GMT",
        "Mon Nov  6 08:49:37 1994",
        "1994-11-06T08:49:37Z",
        "Sun, 06 Nov 1994 08:49:37", // no zone
        "Sun, 06 Nov 1994 08:49:37 EST", // a zone name other than GMT, UT or UTC
        "Sun, 06 Nov 1994 08:49:37 +01", // an offset without its minutes
        "Sun, 06 Nov 1994 08:49:37 GMT now",
        "Sun, 06 Nov 1994 08:49:37 GMT GMT",
        "Sun, 06 Nov 94 08:49:37 GMTX",
        "Sun, 31 Nov 1994 08:49:37 GMT", // November has 30 days
        "Sun, 00 Nov 1994 08:49:37 GMT",
        "Sun, 006 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nvm 1994 08:49:37 GMT",
        "Sun, 06 November 1994 08:49:37 GMT",
        "Sunny, 06 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 24:00:01 GMT",
        "Sun, 06 Nov 1994 25:00:00 GMT",
        "Sun, 06 Nov 1994 08:60:00 GMT",
        "Sun, 06 Nov 1994 08:49:61 GMT",
        "Sun, 06 Nov 994 08:49:37 GMT",
        "Sun, 06 Nov 1994 08.49.37 GMT",
        "Sun, 06 Nov 1994 08:49:37.5 GMT",
        "Sun Nov  6 08:49:37 94", // asctime has four digits of year
        "Sun Nov  6 08:49:37 1994 GMT",
        ", 06 Nov 1994 08:49:37 GMT",
        "Sun,, 06 Nov 1994 08:49:37 GMT"
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
