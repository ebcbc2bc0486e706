// parseRetryAfter reads what dev.idempotency.contract.RetryAfter reads: these are the cases of
// the Java RetryAfterTest, so both clients of the pair wait alike.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRetryAfter } from '../idempotency.js';

// 37 seconds before the RFC's example date, Sun, 06 Nov 1994 08:49:37 GMT.
const NOW = Date.parse('1994-11-06T08:49:00Z');
const at = (iso) => Date.parse(iso);

test('delta-seconds', () => {
  assert.equal(parseRetryAfter('120', NOW), 120_000);
  assert.equal(parseRetryAfter('0', NOW), 0);
  assert.equal(parseRetryAfter(' 5 ', NOW), 5_000);
  assert.equal(parseRetryAfter('007', NOW), 7_000);
});

test('a huge delta-seconds is the longest delay', () => {
  assert.equal(parseRetryAfter('9223372036854775808', NOW), Number.MAX_SAFE_INTEGER);
  assert.equal(parseRetryAfter('99999999999999999999999999999999', NOW), Number.MAX_SAFE_INTEGER);
});

test('the three forms of RFC 9110 section 5.6.7', () => {
  assert.equal(parseRetryAfter('Sun, 06 Nov 1994 08:49:37 GMT', NOW), 37_000);
  assert.equal(parseRetryAfter('Sunday, 06-Nov-94 08:49:37 GMT', NOW), 37_000);
  assert.equal(parseRetryAfter('Sun Nov  6 08:49:37 1994', NOW), 37_000);
  assert.equal(parseRetryAfter('Wed Nov 16 08:49:00 1994', NOW), 10 * 86_400_000);
});

test('an RFC 850 year more than 50 years ahead is in the past', () => {
  const now = at('2026-11-27T00:00:00Z');
  assert.equal(parseRetryAfter('Friday, 06-Nov-76 00:00:00 GMT', now), at('2076-11-06T00:00:00Z') - now);
  assert.equal(parseRetryAfter('Sunday, 06-Nov-77 00:00:00 GMT', now), 0);
});

test('an RFC 850 year is the one within 50 years of now, to the day', () => {
  const now = at('2026-01-01T00:00:00Z');
  assert.equal(parseRetryAfter('Saturday, 06-Nov-76 00:00:00 GMT', now), 0);
  assert.equal(parseRetryAfter('Friday, 06-Nov-76 00:00:00 GMT', now), null, '2076-11-06 is a Friday, but 76 means 1976 here');
  assert.equal(parseRetryAfter('Wednesday, 06-Nov-75 00:00:00 GMT', now), at('2075-11-06T00:00:00Z') - now);
  const late = at('2090-06-01T00:00:00Z');
  assert.equal(parseRetryAfter('Friday, 06-Nov-05 00:00:00 GMT', late), at('2105-11-06T00:00:00Z') - late);
});

test('a one-digit day, as Java\'s RFC_1123_DATE_TIME writes it, in each form', () => {
  const now = at('2026-12-01T19:52:00Z');
  for (const v of ['Tue, 1 Dec 2026 19:52:03 GMT', 'Tue, 01 Dec 2026 19:52:03 GMT', 'Tuesday, 1-Dec-26 19:52:03 GMT',
    'Tue Dec 1 19:52:03 2026', 'Tue Dec  1 19:52:03 2026']) {
    assert.equal(parseRetryAfter(v, now), 3_000, v);
  }
});

/** What DateTimeFormatter.RFC_1123_DATE_TIME writes for an instant at an offset (minutes east). */
function rfc1123(ms, offsetMinutes) {
  const d = new Date(ms + offsetMinutes * 60_000);
  const two = (n) => String(n).padStart(2, '0');
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const abs = Math.abs(offsetMinutes);
  const zone = offsetMinutes === 0 ? 'GMT' : `${offsetMinutes < 0 ? '-' : '+'}${two(Math.floor(abs / 60))}${two(abs % 60)}`;
  return `${days[d.getUTCDay()]}, ${d.getUTCDate()} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()} `
    + `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} ${zone}`;
}

test('every date Java\'s RFC_1123_DATE_TIME writes is read', () => {
  // Each day of a leap year at a time of day that moves, in GMT and at other offsets.
  const now = at('2027-12-31T00:00:00Z');
  const unread = [];
  for (const offset of [0, 60, -330]) {
    for (let day = 0; day < 366; day++) {
      const ms = at('2028-01-01T00:00:00Z') + (day * 86_400 + ((day * 237) % 86_400)) * 1000;
      const value = rfc1123(ms, offset);
      if (parseRetryAfter(value, now) !== ms - now) unread.push(value);
    }
  }
  assert.deepEqual(unread, []);
});

test('extra spaces and tabs between the parts, names in any case', () => {
  const now = at('2026-12-01T19:52:00Z');
  for (const v of ['  Tue,  1   Dec\t2026  19:52:03 \t GMT ', 'Tue ,1 Dec 2026 19:52:03 GMT',
    'Tuesday,\t01-Dec-26   19:52:03  GMT', 'Tue   Dec \t 1  19:52:03    2026',
    'tue, 01 dec 2026 19:52:03 gmt', 'TUE, 01 DEC 2026 19:52:03 GMT', 'TUESDAY, 01-DEC-26 19:52:03 GMT',
    'tue dec  1 19:52:03 2026']) {
    assert.equal(parseRetryAfter(v, now), 3_000, JSON.stringify(v));
  }
});

test('what RFC 1123 and RFC 5322 also allow', () => {
  const now = at('2026-12-01T19:52:00Z');
  assert.equal(parseRetryAfter('1 Dec 2026 19:52:03 GMT', now), 3_000);
  assert.equal(parseRetryAfter('Tue, 1 Dec 2026 19:53 GMT', now), 60_000);
  assert.equal(parseRetryAfter('Tuesday, 01 Dec 2026 19:52:03 GMT', now), 3_000);
  assert.equal(parseRetryAfter('Tue, 01 Dec 2026 19:52:03 UT', now), 3_000);
  assert.equal(parseRetryAfter('Tue, 01 Dec 2026 19:52:03 UTC', now), 3_000);
  assert.equal(parseRetryAfter('Tue, 01 Dec 2026 20:52:03 +0100', now), 3_000);
  assert.equal(parseRetryAfter('Tue, 01 Dec 2026 14:22:03 -0530', now), 3_000);
  assert.equal(parseRetryAfter('Tue, 01 Dec 2026 24:00:00 GMT', now), at('2026-12-02T00:00:00Z') - now);
  assert.equal(parseRetryAfter('Tue, 01 Dec 2026 19:52:60 GMT', now), 60_000);
});

test('a value too long to be a date is ignored', () => {
  const now = at('2026-12-01T19:52:00Z');
  assert.equal(parseRetryAfter(`Tue,${' '.repeat(200)}1 Dec 2026 19:52:03 GMT`, now), null);
});

test('a date in the past is no delay', () => {
  assert.equal(parseRetryAfter('Sun, 06 Nov 1994 08:48:00 GMT', NOW), 0);
  assert.equal(parseRetryAfter('Sun, 06 Nov 1994 08:49:00 GMT', NOW), 0);
});

test('invalid values are ignored', () => {
  const invalid = ['', '   ', '-5', '+5', '1.5', '5s', 'soon', '0x10', '\uFF15',
    'Mon, 06 Nov 1994 08:49:37 GMT', 'Monday, 06-Nov-94 08:49:37 GMT', 'Mon Nov  6 08:49:37 1994',
    '1994-11-06T08:49:37Z', 'Sun, 06 Nov 1994 08:49:37', 'Sun, 06 Nov 1994 08:49:37 EST',
    'Sun, 06 Nov 1994 08:49:37 +01', 'Sun, 06 Nov 1994 08:49:37 GMT now', 'Sun, 06 Nov 1994 08:49:37 GMT GMT',
    'Sun, 06 Nov 94 08:49:37 GMTX', 'Sun, 31 Nov 1994 08:49:37 GMT', 'Sun, 00 Nov 1994 08:49:37 GMT',
    'Sun, 006 Nov 1994 08:49:37 GMT', 'Sun, 06 Nvm 1994 08:49:37 GMT', 'Sun, 06 November 1994 08:49:37 GMT',
    'Sunny, 06 Nov 1994 08:49:37 GMT', 'Sun, 06 Nov 1994 24:00:01 GMT', 'Sun, 06 Nov 1994 25:00:00 GMT',
    'Sun, 06 Nov 1994 08:60:00 GMT', 'Sun, 06 Nov 1994 08:49:61 GMT', 'Sun, 06 Nov 994 08:49:37 GMT',
    'Sun, 06 Nov 1994 08.49.37 GMT', 'Sun, 06 Nov 1994 08:49:37.5 GMT', 'Sun Nov  6 08:49:37 94',
    'Sun Nov  6 08:49:37 1994 GMT', ', 06 Nov 1994 08:49:37 GMT', 'Sun,, 06 Nov 1994 08:49:37 GMT',
    'Sun, 06 Nov 1994 08:49:37 +1900', 'Tue, 29 Feb 2026 00:00:00 GMT'];
  for (const v of invalid) assert.equal(parseRetryAfter(v, NOW), null, JSON.stringify(v));
});

test('null and undefined are ignored, but now is required', () => {
  assert.equal(parseRetryAfter(null, NOW), null);
  assert.equal(parseRetryAfter(undefined, NOW), null);
  assert.throws(() => parseRetryAfter('1'), TypeError);
  assert.throws(() => parseRetryAfter('1', NaN), TypeError);
});
