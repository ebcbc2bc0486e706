// Full jitter: every wait within its bound, and the bounds spread over, with a seeded random.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fullJitterDelay } from '../idempotency.js';
import { seededRandom } from './support.js';

test('each wait lies in [0, min(max, base * 2^(attempt-1))), and the draws fill that range', () => {
  const random = seededRandom(42);
  for (let attempt = 1; attempt <= 10; attempt++) {
    const bound = Math.min(10_000, 100 * 2 ** (attempt - 1));
    let lowest = Infinity;
    let highest = -Infinity;
    for (let i = 0; i < 2_000; i++) {
      const d = fullJitterDelay(attempt, 100, 10_000, random);
      assert.ok(Number.isInteger(d) && d >= 0 && d < bound, `attempt ${attempt}: ${d} not in [0, ${bound})`);
      lowest = Math.min(lowest, d);
      highest = Math.max(highest, d);
    }
    // Not "almost always base": full jitter reaches both ends of its range.
    assert.ok(lowest < bound * 0.01, `attempt ${attempt}: lowest ${lowest}`);
    assert.ok(highest >= Math.floor(bound * 0.99) - 1, `attempt ${attempt}: highest ${highest}`);
  }
});

test('the ends of the random range give the ends of the wait', () => {
  assert.equal(fullJitterDelay(1, 100, 10_000, () => 0), 0);
  assert.equal(fullJitterDelay(3, 100, 10_000, () => 0.999999), 399);
  assert.equal(fullJitterDelay(60, 100, 10_000, () => 0.5), 5_000, 'capped, and no overflow');
  assert.equal(fullJitterDelay(2, 0, 0, () => 0.5), 0);
});

test('the same seed draws the same waits', () => {
  const a = seededRandom(7);
  const b = seededRandom(7);
  const waits = (r) => [1, 2, 3, 4].map((n) => fullJitterDelay(n, 100, 10_000, r));
  assert.deepEqual(waits(a), waits(b));
});

test('an attempt below 1 is refused', () => {
  assert.throws(() => fullJitterDelay(0, 100, 10_000), RangeError);
  assert.throws(() => fullJitterDelay(1.5, 100, 10_000), RangeError);
});
