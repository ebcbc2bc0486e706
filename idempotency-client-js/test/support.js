// Test helpers: a real HTTP server on 127.0.0.1 that answers as each test scripts it, time that
// tests move by hand, a seeded random, and a lock manager with the Web Locks semantics the
// client uses (Node has no navigator.locks).
import http from 'node:http';
import { webcrypto } from 'node:crypto';
import { once } from 'node:events';

// Node 18 (Debian 12's) has no global Web Crypto; Node 20 and browsers have it.
if (!globalThis.crypto) globalThis.crypto = webcrypto;

/**
 * Starts a server whose answer to the n-th request (0-based) is `script(request, res, n)`.
 * `requests` records every request that reached it: method, url, key, body.
 */
export async function scriptedServer(script) {
  const requests = [];
  const waiters = [];
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const request = {
      method: req.method, url: req.url, key: req.headers['idempotency-key'] ?? null,
      body: Buffer.concat(chunks).toString('utf8'), headers: req.headers,
    };
    const n = requests.length;
    requests.push(request);
    for (const w of waiters.splice(0)) w();
    try {
      await script(request, res, n);
    } catch (e) {
      res.destroy(e);
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${server.address().port}/payments`;
  return {
    url,
    requests,
    keys: () => requests.map((r) => r.key),
    /** Resolves once at least `count` requests have arrived. */
    async received(count) {
      while (requests.length < count) await new Promise((resolve) => waiters.push(resolve));
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/** A script that answers each request with the next of `answers` (the last one repeats). */
export function answers(...list) {
  return (request, res, n) => list[Math.min(n, list.length - 1)](request, res, n);
}

export function status(code, headers = {}, body = '') {
  return (request, res) => {
    res.writeHead(code, headers);
    res.end(body);
  };
}

export function problem(code, title, extraHeaders = {}) {
  const body = JSON.stringify({ type: `https://idempotency.dev/problems/test-${code}`, title, status: code, detail: `a ${code}` });
  return status(code, { 'Content-Type': 'application/problem+json', ...extraHeaders }, body);
}

export const created = (replayed = false) => status(201,
  { 'Content-Type': 'application/json', ...(replayed ? { 'Idempotent-Replayed': 'true' } : {}) },
  JSON.stringify({ id: 'p-1', amountCents: 1250 }));

/** The connection closes before any byte of an answer: the request may have run. */
export const lostAnswer = () => (request, res) => res.socket.destroy();

/** A 200 whose body stops half-way: no answer, as the contract counts it. */
export const cutBody = () => (request, res) => {
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '100' });
  res.write('{"id":"p-1",');
  setImmediate(() => res.socket.destroy());
};

/** Never answers (until the server closes): the client's attempt timeout ends the attempt. */
export const silence = () => () => {};

/**
 * A script that behaves as the server's guard does: the first request with a key runs (once
 * `gate` opens, if given) and its 201 is stored; a repeat while it runs gets 409 with
 * Retry-After; a repeat after it gets the stored answer with Idempotent-Replayed: true.
 */
export function idempotentServer() {
  const records = new Map();
  let open = null;
  let opened = Promise.resolve();
  const state = {
    executions: 0,
    hold() { opened = new Promise((resolve) => { open = resolve; }); },
    release() { open?.(); },
    async script(request, res) {
      const record = records.get(request.key);
      if (record?.done) return status(201, { 'Content-Type': 'application/json', 'Idempotent-Replayed': 'true' }, record.body)(request, res);
      if (record) return problem(409, 'in progress', { 'Retry-After': '1' })(request, res);
      records.set(request.key, {});
      await opened;
      state.executions += 1;
      const body = JSON.stringify({ id: `p-${state.executions}` });
      records.set(request.key, { done: true, body });
      return status(201, { 'Content-Type': 'application/json' }, body)(request, res);
    },
  };
  return state;
}

/**
 * Time the test moves: `now` (monotonic) and `clock` (wall) advance only when the client sleeps,
 * by exactly the wait it asked for; `sleeps` lists those waits.
 */
export function fakeTime(wallStart = Date.parse('2026-12-01T19:52:00Z')) {
  let mono = 0;
  let wall = wallStart;
  const sleeps = [];
  return {
    sleeps,
    now: () => mono,
    clock: () => wall,
    advance(ms) { mono += ms; wall += ms; },
    async sleep(ms, signal) {
      if (signal?.aborted) throw signal.reason;
      sleeps.push(ms);
      mono += ms;
      wall += ms;
    },
  };
}

/** mulberry32: a small seeded generator of numbers in [0, 1). */
export function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A LockManager with the semantics of Web Locks that the client relies on: exclusive and shared
 * modes, requests granted in order, ifAvailable, signal, release when the callback's promise
 * settles, and query() as one snapshot of the held locks. Two clients given one instance are two
 * tabs of one origin.
 */
export function fakeLockManager() {
  const held = [];
  const queue = [];
  const grantable = (name, mode) => {
    const same = held.filter((l) => l.name === name);
    return mode === 'shared' ? same.every((l) => l.mode === 'shared') : same.length === 0;
  };
  const pump = () => {
    for (const entry of [...queue]) {
      const first = queue.find((q) => q.name === entry.name);
      if (first !== entry || !grantable(entry.name, entry.mode)) continue;
      queue.splice(queue.indexOf(entry), 1);
      held.push(entry.lock);
      entry.grant();
    }
  };
  return {
    held,
    async query() {
      await Promise.resolve();
      return { held: held.map(({ name, mode }) => ({ name, mode, clientId: 'fake' })), pending: queue.map(({ name, mode }) => ({ name, mode })) };
    },
    async request(name, options, callback) {
      if (typeof options === 'function') {
        callback = options;
        options = {};
      }
      const mode = options.mode ?? 'exclusive';
      const lock = { name, mode };
      await Promise.resolve();
      if (grantable(name, mode) && !queue.some((q) => q.name === name)) {
        held.push(lock);
      } else if (options.ifAvailable) {
        return callback(null);
      } else {
        await new Promise((grant, reject) => {
          const entry = { name, mode, lock, grant };
          queue.push(entry);
          options.signal?.addEventListener('abort', () => {
            const i = queue.indexOf(entry);
            if (i < 0) return;
            queue.splice(i, 1);
            reject(options.signal.reason);
          }, { once: true });
        });
      }
      try {
        return await callback(lock);
      } finally {
        held.splice(held.indexOf(lock), 1);
        pump();
      }
    },
  };
}

/** Records the client's events as [type, detail] pairs. */
export function recordEvents(client) {
  const events = [];
  for (const type of ['key', 'attempt', 'retry', 'outcome', 'duplicate', 'wait']) {
    client.addEventListener(type, (e) => events.push([type, e.detail]));
  }
  return events;
}
