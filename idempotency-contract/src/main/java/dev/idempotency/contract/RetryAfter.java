package dev.idempotency.contract;

import java.time.DateTimeException;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and writes {@code Retry-After} (RFC 9110 section 10.2.3): delta-seconds or an HTTP-date.
 * Invalid values are ignored, as the RFC lets a recipient do: {@link #parse} returns empty.
 *
 * <p>Dates are read leniently, as RFC 9110 section 5.6.7 encourages: the three forms it names
 * (IMF-fixdate {@code Sun, 06 Nov 1994 08:49:37 GMT}, RFC 850 {@code Sunday, 06-Nov-94 08:49:37
 * GMT}, asctime {@code Sun Nov  6 08:49:37 1994}), each with a one- or two-digit day (Java's
 * {@link DateTimeFormatter#RFC_1123_DATE_TIME} writes {@code Tue, 1 Dec 2026 ...}), any run of
 * spaces and tabs between the parts, day and month names in any case, a day name short or in
 * full or left out, the seconds left out, and the zone {@code GMT}, {@code UT}, {@code UTC} or a
 * numeric offset such as {@code +0100}. A two-digit year is the one within 50 years of now. A
 * day name that does not match the date, an impossible date and anything else make the value
 * invalid.
 *
 * <p>This class is threadsafe.
 */
public final class RetryAfter {
  private static final DateTimeFormatter IMF_FIXDATE =
      DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);

  // An HTTP-date is 24 to 29 characters; this leaves room for any whitespace a sender adds, and
  // bounds the work spent on a value that is not a date.
  private static final int MAX_DATE_LENGTH = 128;

  private static final String SP = "[ \\t]+";
  private static final String TIME = "(\\d{1,2}):(\\d{2})(?::(\\d{2}))?";

  /** IMF-fixdate and RFC 850 (and RFC 1123, 5322): [day-name ","] day month year time zone. */
  private static final Pattern DAY_FIRST = Pattern.compile(
      "(?:([a-z]+)[ \\t]*,[ \\t]*)?(\\d{1,2})(?:" + SP + "|-)([a-z]{3})(?:" + SP + "|-)(\\d{4}|\\d{2})"
          + SP + TIME + SP + "(gmt|utc|ut|[+-]\\d{4})",
      Pattern.CASE_INSENSITIVE);

  /** asctime: day-name month day time year, always GMT. */
  private static final Pattern ASCTIME = Pattern.compile(
      "([a-z]+)" + SP + "([a-z]{3})" + SP + "(\\d{1,2})" + SP + TIME + SP + "(\\d{4})",
      Pattern.CASE_INSENSITIVE);

  private static final String[] MONTHS =
      {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};

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
    if (v.length() > MAX_DATE_LENGTH) return null;
    try {
      Matcher m = DAY_FIRST.matcher(v);
      if (m.matches()) {
        return instant(now, m.group(1), m.group(4), m.group(3), m.group(2),
            m.group(5), m.group(6), m.group(7), m.group(8));
      }
      m = ASCTIME.matcher(v);
      if (m.matches()) {
        return instant(now, m.group(1), m.group(7), m.group(2), m.group(3),
            m.group(4), m.group(5), m.group(6), "GMT");
      }
    } catch (DateTimeException | IllegalArgumentException invalid) {
      // a day, month, hour, minute, second or offset out of range
    }
    return null;
  }

  private static Instant instant(Instant now, String dayName, String year, String month,
      String day, String hour, String minute, String second, String zone) {
    int monthValue = monthValue(month);
    int h = Integer.parseInt(hour);
    int min = Integer.parseInt(minute);
    int s = second == null ? 0 : Integer.parseInt(second);
    // 24:00:00 is the end of the day (ISO 8601). Second 60 is a leap second; java.time has none,
    // so it is read as the next minute's first.
    boolean endOfDay = h == 24 && min == 0 && s == 0;
    if (h > 23 && !endOfDay) throw new IllegalArgumentException("hour");
    if (min > 59 || s > 60) throw new IllegalArgumentException("minute or second");
    ZoneOffset offset = offset(zone);
    int d = Integer.parseInt(day);
    int y = year.length() == 2
        ? withinFiftyYears(Integer.parseInt(year), monthValue, d, now, offset)
        : Integer.parseInt(year);
    LocalDate date = LocalDate.of(y, monthValue, d);
    if (dayName != null && !names(date.getDayOfWeek(), dayName)) {
      throw new IllegalArgumentException("the day of the week does not match the date");
    }
    LocalDateTime local = date.atTime(endOfDay ? 0 : h, min, Math.min(s, 59))
        .plusDays(endOfDay ? 1 : 0)
        .plusSeconds(s == 60 ? 1 : 0);
    return local.toInstant(offset);
  }

  /**
   * RFC 9110 section 5.6.7: a two-digit year that appears to be more than 50 years in the future
   * is the most recent past year with those digits. Of the years ending in {@code yy}, that is
   * the one whose date falls at most 50 years after today, and less than 50 years before today
   * (the other candidates, 100 years apart, lie outside that century).
   */
  private static int withinFiftyYears(int yy, int month, int day, Instant now, ZoneOffset offset) {
    LocalDate today = now.atOffset(offset).toLocalDate();
    LocalDate limit = today.plusYears(50);
    int year = today.getYear() - Math.floorMod(today.getYear(), 100) + yy;
    // The 1st of the month stands in for the day, so 29 February of a year without one is
    // refused once, by LocalDate.of in the caller, and not here.
    if (LocalDate.of(year, month, 1).plusDays(day - 1).isAfter(limit)) {
      year -= 100;
    } else if (!LocalDate.of(year + 100, month, 1).plusDays(day - 1).isAfter(limit)) {
      year += 100;
    }
    return year;
  }

  private static int monthValue(String name) {
    for (int i = 0; i < MONTHS.length; i++) {
      if (MONTHS[i].equalsIgnoreCase(name)) return i + 1;
    }
    throw new IllegalArgumentException("month");
  }

  /** True if {@code name} is the day's name, short ({@code Sun}) or full ({@code Sunday}). */
  private static boolean names(DayOfWeek day, String name) {
    String full = day.name();
    return name.equalsIgnoreCase(full) || name.equalsIgnoreCase(full.substring(0, 3));
  }

  private static ZoneOffset offset(String zone) {
    if (zone.charAt(0) != '+' && zone.charAt(0) != '-') return ZoneOffset.UTC;
    int hours = Integer.parseInt(zone.substring(1, 3));
    int minutes = Integer.parseInt(zone.substring(3, 5));
    if (minutes > 59) throw new IllegalArgumentException("offset");
    int sign = zone.charAt(0) == '-' ? -1 : 1;
    return ZoneOffset.ofHoursMinutes(sign * hours, sign * minutes);
  }
}
