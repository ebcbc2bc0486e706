// Types of idempotency.js. The module is plain JavaScript; these are for editors and TypeScript.

/** Something with the three methods of a Storage: localStorage, sessionStorage, memoryStorage(). */
export interface KeyStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** The part of the Web Locks LockManager (navigator.locks) the client uses. */
export interface Locks {
  request(name: string, options: { mode?: 'exclusive' | 'shared'; ifAvailable?: boolean; signal?: AbortSignal },
    callback: (lock: unknown) => unknown): Promise<unknown>;
  query(): Promise<{ held?: Array<{ name?: string }> }>;
}

export interface IdempotencyClientOptions {
  /** Where keys are kept. Default: localStorage (shared by the origin's tabs), else memory. */
  storage?: KeyStorage;
  /** Default: globalThis.fetch. */
  fetch?: (input: Request, init: { signal: AbortSignal }) => Promise<Response>;
  /** Coordinates tabs of one origin. Default: navigator.locks where there is one; null turns it off. */
  locks?: Locks | null;
  /** Attempts of one call, the first included. Default 5. */
  maxAttempts?: number;
  /** Full-jitter bound of the first retry, doubled for each further one. Default 100. */
  baseDelayMs?: number;
  /** The largest full-jitter bound. Default 10000. */
  maxDelayMs?: number;
  /** The longest wait a Retry-After gets; a longer one is cut to it. Default 60000. */
  maxRetryAfterMs?: number;
  /** No wait ends later than this after the first attempt; the call gives up instead. Default 30000. */
  deadlineMs?: number;
  /** One attempt, headers and body, is given up after this. Default 10000. */
  attemptTimeoutMs?: number;
  /** A kept key older than this is dropped (the server's retention). Default 86400000 (24 h). */
  keyLifetimeMs?: number;
  /** Monotonic milliseconds, for the deadline. Default performance.now. */
  now?: () => number;
  /** Wall-clock milliseconds, for Retry-After dates and the keys' age. Default Date.now. */
  clock?: () => number;
  /** Waits between attempts; rejects when the signal aborts. Default setTimeout. */
  sleep?: (ms: number, signal: AbortSignal | null) => Promise<void>;
  /** [0, 1) for the jitter. Default Math.random. */
  random?: () => number;
}

/** An action's name, or its name and the data to keep with a new key (JSON). */
export type Action = string | { name: string; data?: unknown };

interface OutcomeBase {
  action: string;
  /** The Idempotency-Key every attempt of this call carried. */
  key: string;
  /** HTTP attempts made by this call. */
  attempts: number;
}

/** 2xx, its whole body read: done, exactly once. The key is forgotten. */
export interface Succeeded extends OutcomeBase {
  kind: 'succeeded';
  status: number;
  /** The server answered with its stored answer (Idempotent-Replayed: true). */
  replayed: boolean;
  /** Its body is read already: use `text`. */
  response: Response;
  text: string;
}

/** 409 or 425: the first request with this key is still running. The key is kept. */
export interface InProgress extends OutcomeBase {
  kind: 'in-progress';
  status: number;
  /** The server's Retry-After, or null. */
  retryAfterMs: number | null;
  problem: Problem | null;
  response: Response;
  text: string | undefined;
}

/** 400, 422, the other 4xx: refused for good. The key is forgotten. */
export interface DefinitelyFailed extends OutcomeBase {
  kind: 'definitely-failed';
  status: number;
  problem: Problem | null;
  response: Response;
  text: string | undefined;
}

/** The client gave up: the request may or may not have run. The key is kept. */
export interface Unknown extends Omit<OutcomeBase, 'key'> {
  kind: 'unknown';
  /** Null only when the call was aborted before it had a key. */
  key: string | null;
  reason: 'max-attempts' | 'deadline' | 'aborted' | 'not-retryable';
  /** The status of the last answer (5xx, 408, 429), or null when it got none. */
  lastStatus: number | null;
  /** The failure of the last attempt, when it got no answer. */
  error: unknown;
  response: Response | null;
  text: string | undefined;
  problem: Problem | null;
}

export type Outcome = Succeeded | InProgress | DefinitelyFailed | Unknown;

/** An RFC 9457 problem, read tolerantly: any other members are kept. */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  [member: string]: unknown;
}

export interface Pending {
  key: string;
  createdAt: number;
  data: unknown;
}

export interface IdempotencyEventMap {
  key: IdempotencyEvent<{ action: string; key: string; reused: boolean }>;
  attempt: IdempotencyEvent<{ action: string; key: string; attempt: number }>;
  retry: IdempotencyEvent<{ action: string; key: string; attempt: number; delayMs: number; status: number | null; error: 'timeout' | 'network' | null }>;
  outcome: IdempotencyEvent<{ action: string; outcome: Outcome }>;
  duplicate: IdempotencyEvent<{ action: string }>;
  wait: IdempotencyEvent<{ action: string; key: string }>;
}

export class IdempotencyEvent<D = unknown> extends Event {
  constructor(type: string, detail: D);
  readonly detail: D;
}

export class IdempotencyKeyStoreError extends Error {
  constructor(message: string, cause?: unknown);
}

export class IdempotencyClient extends EventTarget {
  constructor(options?: IdempotencyClientOptions);
  /** True when tabs of this origin are coordinated (Web Locks). */
  readonly crossTab: boolean;
  fetch(action: Action, input: RequestInfo | URL, init?: RequestInit): Promise<Outcome>;
  pending(action: Action): Pending | null;
  forget(action: Action): void;
  addEventListener<K extends keyof IdempotencyEventMap>(type: K,
    listener: (event: IdempotencyEventMap[K]) => void, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions): void;
}

export function memoryStorage(): KeyStorage;
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | null;
export function fullJitterDelay(attempt: number, baseMs: number, maxMs: number, random?: () => number): number;
