package dev.idempotency.contract;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoField;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Reads and writes {@code Retry-After} (RFC 9110 section 10.2.3): delta-seconds or an HTTP-date.
 * Invalid values are ignored, as the RFC lets a recipient do: {@link #parse} returns empty.
 *
 * <p>This class is threadsafe.
 */
public final class RetryAfter {
  // RFC 9110 section 5.6.7: recipients accept IMF-fixdate and the two obsolete forms.
  private static final DateTimeFormatter IMF_FIXDATE =
      DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);
  private static final DateTimeFormatter ASCTIME =
      DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss yyyy", Locale.US).withZone(ZoneOffset.UTC);

  private RetryAfter() {}

  /**
   * The delay a {@code Retry-After} value asks for, measured from {@code now}.
   *
   * @return the delay (zero for a date in the past), or empty if the value is null, blank,
   *     negative or not one of the two forms
   */
  public static Optional<Duration> parse(String value, Instant now) {
    Objects.requireNonNull(now, "now");
    if (value == null) return Optional.empty();
    String v = value.trim();
    if (v.isEmpty()) return Optional.empty();
    if (isDigits(v)) {
      try {
        return Optional.of(Duration.ofSeconds(Long.parseLong(v)));
      } catch (NumberFormatException overflow) {
        // More digits than a long holds: a delay longer than any caller would wait.
        return Optional.of(Duration.ofSeconds(Long.MAX_VALUE));
      }
    }
    Instant at = parseHttpDate(v, now);
    if (at == null) return Optional.empty();
    Duration d = Duration.between(now, at);
    return Optional.of(d.isNegative() ? Duration.ZERO : d);
  }

  /** Formats a delay as delta-seconds, rounded up so a client never comes back too early. */
  public static String format(Duration delay) {
    Objects.requireNonNull(delay, "delay");
    if (delay.isNegative()) throw new IllegalArgumentException("delay is negative: " + delay);
    long seconds = delay.getSeconds() + (delay.getNano() > 0 ? 1 : 0);
    return Long.toString(seconds);
  }

  /** Formats an instant as an IMF-fixdate, the preferred HTTP-date form. */
  public static String formatHttpDate(Instant instant) {
    return IMF_FIXDATE.format(Objects.requireNonNull(instant, "instant"));
  }

  private static boolean isDigits(String v) {
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c < '0' || c > '9') return false;
    }
    return true;
  }

  private static Instant parseHttpDate(String v, Instant now) {
    for (DateTimeFormatter f : new DateTimeFormatter[] {IMF_FIXDATE, rfc850(now), ASCTIME}) {
      try {
        ZonedDateTime t = ZonedDateTime.parse(v, f);
        return t.toInstant();
      } catch (DateTimeParseException ignored) {
        // try the next form
      }
    }
    return null;
  }

  /**
   * The obsolete RFC 850 form, whose year has two digits. RFC 9110 section 5.6.7: a year that
   * would be more than 50 years after {@code now} is the most recent past year with those digits,
   * so the century depends on {@code now}.
   */
  private static DateTimeFormatter rfc850(Instant now) {
    int earliestYear = now.atZone(ZoneOffset.UTC).getYear() - 49;
    return new DateTimeFormatterBuilder()
        .appendPattern("EEEE, dd-MMM-")
        .appendValueReduced(ChronoField.YEAR, 2, 2, earliestYear)
        .appendPattern(" HH:mm:ss 'GMT'")
        .toFormatter(Locale.US)
        .withZone(ZoneOffset.UTC);
  }
}
