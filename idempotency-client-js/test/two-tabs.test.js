// Two tabs of one origin, as a unit: two clients over one shared storage (localStorage) and one
// lock manager with the Web Locks semantics. The real proof is the Chromium two-window test in
// idempotency-examples (PaymentPageBrowserTest).
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { IdempotencyClient, memoryStorage } from '../idempotency.js';
import { fakeLockManager, fakeTime, idempotentServer, recordEvents, scriptedServer } from './support.js';

const POST = { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"amountCents":1250}' };

const servers = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function setUp() {
  const guard = idempotentServer();
  const server = await scriptedServer(guard.script);
  servers.push(server);
  const storage = memoryStorage();
  const locks = fakeLockManager();
  const tab = () => {
    const time = fakeTime();
    return new IdempotencyClient({ storage, locks, now: time.now, clock: time.clock, sleep: time.sleep });
  };
  return { guard, server, storage, locks, tab };
}

test('a tab that calls while another runs the action waits, then sends the same key: one payment', async () => {
  const { guard, server, tab } = await setUp();
  const [a, b] = [tab(), tab()];
  const waits = recordEvents(b);
  guard.hold();
  const first = a.fetch('pay', server.url, POST);
  await server.received(1);
  const second = b.fetch('pay', server.url, POST);
  // b sends nothing while a runs.
  while (!waits.some(([t]) => t === 'wait')) await new Promise((resolve) => setImmediate(resolve));
  assert.equal(server.requests.length, 1);
  guard.release();
  const [one, two] = await Promise.all([first, second]);
  assert.equal(one.kind, 'succeeded');
  assert.equal(one.replayed, false);
  // a succeeded and forgot the key before b sent; b still sent it, and got the stored answer.
  assert.equal(two.kind, 'succeeded');
  assert.equal(two.replayed, true);
  assert.equal(two.key, one.key);
  assert.deepEqual(new Set(server.keys()), new Set([one.key]));
  assert.equal(guard.executions, 1);
  assert.equal(a.pending('pay'), null);
});

test('two tabs that call at the same moment send one key', async () => {
  const { guard, server, tab } = await setUp();
  const clients = [tab(), tab(), tab()];
  const outcomes = await Promise.all(clients.map((c) => c.fetch('pay', server.url, POST)));
  assert.equal(new Set(outcomes.map((o) => o.key)).size, 1);
  assert.equal(new Set(server.keys()).size, 1);
  assert.equal(guard.executions, 1);
  assert.ok(outcomes.every((o) => o.kind === 'succeeded'), JSON.stringify(outcomes.map((o) => o.kind)));
});

test('when the running tab stops without an answer, the waiting one carries on with the same key', async () => {
  const { guard, server, tab } = await setUp();
  const [a, b] = [tab(), tab()];
  guard.hold();
  const abort = new AbortController();
  const first = a.fetch('pay', server.url, { ...POST, signal: abort.signal });
  await server.received(1);
  const second = b.fetch('pay', server.url, POST);
  abort.abort(); // as a tab that closes: its locks go, its request goes on on the server
  assert.equal((await first).kind, 'unknown');
  const waiting = await second;
  assert.equal(waiting.kind, 'in-progress', 'the first request still runs on the server');
  assert.equal(waiting.key, (await first).key);
  guard.release();
  while (guard.executions === 0) await new Promise((resolve) => setImmediate(resolve));
  const again = await b.fetch('pay', server.url, POST);
  assert.equal(again.kind, 'succeeded');
  assert.equal(again.replayed, true);
  assert.deepEqual(new Set(server.keys()), new Set([waiting.key]));
  assert.equal(guard.executions, 1);
});

test('a call after the other tab\'s run has ended is a run of its own', async () => {
  const { guard, server, tab } = await setUp();
  const [a, b] = [tab(), tab()];
  const one = await a.fetch('pay', server.url, POST);
  const two = await b.fetch('pay', server.url, POST);
  assert.notEqual(two.key, one.key, 'the action succeeded and its key is gone: a new action');
  assert.equal(guard.executions, 2);
});

test('different actions in two tabs do not wait for each other', async () => {
  const { guard, server, tab } = await setUp();
  const [a, b] = [tab(), tab()];
  guard.hold();
  const first = a.fetch('pay:1', server.url, POST);
  const second = b.fetch('pay:2', server.url, POST);
  await server.received(2);
  guard.release();
  const [one, two] = await Promise.all([first, second]);
  assert.notEqual(one.key, two.key);
  assert.equal(guard.executions, 2);
});

test('an abort while waiting for the other tab ends the call: unknown, nothing sent', async () => {
  const { guard, server, tab } = await setUp();
  const [a, b] = [tab(), tab()];
  guard.hold();
  const first = a.fetch('pay', server.url, POST);
  await server.received(1);
  const abort = new AbortController();
  const events = recordEvents(b);
  const second = b.fetch('pay', server.url, { ...POST, signal: abort.signal });
  while (!events.some(([t]) => t === 'wait')) await new Promise((resolve) => setImmediate(resolve));
  abort.abort();
  const outcome = await second;
  assert.equal(outcome.kind, 'unknown');
  assert.equal(outcome.reason, 'aborted');
  assert.equal(outcome.attempts, 0);
  guard.release();
  await first;
  assert.equal(server.requests.length, 1);
});
