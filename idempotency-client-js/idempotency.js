// The browser half of the Idempotency-Key contract (docs/CONTRACT.md, "Client"): one key per
// business action, kept until the action succeeds or definitively fails, retries of what is safe
// with that same key, and an outcome the caller switches on. One ES module, no dependencies, no
// build step: <script type="module"> in a browser, or Node 18+ with its own fetch.

// Defaults, the same as the Java client's RetryPolicy so both halves of the pair behave alike.
// One first attempt and four retries: with full jitter from 100 ms the four waits add up to at
// most 1.5 s (0.75 s on average), or more when the server sends Retry-After.
const MAX_ATTEMPTS = 5;
// The AWS SDK for Java 2.x standard retry mode starts at 100 ms...
const BASE_DELAY_MS = 100;
// ...and caps a wait at 20 s; 10 s leaves room for attempts within the 30 s deadline.
const MAX_DELAY_MS = 10_000;
// A server that asks for more than a minute is better served by the user trying later.
const MAX_RETRY_AFTER_MS = 60_000;
// No wait ends later than this after the first attempt: a person is waiting for the answer.
const DEADLINE_MS = 30_000;
// fetch has no timeout of its own; OkHttp's are 10 s, and so is this one (headers and body).
const ATTEMPT_TIMEOUT_MS = 10_000;
// The server keeps a completed key's answer 24 h (its retention): a kept key older than that
// would only be answered as a new request, so a new key is made instead.
const KEY_LIFETIME_MS = 24 * 60 * 60 * 1000;
// An HTTP-date is 24 to 29 characters; this leaves room for any whitespace a sender adds and
// bounds the work spent on a value that is not a date (as dev.idempotency.contract.RetryAfter).
const MAX_DATE_LENGTH = 128;
// setTimeout fires at once for a delay above 2^31 - 1 ms, so no wait or timeout may be longer.
const MAX_TIMER_MS = 2 ** 31 - 1;

// Where kept keys live in the Storage, and the names of the Web Locks (see "Two tabs" below).
const PREFIX = 'idempotency:';
const KEY_LOCK_PREFIX = 'idempotency-key:';
const BUSY = Symbol('busy');

/**
 * Runs business actions over fetch as the contract says. One per page is enough; its calls for
 * different actions run independently. See README.md for the table of outcomes.
 */
export class IdempotencyClient extends EventTarget {
  #storage;
  #fetch;
  #locks;
  #now;
  #clock;
  #sleep;
  #random;
  #maxAttempts;
  #baseDelayMs;
  #maxDelayMs;
  #maxRetryAfterMs;
  #deadlineMs;
  #attemptTimeoutMs;
  #keyLifetimeMs;
  /** action name -> the promise of its run in this page: a second call joins it. */
  #running = new Map();

  constructor(options = {}) {
    super();
    if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
    const o = options;
    this.#storage = o.storage === undefined ? defaultStorage() : checkStorage(o.storage);
    this.#fetch = optionalFunction(o, 'fetch') ?? globalFetch();
    this.#locks = o.locks === undefined ? globalThis.navigator?.locks ?? null : checkLocks(o.locks);
    this.#now = optionalFunction(o, 'now') ?? (() => performance.now());
    this.#clock = optionalFunction(o, 'clock') ?? (() => Date.now());
    this.#sleep = optionalFunction(o, 'sleep') ?? sleep;
    this.#random = optionalFunction(o, 'random') ?? Math.random;
    this.#maxAttempts = integer(o, 'maxAttempts', MAX_ATTEMPTS, 1);
    this.#baseDelayMs = duration(o, 'baseDelayMs', BASE_DELAY_MS);
    this.#maxDelayMs = duration(o, 'maxDelayMs', MAX_DELAY_MS, false, MAX_TIMER_MS);
    this.#maxRetryAfterMs = duration(o, 'maxRetryAfterMs', MAX_RETRY_AFTER_MS, false, MAX_TIMER_MS);
    this.#deadlineMs = duration(o, 'deadlineMs', DEADLINE_MS, true);
    this.#attemptTimeoutMs = duration(o, 'attemptTimeoutMs', ATTEMPT_TIMEOUT_MS, true, MAX_TIMER_MS);
    this.#keyLifetimeMs = duration(o, 'keyLifetimeMs', KEY_LIFETIME_MS, true);
    if (this.#baseDelayMs > this.#maxDelayMs) {
      throw new RangeError(`baseDelayMs ${this.#baseDelayMs} is greater than maxDelayMs ${this.#maxDelayMs}`);
    }
    if (this.#fetch === null) throw new TypeError('no fetch: pass options.fetch');
  }

  /** True when calls of one action in two tabs of this origin are coordinated (Web Locks). */
  get crossTab() {
    return this.#locks !== null;
  }

  /**
   * Sends the request for `action` with the action's Idempotency-Key and follows the contract's
   * client table until it has an outcome. `action` is the action's name, or `{ name, data }`:
   * `data` (JSON) is kept with a new key, for `pending()` to give back after a reload. Resolves
   * to an outcome and never rejects for an HTTP answer or a network failure; rejects with a
   * TypeError for bad arguments and an IdempotencyKeyStoreError when the key cannot be kept,
   * both before anything is sent. A call for an action already running in this page sends
   * nothing and resolves to that run's outcome ("duplicate" event).
   */
  fetch(action, input, init = {}) {
    let name;
    let data;
    let request;
    try {
      ({ name, data } = actionOf(action));
      request = prepare(input, init);
    } catch (e) {
      return Promise.reject(e);
    }
    const running = this.#running.get(name);
    if (running) {
      this.#emit('duplicate', { action: name });
      return running;
    }
    const run = this.#coordinated(name, data, request);
    this.#running.set(name, run);
    const done = () => this.#running.delete(name);
    run.then(done, done);
    return run;
  }

  /**
   * The key kept for `action` and the data kept with it, `{ key, createdAt, data }`, or null if
   * none is kept (never run, succeeded, definitively failed, forgotten or expired).
   */
  pending(action) {
    return this.#load(actionOf(action).name);
  }

  /** Drops the kept key of `action`: its next call starts afresh with a new key. */
  forget(action) {
    const name = actionOf(action).name;
    try {
      this.#storage.removeItem(PREFIX + name);
    } catch (e) {
      throw new IdempotencyKeyStoreError(`the key of action "${name}" cannot be removed: ${e?.message ?? e}`, e);
    }
  }

  // ---- two tabs --------------------------------------------------------------------------
  // Web Locks, not BroadcastChannel: the lock manager is one consistent place for the whole
  // origin, a tab that closes or reloads releases its locks at once, and a snapshot (query())
  // shows every lock held at one instant. Messages on a BroadcastChannel, and another tab's view
  // of a Storage, arrive in no fixed order with a lock's grant, and a closed tab sends none.
  //
  // A run holds the exclusive lock "idempotency:<action>" and, once it knows its key, a shared
  // lock named after the action and the key, which it gives up only after the first. A call that
  // finds such a key lock held joins that run: it waits for the exclusive lock, then sends the
  // same key. If the run succeeded meanwhile, the server answers with its stored answer; if its
  // tab went away, the action carries on with its key. A call that finds neither lock held runs
  // itself. So two tabs running one action at once send one key, and the key is not lost when a
  // run succeeds and forgets it while the other tab waits.

  async #coordinated(name, data, request) {
    const locks = this.#locks;
    if (locks === null) return this.#run(name, data, request, null, null);
    const signal = request.signal;
    try {
      for (;;) {
        const joined = runningKey(await locks.query(), name);
        if (joined !== null) {
          this.#emit('wait', { action: name, key: joined });
          return await this.#locked(name, signal ? { signal } : {},
            (lock, holdKey) => this.#run(name, data, request, joined, holdKey));
        }
        const result = await this.#locked(name, { ifAvailable: true },
          (lock, holdKey) => (lock ? this.#run(name, data, request, null, holdKey) : BUSY));
        if (result !== BUSY) return result;
        // Another tab took the lock between the snapshot and the request: look again.
      }
    } catch (e) {
      if (signal?.aborted) return this.#end(unknown(name, null, 0, 'aborted', null, signal.reason ?? e, null));
      throw e;
    }
  }

  /**
   * Runs `work(lock, holdKey)` holding the action's exclusive lock. `holdKey(key)` takes the
   * shared key lock, which is given up only once the exclusive lock is.
   */
  async #locked(name, options, work) {
    const locks = this.#locks;
    let releaseKeyLock = () => {};
    const keyLockReleased = new Promise((resolve) => { releaseKeyLock = resolve; });
    const holdKey = (key) => new Promise((granted, failed) => {
      locks.request(KEY_LOCK_PREFIX + JSON.stringify([name, key]), { mode: 'shared' }, () => {
        granted();
        return keyLockReleased;
      }).catch(failed);
    });
    try {
      // request() settles once the lock is released again.
      return await locks.request(PREFIX + name, options, (lock) => work(lock, holdKey));
    } finally {
      releaseKeyLock();
    }
  }

  // ---- one run ---------------------------------------------------------------------------

  /** Picks the key (the joined run's, the kept one, or a new one) and sends with it. */
  async #run(name, data, request, joinedKey, holdKey) {
    const kept = this.#load(name);
    let key;
    if (joinedKey !== null) {
      key = joinedKey;
      if (kept?.key !== key) this.#save(name, { key, createdAt: this.#clock(), data: data ?? kept?.data ?? null });
    } else if (kept) {
      key = kept.key;
    } else {
      key = newKey();
      this.#save(name, { key, createdAt: this.#clock(), data: data ?? null });
    }
    this.#emit('key', { action: name, key, reused: joinedKey !== null || kept !== null });
    if (holdKey) await holdKey(key);
    return this.#send(name, key, request);
  }

  async #send(name, key, request) {
    const start = this.#now();
    const { base, oneShot, signal } = request;
    for (let attempts = 1; ; attempts += 1) {
      if (signal?.aborted) return this.#end(unknown(name, key, attempts - 1, 'aborted', null, signal.reason, null));
      this.#emit('attempt', { action: name, key, attempt: attempts });
      const { response, text, failure, timedOut } = await this.#attempt(base, key, signal);
      if (signal?.aborted) {
        return this.#end(unknown(name, key, attempts, 'aborted', response?.status ?? null, signal.reason, response));
      }
      const status = response && failure === null ? response.status : null;
      let retryAfterMs = null;
      if (status !== null) {
        const directive = directiveFor(status);
        if (directive === 'succeeded') {
          this.#forget(name, key);
          const replayed = (response.headers.get('Idempotent-Replayed') ?? '').trim().toLowerCase() === 'true';
          return this.#end({ kind: 'succeeded', action: name, key, attempts, status, replayed, response, text });
        }
        if (directive === 'in-progress') {
          const body = text;
          return this.#end({
            kind: 'in-progress', action: name, key, attempts, status,
            retryAfterMs: parseRetryAfter(response.headers.get('Retry-After'), this.#clock()),
            problem: problemOf(response, body), response, text: body,
          });
        }
        if (directive === 'definitely-failed') {
          this.#forget(name, key);
          const body = text;
          return this.#end({
            kind: 'definitely-failed', action: name, key, attempts, status,
            problem: problemOf(response, body), response, text: body,
          });
        }
        retryAfterMs = parseRetryAfter(response.headers.get('Retry-After'), this.#clock());
      }
      // Retry with the same key, if every bound allows it.
      let giveUp = null;
      let delayMs = 0;
      if (oneShot) {
        giveUp = 'not-retryable';
      } else if (attempts >= this.#maxAttempts) {
        giveUp = 'max-attempts';
      } else {
        delayMs = retryAfterMs !== null
          ? Math.min(retryAfterMs, this.#maxRetryAfterMs)
          : fullJitterDelay(attempts, this.#baseDelayMs, this.#maxDelayMs, this.#random);
        if (delayMs > this.#deadlineMs - (this.#now() - start)) giveUp = 'deadline';
      }
      if (giveUp !== null) {
        return this.#end(unknown(name, key, attempts, giveUp, status, failure, status !== null ? response : null,
          text, status !== null ? problemOf(response, text) : null));
      }
      this.#emit('retry', {
        action: name, key, attempt: attempts + 1, delayMs,
        status, error: status === null ? (timedOut ? 'timeout' : 'network') : null,
      });
      try {
        await this.#sleep(delayMs, signal);
      } catch (e) {
        if (signal?.aborted) return this.#end(unknown(name, key, attempts, 'aborted', status, signal.reason, null));
        throw e;
      }
    }
  }

  /**
   * One HTTP attempt, its body read within the attempt's timeout: a 2xx counts only once its
   * whole body has been read; any other answer's body is only for the caller, its status decides.
   */
  async #attempt(base, key, signal) {
    const abort = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; abort.abort(); }, this.#attemptTimeoutMs);
    const onAbort = () => abort.abort(signal.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    let response = null;
    try {
      const request = base.clone();
      request.headers.set('Idempotency-Key', key);
      response = await this.#fetch(request, { signal: abort.signal });
      // Read whole, also before a retry: the connection is free again for the next attempt.
      const text = await response.text();
      return { response, text, failure: null, timedOut };
    } catch (failure) {
      if (response !== null && !(response.status >= 200 && response.status < 300)) {
        return { response, text: undefined, failure: null, timedOut };
      }
      return { response: null, text: undefined, failure, timedOut };
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  #end(outcome) {
    const frozen = Object.freeze(outcome);
    this.#emit('outcome', { action: frozen.action, outcome: frozen });
    return frozen;
  }

  // ---- the key store ---------------------------------------------------------------------

  #load(name) {
    let raw;
    try {
      raw = this.#storage.getItem(PREFIX + name);
    } catch (e) {
      throw new IdempotencyKeyStoreError(`the key of action "${name}" cannot be read: ${e?.message ?? e}`, e);
    }
    if (raw === null || raw === undefined) return null;
    let record = null;
    try {
      record = JSON.parse(raw);
    } catch (e) {
      // unreadable: refused below
    }
    if (!record || typeof record !== 'object' || !isKey(record.key) || !Number.isFinite(record.createdAt)) {
      throw new IdempotencyKeyStoreError(`the kept key of action "${name}" is unreadable; `
        + 'forget(action) clears it, and the action then starts afresh with a new key');
    }
    if (this.#clock() - record.createdAt >= this.#keyLifetimeMs) {
      try {
        this.#storage.removeItem(PREFIX + name);
      } catch (e) {
        // expired either way
      }
      return null;
    }
    return { key: record.key, createdAt: record.createdAt, data: record.data ?? null };
  }

  #save(name, record) {
    try {
      this.#storage.setItem(PREFIX + name, JSON.stringify(record));
    } catch (e) {
      throw new IdempotencyKeyStoreError(`the key of action "${name}" cannot be kept, so nothing was sent: `
        + `${e?.message ?? e}`, e);
    }
  }

  /** Forgets the action's key, unless another run has put another key there since. */
  #forget(name, key) {
    try {
      const raw = this.#storage.getItem(PREFIX + name);
      if (raw !== null && JSON.parse(raw)?.key === key) this.#storage.removeItem(PREFIX + name);
    } catch (e) {
      // The action ended; a key that could not be removed expires with its lifetime.
    }
  }

  #emit(type, detail) {
    this.dispatchEvent(new IdempotencyEvent(type, detail));
  }
}

/** An event of an IdempotencyClient: `type` names it, `detail` says what happened. */
export class IdempotencyEvent extends Event {
  constructor(type, detail) {
    super(type);
    this.detail = detail;
  }
}

/** The key of an action cannot be read, kept or removed; nothing was sent. */
export class IdempotencyKeyStoreError extends Error {
  constructor(message, cause) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'IdempotencyKeyStoreError';
  }
}

/** A Storage (getItem, setItem, removeItem) that lives as long as the page: no reload survives. */
export function memoryStorage() {
  const items = new Map();
  return {
    getItem: (k) => (items.has(String(k)) ? items.get(String(k)) : null),
    setItem: (k, v) => { items.set(String(k), String(v)); },
    removeItem: (k) => { items.delete(String(k)); },
  };
}

/**
 * The wait a Retry-After value asks for (RFC 9110 section 10.2.3), in milliseconds from `nowMs`:
 * delay-seconds, or an HTTP-date read leniently as dev.idempotency.contract.RetryAfter reads it
 * (IMF-fixdate, RFC 850 and asctime; a one- or two-digit day, as Java's RFC_1123_DATE_TIME writes
 * it; any run of spaces and tabs; names in any case; the day name short, full or left out; the
 * seconds left out; GMT, UT, UTC or a numeric offset). A date in the past is 0. Null when the
 * value is absent, negative or not one of the forms, a day name that does not match its date or
 * an impossible date included.
 */
export function parseRetryAfter(value, nowMs) {
  if (typeof nowMs !== 'number' || !Number.isFinite(nowMs)) throw new TypeError('nowMs must be a finite number');
  if (value === null || value === undefined) return null;
  // As Java's String.trim(): the ASCII controls and the space, nothing else.
  const v = String(value).replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '');
  if (v === '') return null;
  if (/^[0-9]+$/.test(v)) return Math.min(Number(v) * 1000, Number.MAX_SAFE_INTEGER);
  if (v.length > MAX_DATE_LENGTH) return null;
  const at = parseHttpDate(v, nowMs);
  return at === null ? null : Math.max(0, at - nowMs);
}

/**
 * Full-jitter exponential backoff ("Exponential Backoff And Jitter", AWS Architecture Blog): the
 * wait after the `attempt`-th attempt, uniformly random in [0, min(maxMs, baseMs * 2^(attempt-1))).
 * Spreading waits over the whole range keeps clients that failed together from retrying together.
 */
export function fullJitterDelay(attempt, baseMs, maxMs, random = Math.random) {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`attempt must be an integer >= 1, not ${attempt}`);
  const bound = Math.min(maxMs, baseMs * 2 ** Math.min(attempt - 1, 62));
  return Math.floor(random() * bound);
}

// ---- the contract's client table ---------------------------------------------------------

function directiveFor(status) {
  // fetch gives 0 for an opaque answer and never a 1xx; the contract defines 100..599. Anything
  // else is no answer this client understands, so it stops there, as the Java client does.
  if (status < 100 || status > 599) return 'definitely-failed';
  if (status >= 200 && status < 300) return 'succeeded';
  if (status >= 500 || status === 408 || status === 429) return 'retry';
  if (status === 409 || status === 425) return 'in-progress';
  return 'definitely-failed';
}

function unknown(action, key, attempts, reason, lastStatus, error, response, text, problem) {
  return {
    kind: 'unknown', action, key, attempts, reason, lastStatus,
    error: error ?? null, response: response ?? null, text, problem: problem ?? null,
  };
}

/** The key of the run another tab (or client) holds for `name`, from a Web Locks snapshot. */
function runningKey(snapshot, name) {
  for (const lock of snapshot?.held ?? []) {
    if (typeof lock.name !== 'string' || !lock.name.startsWith(KEY_LOCK_PREFIX)) continue;
    try {
      const [action, key] = JSON.parse(lock.name.slice(KEY_LOCK_PREFIX.length));
      if (action === name && isKey(key)) return key;
    } catch (e) {
      // not one of ours
    }
  }
  return null;
}

function actionOf(action) {
  const name = typeof action === 'string' ? action : action?.name;
  if (typeof name !== 'string') throw new TypeError('action must be a name or { name, data }');
  if (name === '') throw new TypeError('action name is empty');
  const data = typeof action === 'object' ? action.data : undefined;
  return { name, data };
}

/** Checks the request once, before anything is sent: a bad URL or header is a TypeError here. */
function prepare(input, init) {
  if (init === null || typeof init !== 'object') throw new TypeError('init must be an object');
  const { signal, ...rest } = init;
  if (signal !== undefined && signal !== null && typeof signal.aborted !== 'boolean') {
    throw new TypeError('init.signal must be an AbortSignal');
  }
  // Never sent as it is: each attempt sends a clone with the key set.
  const base = new Request(input, rest);
  if (base.headers.has('Idempotency-Key')) {
    throw new TypeError('the request has an Idempotency-Key already: the action\'s key is set by the client');
  }
  // A stream is read once; the contract never sends a one-shot body twice.
  const oneShot = typeof ReadableStream !== 'undefined' && rest.body instanceof ReadableStream;
  return { base, oneShot, signal: signal ?? null };
}

/** The RFC 9457 problem in the body, read tolerantly: an object, or null. */
function problemOf(response, text) {
  if (typeof text !== 'string' || text === '') return null;
  const type = (response.headers.get('Content-Type') ?? '').toLowerCase();
  if (!type.includes('json')) return null;
  try {
    const p = JSON.parse(text);
    return p !== null && typeof p === 'object' && !Array.isArray(p) ? p : null;
  } catch (e) {
    return null;
  }
}

// The contract's key syntax: 1 to 255 visible ASCII characters.
function isKey(key) {
  return typeof key === 'string' && /^[\x21-\x7e]{1,255}$/.test(key);
}

/** A random UUID v4: 122 random bits from the platform's cryptographic generator. */
function newKey() {
  const c = globalThis.crypto;
  if (typeof c?.randomUUID === 'function') return c.randomUUID();
  // randomUUID needs a secure context (https or loopback); getRandomValues does not.
  if (typeof c?.getRandomValues !== 'function') {
    throw new TypeError('no Web Crypto (crypto.getRandomValues): keys must come from a cryptographic generator');
  }
  const b = c.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    function onAbort() {
      clearTimeout(timer);
      reject(signal.reason);
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

// ---- options -----------------------------------------------------------------------------

/** localStorage, which every tab of the origin shares; memory where the page may not use it. */
function defaultStorage() {
  try {
    const s = globalThis.localStorage;
    if (s && typeof s.getItem === 'function') return s;
  } catch (e) {
    // a SecurityError where storage is blocked
  }
  return memoryStorage();
}

function checkStorage(storage) {
  for (const m of ['getItem', 'setItem', 'removeItem']) {
    if (typeof storage?.[m] !== 'function') throw new TypeError(`storage must have ${m}() (a Storage)`);
  }
  return storage;
}

function checkLocks(locks) {
  if (locks === null) return null;
  if (typeof locks?.request !== 'function' || typeof locks?.query !== 'function') {
    throw new TypeError('locks must be a LockManager (navigator.locks) or null');
  }
  return locks;
}

function globalFetch() {
  return typeof globalThis.fetch === 'function' ? globalThis.fetch.bind(globalThis) : null;
}

function optionalFunction(o, name) {
  const f = o[name];
  if (f === undefined) return undefined;
  if (typeof f !== 'function') throw new TypeError(`${name} must be a function`);
  return f;
}

function integer(o, name, fallback, min) {
  const n = o[name];
  if (n === undefined) return fallback;
  if (!Number.isInteger(n)) throw new TypeError(`${name} must be an integer, not ${n}`);
  if (n < min) throw new RangeError(`${name} must be at least ${min}, not ${n}`);
  return n;
}

function duration(o, name, fallback, positive = false, max = Infinity) {
  const n = o[name];
  if (n === undefined) return fallback;
  if (typeof n !== 'number' || Number.isNaN(n)) throw new TypeError(`${name} must be a number of milliseconds, not ${n}`);
  if (n < 0 || (positive && n === 0)) throw new RangeError(`${name} must be ${positive ? 'positive' : 'zero or more'}, not ${n}`);
  if (n > max) throw new RangeError(`${name} must be at most ${max} (a timer's limit), not ${n}`);
  return n;
}

// ---- HTTP-date, read leniently (a port of dev.idempotency.contract.RetryAfter) -------------

const SP = '[ \\t]+';
const TIME = '(\\d{1,2}):(\\d{2})(?::(\\d{2}))?';
/** IMF-fixdate and RFC 850 (and RFC 1123, 5322): [day-name ","] day month year time zone. */
const DAY_FIRST = new RegExp(`^(?:([a-z]+)[ \\t]*,[ \\t]*)?(\\d{1,2})(?:${SP}|-)([a-z]{3})(?:${SP}|-)(\\d{4}|\\d{2})`
  + `${SP}${TIME}${SP}(gmt|utc|ut|[+-]\\d{4})$`, 'i');
/** asctime: day-name month day time year, always GMT. */
const ASCTIME = new RegExp(`^([a-z]+)${SP}([a-z]{3})${SP}(\\d{1,2})${SP}${TIME}${SP}(\\d{4})$`, 'i');
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const DAY_MS = 86_400_000;

function parseHttpDate(v, nowMs) {
  let m = DAY_FIRST.exec(v);
  if (m) return dateOf(nowMs, m[1], m[4], m[3], m[2], m[5], m[6], m[7], m[8]);
  m = ASCTIME.exec(v);
  if (m) return dateOf(nowMs, m[1], m[7], m[2], m[3], m[4], m[5], m[6], 'GMT');
  return null;
}

function dateOf(nowMs, dayName, year, month, day, hour, minute, second, zone) {
  const mon = MONTHS.indexOf(month.toLowerCase()) + 1;
  if (mon === 0) return null;
  const h = Number(hour);
  const min = Number(minute);
  const s = second === undefined ? 0 : Number(second);
  // 24:00:00 is the end of the day (ISO 8601). Second 60 is a leap second, read as the next
  // minute's first.
  const endOfDay = h === 24 && min === 0 && s === 0;
  if ((h > 23 && !endOfDay) || min > 59 || s > 60) return null;
  const offsetMinutes = offsetOf(zone);
  if (offsetMinutes === null) return null;
  const d = Number(day);
  const y = year.length === 2 ? withinFiftyYears(Number(year), mon, d, nowMs, offsetMinutes) : Number(year);
  if (d < 1 || d > daysIn(y, mon)) return null;
  const midnight = utcDay(y, mon, 1) + (d - 1) * DAY_MS;
  if (dayName !== undefined && !names(new Date(midnight).getUTCDay(), dayName)) return null;
  const local = midnight + (endOfDay ? DAY_MS : ((h * 60 + min) * 60 + s) * 1000);
  return local - offsetMinutes * 60_000;
}

/**
 * RFC 9110 section 5.6.7: a two-digit year that appears to be more than 50 years in the future
 * is the most recent past year with those digits: of the years ending in `yy`, the one whose date
 * falls at most 50 years after today, and less than 50 years before it.
 */
function withinFiftyYears(yy, month, day, nowMs, offsetMinutes) {
  const today = new Date(nowMs + offsetMinutes * 60_000);
  const ty = today.getUTCFullYear();
  const tm = today.getUTCMonth() + 1;
  const td = Math.min(today.getUTCDate(), daysIn(ty + 50, tm)); // 29 February plus 50 years
  const limit = utcDay(ty + 50, tm, td);
  // The 1st of the month plus the days stands in for the date, so 29 February of a year without
  // one is refused once, by the caller, and not here.
  const dateIn = (y) => utcDay(y, month, 1) + (day - 1) * DAY_MS;
  let year = ty - (((ty % 100) + 100) % 100) + yy;
  if (dateIn(year) > limit) {
    year -= 100;
  } else if (dateIn(year + 100) <= limit) {
    year += 100;
  }
  return year;
}

/** Midnight UTC of a date, for every year (Date.UTC reads 0..99 as 1900..1999). */
function utcDay(y, month, d) {
  const date = new Date(0);
  date.setUTCFullYear(y, month - 1, d);
  return date.getTime();
}

function daysIn(y, month) {
  return new Date(utcDay(y, month + 1, 1) - DAY_MS).getUTCDate();
}

/** True if `name` is the day's name, short (Sun) or full (Sunday). */
function names(dayOfWeek, name) {
  const full = DAYS[dayOfWeek];
  const n = name.toLowerCase();
  return n === full || n === full.slice(0, 3);
}

/** Minutes east of GMT, or null for an offset java.time would refuse. */
function offsetOf(zone) {
  if (zone[0] !== '+' && zone[0] !== '-') return 0;
  const hours = Number(zone.slice(1, 3));
  const minutes = Number(zone.slice(3, 5));
  if (minutes > 59 || hours > 18 || (hours === 18 && minutes > 0)) return null;
  return (zone[0] === '-' ? -1 : 1) * (hours * 60 + minutes);
}
