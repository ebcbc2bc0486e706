// The client table of the contract, row by row, against a real HTTP server on 127.0.0.1 (Node's
// own fetch, nothing mocked on the wire). Time is the test's: waits are recorded, not slept.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { IdempotencyClient, IdempotencyKeyStoreError, fullJitterDelay, memoryStorage } from '../idempotency.js';
import {
  answers, created, cutBody, fakeTime, lostAnswer, problem, recordEvents, scriptedServer, seededRandom, silence, status,
} from './support.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const POST = { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"amountCents":1250}' };

const servers = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function serve(script) {
  const server = await scriptedServer(script);
  servers.push(server);
  return server;
}

function client(options = {}) {
  const time = options.time ?? fakeTime();
  const storage = options.storage ?? memoryStorage();
  const c = new IdempotencyClient({ storage, locks: null, now: time.now, clock: time.clock, sleep: time.sleep, ...options.with });
  return { c, time, storage };
}

test('2xx: succeeded, the body read, the key a v4 UUID and forgotten', async () => {
  const server = await serve(answers(created()));
  const { c, storage } = client();
  const outcome = await c.fetch('pay:42', server.url, POST);
  assert.equal(outcome.kind, 'succeeded');
  assert.equal(outcome.status, 201);
  assert.equal(outcome.replayed, false);
  assert.equal(outcome.attempts, 1);
  assert.deepEqual(JSON.parse(outcome.text), { id: 'p-1', amountCents: 1250 });
  assert.match(outcome.key, UUID_V4);
  assert.deepEqual(server.keys(), [outcome.key]);
  assert.equal(server.requests[0].body, POST.body, 'the request went as given');
  assert.equal(c.pending('pay:42'), null);
  assert.equal(storage.getItem('idempotency:pay:42'), null);
});

test('2xx with Idempotent-Replayed: true is a replay', async () => {
  const server = await serve(answers(created(true)));
  const outcome = await client().c.fetch('pay', server.url, POST);
  assert.equal(outcome.kind, 'succeeded');
  assert.equal(outcome.replayed, true);
});

test('204 and 200 succeed too', async () => {
  const server = await serve(answers(status(204), status(200, {}, 'ok')));
  const { c } = client();
  assert.equal((await c.fetch('a', server.url, POST)).text, '');
  assert.equal((await c.fetch('b', server.url, POST)).text, 'ok');
});

for (const code of [500, 502, 503, 504, 408, 429]) {
  test(`${code}: retried with the same key`, async () => {
    const server = await serve(answers(problem(code, 'try again'), problem(code, 'try again'), created()));
    const { c } = client();
    const outcome = await c.fetch('pay', server.url, POST);
    assert.equal(outcome.kind, 'succeeded');
    assert.equal(outcome.attempts, 3);
    assert.equal(server.requests.length, 3);
    assert.deepEqual(new Set(server.keys()), new Set([outcome.key]));
  });
}

test('no answer (the connection closes) is retried with the same key', async () => {
  const server = await serve(answers(lostAnswer(), lostAnswer(), created(true)));
  const { c } = client();
  const events = recordEvents(c);
  const outcome = await c.fetch('pay', server.url, POST);
  assert.equal(outcome.kind, 'succeeded');
  assert.equal(outcome.replayed, true);
  assert.equal(server.requests.length, 3);
  assert.deepEqual(new Set(server.keys()), new Set([outcome.key]));
  const retries = events.filter(([t]) => t === 'retry').map(([, d]) => [d.attempt, d.status, d.error]);
  assert.deepEqual(retries, [[2, null, 'network'], [3, null, 'network']]);
});

test('a 2xx whose body is cut short is no answer: retried with the same key, the key kept until then', async () => {
  const server = await serve(answers(cutBody(), created(true)));
  const { c } = client();
  const outcome = await c.fetch('pay', server.url, POST);
  assert.equal(outcome.kind, 'succeeded');
  assert.equal(outcome.attempts, 2);
  assert.equal(outcome.replayed, true);
  assert.equal(server.keys()[0], server.keys()[1]);
});

test('an attempt with no answer in attemptTimeoutMs is retried with the same key', async () => {
  const server = await serve(answers(silence(), created(true)));
  const { c } = client({ with: { attemptTimeoutMs: 50 } });
  const events = recordEvents(c);
  const outcome = await c.fetch('pay', server.url, POST);
  assert.equal(outcome.kind, 'succeeded');
  assert.equal(server.keys()[0], server.keys()[1]);
  assert.equal(events.find(([t]) => t === 'retry')[1].error, 'timeout');
});

test('the waits are full jitter from 100 ms, drawn from the given random', async () => {
  const server = await serve(answers(problem(503, 'x'), problem(503, 'x'), problem(503, 'x'), problem(503, 'x'), created()));
  const { c, time } = client({ with: { random: seededRandom(1234) } });
  assert.equal((await c.fetch('pay', server.url, POST)).attempts, 5);
  const expected = seededRandom(1234);
  assert.deepEqual(time.sleeps, [1, 2, 3, 4].map((n) => fullJitterDelay(n, 100, 10_000, expected)));
  time.sleeps.forEach((ms, i) => assert.ok(ms >= 0 && ms < 100 * 2 ** i, `wait ${i + 1}: ${ms}`));
});

test('Retry-After in seconds, and as an HTTP-date with a one-digit day, is the wait', async () => {
  // The fake wall clock starts at 2026-12-01T19:52:00Z.
  const server = await serve(answers(
    problem(503, 'x', { 'Retry-After': '2' }),
    problem(429, 'x', { 'Retry-After': 'Tue, 1 Dec 2026 19:52:05 GMT' }),
    problem(503, 'x', { 'Retry-After': 'Tuesday, 01-Dec-26 19:52:09 GMT' }),
    created()));
  const { c, time } = client();
  assert.equal((await c.fetch('pay', server.url, POST)).kind, 'succeeded');
  assert.deepEqual(time.sleeps, [2_000, 3_000, 4_000]);
});

test('a Retry-After longer than maxRetryAfterMs is cut to it', async () => {
  const server = await serve(answers(problem(503, 'x', { 'Retry-After': '600' }), created()));
  const { c, time } = client({ with: { deadlineMs: 120_000 } });
  await c.fetch('pay', server.url, POST);
  assert.deepEqual(time.sleeps, [60_000]);
});

test('max attempts: the outcome is unknown, the key kept, and the next call of the action sends it again', async () => {
  const server = await serve(answers(problem(503, 'down'), problem(503, 'down'), problem(503, 'down'),
    problem(503, 'down'), problem(503, 'down'), created(true)));
  const { c } = client();
  const events = recordEvents(c);
  const first = await c.fetch({ name: 'pay', data: { amountCents: 1250 } }, server.url, POST);
  assert.equal(first.kind, 'unknown');
  assert.equal(first.reason, 'max-attempts');
  assert.equal(first.attempts, 5);
  assert.equal(first.lastStatus, 503);
  assert.equal(first.problem.title, 'down');
  assert.equal(server.requests.length, 5);
  assert.deepEqual(c.pending('pay'), { key: first.key, createdAt: c.pending('pay').createdAt, data: { amountCents: 1250 } });
  const second = await c.fetch('pay', server.url, POST);
  assert.equal(second.kind, 'succeeded');
  assert.equal(second.key, first.key);
  assert.deepEqual(new Set(server.keys()), new Set([first.key]));
  assert.deepEqual(events.filter(([t]) => t === 'key').map(([, d]) => d.reused), [false, true]);
});

test('deadline: a wait that would end after it is not begun', async () => {
  const server = await serve(answers(problem(503, 'x', { 'Retry-After': '20' })));
  const { c, time } = client();
  const outcome = await c.fetch('pay', server.url, POST);
  assert.equal(outcome.kind, 'unknown');
  assert.equal(outcome.reason, 'deadline');
  assert.equal(outcome.attempts, 2, '20 s fits in 30 s once, not twice');
  assert.deepEqual(time.sleeps, [20_000]);
  assert.notEqual(c.pending('pay'), null);
});

for (const code of [409, 425]) {
  test(`${code}: stops at once, in progress with Retry-After, the key kept for the next try`, async () => {
    const server = await serve(answers(problem(code, 'in progress', { 'Retry-After': '3' }), created(true)));
    const { c, time } = client();
    const first = await c.fetch('pay', server.url, POST);
    assert.equal(first.kind, 'in-progress');
    assert.equal(first.status, code);
    assert.equal(first.retryAfterMs, 3_000);
    assert.equal(first.problem.title, 'in progress');
    assert.equal(first.attempts, 1);
    assert.deepEqual(time.sleeps, [], 'no automatic retry');
    assert.equal(c.pending('pay').key, first.key);
    const second = await c.fetch('pay', server.url, POST);
    assert.equal(second.kind, 'succeeded');
    assert.equal(second.key, first.key);
  });
}

for (const code of [400, 401, 403, 404, 422]) {
  test(`${code}: definitely failed, the problem parsed, the key forgotten`, async () => {
    const server = await serve(answers(problem(code, 'refused'), created()));
    const { c } = client();
    const first = await c.fetch('pay', server.url, POST);
    assert.equal(first.kind, 'definitely-failed');
    assert.equal(first.status, code);
    assert.equal(first.attempts, 1);
    assert.deepEqual(first.problem, { type: `https://idempotency.dev/problems/test-${code}`, title: 'refused', status: code, detail: `a ${code}` });
    assert.equal(c.pending('pay'), null);
    const second = await c.fetch('pay', server.url, POST);
    assert.notEqual(second.key, first.key, 'a new action, a new key');
  });
}

test('a problem that is not JSON is no problem object, and the status still decides', async () => {
  const server = await serve(answers(status(422, { 'Content-Type': 'text/plain' }, 'nope')));
  const outcome = await client().c.fetch('pay', server.url, POST);
  assert.equal(outcome.kind, 'definitely-failed');
  assert.equal(outcome.problem, null);
  assert.equal(outcome.text, 'nope');
});

test('a second call of an action running in this page sends nothing and gets the first call\'s outcome', async () => {
  let open;
  const gate = new Promise((resolve) => { open = resolve; });
  const server = await serve(async (request, res) => {
    await gate;
    created()(request, res);
  });
  const { c } = client();
  const events = recordEvents(c);
  const one = c.fetch('pay', server.url, POST);
  const two = c.fetch('pay', server.url, POST);
  const three = c.fetch('pay', server.url, POST);
  await server.received(1);
  open();
  const outcomes = await Promise.all([one, two, three]);
  assert.equal(outcomes[1], outcomes[0]);
  assert.equal(outcomes[2], outcomes[0]);
  assert.equal(server.requests.length, 1);
  assert.equal(events.filter(([t]) => t === 'duplicate').length, 2);
  assert.equal(events.filter(([t]) => t === 'attempt').length, 1);
});

test('different actions run side by side, each with its own key', async () => {
  const server = await serve(answers(created()));
  const { c } = client();
  const [a, b] = await Promise.all([c.fetch('pay:1', server.url, POST), c.fetch('pay:2', server.url, POST)]);
  assert.notEqual(a.key, b.key);
  assert.equal(server.requests.length, 2);
});

test('a reload resumes the action with its kept key and data', async () => {
  const storage = memoryStorage();
  const server = await serve(answers(lostAnswer(), created(true)));
  const before = client({ storage, with: { maxAttempts: 1 } }).c;
  const first = await before.fetch({ name: 'pay', data: { amountCents: 1250 } }, server.url, POST);
  assert.equal(first.kind, 'unknown');
  // The page is loaded again: a new client over the same storage.
  const after = client({ storage }).c;
  assert.deepEqual(after.pending('pay').data, { amountCents: 1250 });
  const second = await after.fetch('pay', server.url, POST);
  assert.equal(second.kind, 'succeeded');
  assert.equal(second.key, first.key);
});

test('a kept key older than keyLifetimeMs (24 h) is dropped: the action starts afresh', async () => {
  const server = await serve(answers(problem(503, 'x'), created()));
  const time = fakeTime();
  const { c } = client({ time, with: { maxAttempts: 1 } });
  const first = await c.fetch('pay', server.url, POST);
  time.advance(24 * 60 * 60 * 1000);
  assert.equal(c.pending('pay'), null);
  const second = await c.fetch('pay', server.url, POST);
  assert.notEqual(second.key, first.key);
});

test('an abort by the caller ends the call: unknown, the key kept', async () => {
  const server = await serve(answers(silence()));
  const { c } = client();
  const abort = new AbortController();
  const call = c.fetch('pay', server.url, { ...POST, signal: abort.signal });
  await server.received(1);
  abort.abort();
  const outcome = await call;
  assert.equal(outcome.kind, 'unknown');
  assert.equal(outcome.reason, 'aborted');
  assert.equal(c.pending('pay').key, outcome.key);
  assert.equal(server.requests.length, 1);
});

test('a one-shot (stream) body is never sent twice', async () => {
  const server = await serve(answers(problem(503, 'x'), created()));
  const { c } = client();
  const body = new ReadableStream({ start(controller) { controller.enqueue(new TextEncoder().encode('{}')); controller.close(); } });
  const outcome = await c.fetch('upload', server.url, { method: 'POST', body, duplex: 'half' });
  assert.equal(outcome.kind, 'unknown');
  assert.equal(outcome.reason, 'not-retryable');
  assert.equal(server.requests.length, 1);
});

test('events: key, attempt, retry, attempt, outcome', async () => {
  const server = await serve(answers(problem(503, 'x'), created()));
  const { c } = client({ with: { random: () => 0.5 } });
  const events = recordEvents(c);
  const outcome = await c.fetch('pay', server.url, POST);
  assert.deepEqual(events.map(([t]) => t), ['key', 'attempt', 'retry', 'attempt', 'outcome']);
  assert.deepEqual(events[2][1], { action: 'pay', key: outcome.key, attempt: 2, delayMs: 50, status: 503, error: null });
  assert.equal(events[4][1].outcome, outcome);
});

test('bad arguments are refused before anything is sent', async () => {
  const server = await serve(answers(created()));
  const { c } = client();
  await assert.rejects(c.fetch('', server.url, POST), TypeError);
  await assert.rejects(c.fetch(42, server.url, POST), TypeError);
  await assert.rejects(c.fetch('pay', 'not a url', POST), TypeError);
  await assert.rejects(c.fetch('pay', server.url, { ...POST, headers: { 'Idempotency-Key': 'mine' } }), /Idempotency-Key/);
  await assert.rejects(c.fetch('pay', server.url, null), TypeError);
  assert.equal(server.requests.length, 0);
  assert.throws(() => new IdempotencyClient({ maxAttempts: 0 }), RangeError);
  assert.throws(() => new IdempotencyClient({ maxAttempts: 1.5 }), TypeError);
  assert.throws(() => new IdempotencyClient({ deadlineMs: 0 }), RangeError);
  assert.throws(() => new IdempotencyClient({ baseDelayMs: -1 }), RangeError);
  assert.throws(() => new IdempotencyClient({ attemptTimeoutMs: 2 ** 31 }), RangeError);
  assert.throws(() => new IdempotencyClient({ baseDelayMs: 500, maxDelayMs: 100 }), /baseDelayMs 500 is greater than maxDelayMs 100/);
  assert.throws(() => new IdempotencyClient({ storage: {} }), TypeError);
  assert.throws(() => new IdempotencyClient({ locks: {} }), TypeError);
  assert.throws(() => new IdempotencyClient({ fetch: 'fetch' }), TypeError);
});

test('an unreadable kept key refuses the action until forget(), and nothing is sent', async () => {
  const server = await serve(answers(created()));
  const storage = memoryStorage();
  storage.setItem('idempotency:pay', '{"key": oops');
  const { c } = client({ storage });
  await assert.rejects(c.fetch('pay', server.url, POST), (e) => e instanceof IdempotencyKeyStoreError && /forget/.test(e.message));
  assert.throws(() => c.pending('pay'), IdempotencyKeyStoreError);
  assert.equal(server.requests.length, 0);
  c.forget('pay');
  assert.equal((await c.fetch('pay', server.url, POST)).kind, 'succeeded');
});

test('a key that cannot be kept (storage full) is not sent', async () => {
  const server = await serve(answers(created()));
  const full = { getItem: () => null, setItem: () => { throw new Error('QuotaExceededError'); }, removeItem: () => {} };
  const { c } = client({ storage: full });
  await assert.rejects(c.fetch('pay', server.url, POST), IdempotencyKeyStoreError);
  assert.equal(server.requests.length, 0);
});

test('a success forgets only its own key: another run\'s key put there since stays', async () => {
  const storage = memoryStorage();
  let open;
  const gate = new Promise((resolve) => { open = resolve; });
  const server = await serve(async (request, res) => { await gate; created()(request, res); });
  const { c } = client({ storage });
  const call = c.fetch('pay', server.url, POST);
  await server.received(1);
  storage.setItem('idempotency:pay', JSON.stringify({ key: 'another-key', createdAt: fakeTime().clock(), data: null }));
  open();
  assert.equal((await call).kind, 'succeeded');
  assert.equal(c.pending('pay').key, 'another-key');
});

test('an answer other than 2xx whose body never ends is judged by its status once the attempt times out', async () => {
  const stalled = (code) => (request, res) => {
    res.writeHead(code, { 'Content-Type': 'application/problem+json', 'Content-Length': '100' });
    res.write('{"title":');
  };
  const server = await serve(answers(stalled(503), stalled(422)));
  const { c } = client({ with: { attemptTimeoutMs: 50 } });
  const events = recordEvents(c);
  const outcome = await c.fetch('pay', server.url, POST);
  assert.equal(outcome.kind, 'definitely-failed');
  assert.equal(outcome.status, 422);
  assert.equal(outcome.text, undefined);
  assert.equal(outcome.problem, null);
  assert.equal(events.find(([t]) => t === 'retry')[1].status, 503, 'a 503 all the same, not "no answer"');
});
