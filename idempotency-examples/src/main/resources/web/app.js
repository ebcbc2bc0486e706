// The payment page's client side of the Idempotency-Key contract (CONTRACT.md, "Client"):
// - one key per payment ACTION, kept in sessionStorage until the action succeeds or definitively
//   fails, so a reload in the middle of a payment carries on with the same key;
// - 5xx, 408, 429 and network failures: retried with the same key, full-jitter exponential
//   backoff, Retry-After honoured, a bounded number of attempts; after the last one the outcome is
//   unknown and the key is kept;
// - 409 and 425: the first request is still running. The page says so, shows "Check again", and
//   checks again by itself after Retry-After, a bounded number of times;
// - other 4xx: definitive failure, the problem is shown and the key forgotten;
// - 2xx: done, the key forgotten; a replayed answer (Idempotent-Replayed: true) is marked.
'use strict';

(() => {
  // One pending action per tab: sessionStorage survives a reload, not a new tab.
  const PENDING = 'idempotency-demo.pending-payment';
  // Attempts per action for 5xx and network failures: with a 50% failing server, 1 in 32
  // actions ends "unknown", and pressing Pay again carries on with the same key.
  const MAX_ATTEMPTS = 5;
  // Full-jitter backoff: attempt n waits a random time in [0, min(cap, base * 2^(n-1))).
  const BACKOFF_BASE_MS = 250;
  const BACKOFF_CAP_MS = 4000;
  // A Retry-After beyond this is not waited for by itself: the user can press Pay or Check again.
  const RETRY_AFTER_CAP_MS = 30000;
  // Automatic "check again" rounds after 409/425 before the page leaves it to the user.
  const MAX_IN_PROGRESS_CHECKS = 5;
  // A request with no answer in this time is treated like a lost answer: retried with the key.
  const REQUEST_TIMEOUT_MS = 15000;
  const LOG_LINES = 30;

  const $ = (id) => document.getElementById(id);
  const form = $('payment-form');
  const fields = $('fields');
  const pay = $('pay');
  const status = $('status');
  const checkAgain = $('check-again');

  // True from the moment an action starts until it stops (including its backoff waits): the one
  // thing that makes a second click a no-op, whether or not the button was disabled in time.
  let running = false;
  let wake = null; // ends the current wait early ("Check again")

  // ---- the pending action ----------------------------------------------------------------

  function loadPending() {
    try {
      const a = JSON.parse(sessionStorage.getItem(PENDING));
      if (a && typeof a.key === 'string' && a.key && typeof a.account === 'string'
          && Number.isSafeInteger(a.amountCents) && typeof a.currency === 'string') {
        return a;
      }
    } catch (e) { /* unreadable: as if absent */ }
    return null;
  }

  function savePending(action) {
    sessionStorage.setItem(PENDING, JSON.stringify(action));
  }

  function forgetPending() {
    sessionStorage.removeItem(PENDING);
  }

  function newKey() {
    if (crypto.randomUUID) return crypto.randomUUID();
    // crypto.randomUUID needs a secure context (https or loopback); a UUID v4 by hand otherwise.
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  // ---- the page --------------------------------------------------------------------------

  function setStatus(state, text) {
    status.dataset.state = state;
    status.textContent = text;
    checkAgain.hidden = state !== 'in-progress';
  }

  function showAction(action) {
    $('action').hidden = !action;
    $('action-key').textContent = action ? action.key : '';
    $('attempts').textContent = action ? String(action.attempts) : '0';
    status.dataset.key = action ? action.key : '';
  }

  function lockForm(locked) {
    fields.disabled = locked;
    pay.disabled = running;
    pay.textContent = locked && !running ? 'Retry payment' : 'Pay';
  }

  function log(text) {
    const list = $('log');
    const item = document.createElement('li');
    item.textContent = `${new Date().toLocaleTimeString()} ${text}`;
    list.append(item);
    while (list.children.length > LOG_LINES) list.firstElementChild.remove();
  }

  function money(cents, currency) {
    return `${(cents / 100).toFixed(2)} ${currency}`;
  }

  function fill(action) {
    $('account').value = action.account;
    $('amount').value = (action.amountCents / 100).toFixed(2);
    $('currency').value = action.currency;
  }

  function readForm() {
    const account = $('account').value.trim();
    const amount = $('amount').value.trim().replace(',', '.');
    const currency = $('currency').value;
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(account)) {
      return { error: 'The account is 1 to 64 letters, digits, dots, dashes or underscores.' };
    }
    const m = /^(\d{1,10})(?:\.(\d{1,2}))?$/.exec(amount);
    const cents = m ? Number(m[1]) * 100 + Number((m[2] || '0').padEnd(2, '0')) : 0;
    if (!m || cents <= 0) return { error: 'The amount is a positive number like 12.50.' };
    return { account, amountCents: cents, currency };
  }

  // ---- waiting ---------------------------------------------------------------------------

  function wait(ms) {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() { clearTimeout(timer); wake = null; resolve(); }
      wake = done;
    });
  }

  function backoff(failures) {
    const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (failures - 1));
    return Math.floor(Math.random() * ceiling);
  }

  // Retry-After is delay-seconds or an HTTP date (RFC 9110 10.2.3); null when absent or unreadable.
  function retryAfterMs(response) {
    const value = response && response.headers.get('Retry-After');
    if (!value) return null;
    if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
    const date = Date.parse(value);
    return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
  }

  // ---- sending ---------------------------------------------------------------------------

  async function send(action) {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), REQUEST_TIMEOUT_MS);
    try {
      const response = await fetch('payments', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Idempotency-Key': action.key },
        body: JSON.stringify({
          account: action.account, amountCents: action.amountCents, currency: action.currency,
        }),
        signal: abort.signal,
        cache: 'no-store',
      });
      // Read the whole answer now: the timeout covers it too, and the connection is free again.
      const text = await response.text();
      return { response, text };
    } finally {
      clearTimeout(timer);
    }
  }

  function parseJson(text) {
    try { return JSON.parse(text); } catch (e) { return null; }
  }

  function problemText(response, text) {
    const p = parseJson(text);
    if (p && typeof p === 'object' && (p.title || p.detail)) {
      return [p.title, p.detail].filter(Boolean).join(': ');
    }
    return `${response.status} ${response.statusText}`.trim();
  }

  // Runs one action until it succeeds, definitively fails, is still in progress after the
  // automatic checks, or runs out of attempts.
  async function run(action) {
    running = true;
    lockForm(true);
    $('result').hidden = true;
    delete status.dataset.replayed;
    let failures = 0;
    let checks = 0;
    try {
      for (let round = 1; ; round += 1) {
        if (round > 1) {
          setStatus('sending', `Sending again with the same key (attempt ${action.attempts + 1})…`);
        }
        action.attempts += 1;
        savePending(action);
        showAction(action);
        let outcome;
        try {
          outcome = await send(action);
        } catch (e) {
          outcome = { error: e };
        }
        const { response, text, error } = outcome;
        const code = response ? response.status : 0;

        if (response && code >= 200 && code < 300) {
          forgetPending();
          const replayed = (response.headers.get('Idempotent-Replayed') || '').toLowerCase() === 'true';
          log(`attempt ${action.attempts}: ${code}${replayed ? ', replayed' : ''}`);
          const payment = parseJson(text) || {};
          $('payment-id').textContent = payment.id || '(no id in the answer)';
          $('payment-summary').textContent =
              `${money(payment.amountCents ?? action.amountCents, payment.currency || action.currency)}`
              + ` to ${payment.account || action.account}, after ${action.attempts} HTTP`
              + ` attempt${action.attempts === 1 ? '' : 's'}.`;
          $('replayed').hidden = !replayed;
          $('resumed').hidden = !action.resumed;
          $('result').hidden = false;
          setStatus('success', replayed
              ? 'Paid. The server replayed its stored answer: the payment ran once.'
              : 'Paid.');
          status.dataset.replayed = String(replayed);
          return;
        }

        if (code === 409 || code === 425) {
          checks += 1;
          const after = retryAfterMs(response);
          log(`attempt ${action.attempts}: ${code}, still processing`
              + (after === null ? '' : `, Retry-After ${after / 1000} s`));
          if (checks > MAX_IN_PROGRESS_CHECKS || (after !== null && after > RETRY_AFTER_CAP_MS)) {
            setStatus('in-progress', 'Still processing. The payment has not finished on the server;'
                + ' press "Check again" to ask for its answer (same key, no second payment).');
            return;
          }
          const delay = after === null ? 1000 : after;
          setStatus('in-progress', 'Still processing: the first request for this payment is running'
              + ` on the server. Checking again in ${Math.ceil(delay / 1000)} s (same key).`);
          await wait(delay);
          continue;
        }

        const retryable = !response || code >= 500 || code === 408 || code === 429;
        if (retryable) {
          failures += 1;
          const why = response ? `${code}` : `no answer (${error && error.name === 'AbortError'
              ? 'timed out' : 'network error'})`;
          if (failures >= MAX_ATTEMPTS) {
            log(`attempt ${action.attempts}: ${why}, giving up for now`);
            setStatus('unknown', `No answer after ${failures} attempts, so the outcome is unknown.`
                + ' The payment is kept: "Retry payment" asks again with the same key.');
            return;
          }
          const after = retryAfterMs(response);
          const delay = Math.min(RETRY_AFTER_CAP_MS, Math.max(backoff(failures), after ?? 0));
          log(`attempt ${action.attempts}: ${why}, retrying in ${(delay / 1000).toFixed(1)} s`);
          setStatus('retrying', `The server did not confirm (${why}). Retrying with the same key`
              + ` in ${(delay / 1000).toFixed(1)} s.`);
          await wait(delay);
          continue;
        }

        // 400, 422 and every other 4xx: a bug or bad input, not something a retry fixes.
        forgetPending();
        const message = problemText(response, text);
        log(`attempt ${action.attempts}: ${code}, failed`);
        setStatus('failed', `The payment failed: ${message}`);
        return;
      }
    } finally {
      running = false;
      wake = null;
      const pending = loadPending();
      lockForm(pending !== null);
      showAction(pending || action);
    }
  }

  // ---- events ----------------------------------------------------------------------------

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (running) {
      log('click ignored: this payment is being sent already');
      return;
    }
    let action = loadPending();
    if (action) {
      // A pending action (in progress, or its outcome unknown): the same action, the same key.
      log('Pay pressed again: the same payment, with the same key');
    } else {
      const values = readForm();
      if (values.error) {
        setStatus('invalid', values.error);
        return;
      }
      action = { key: newKey(), ...values, attempts: 0 };
      savePending(action);
      $('log').replaceChildren();
      log(`new payment ${money(action.amountCents, action.currency)} to ${action.account}, key ${action.key}`);
    }
    setStatus('sending', `Paying ${money(action.amountCents, action.currency)} to ${action.account}…`);
    run(action);
  });

  checkAgain.addEventListener('click', () => {
    if (wake) {
      wake();
      return;
    }
    const action = loadPending();
    if (!running && action) {
      setStatus('sending', 'Checking again with the same key…');
      run(action);
    }
  });

  // A payment left pending by a reload (or a crash of the tab's page): carry on with its key.
  const pending = loadPending();
  if (pending) {
    pending.resumed = true;
    savePending(pending);
    fill(pending);
    log(`page loaded with a pending payment: resuming with key ${pending.key}`);
    setStatus('resuming', `Resuming your payment of ${money(pending.amountCents, pending.currency)}`
        + ` to ${pending.account} with the same key.`);
    run(pending);
  } else {
    lockForm(false);
  }
})();
