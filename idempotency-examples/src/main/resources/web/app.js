// The payment page. The client side of the Idempotency-Key contract (the key per action, the
// retries with it, the outcome) is the module idempotency.js; this file is only the page: the
// form, what it shows, and what it does after "in progress" (check again after Retry-After).
import { IdempotencyClient, IdempotencyKeyStoreError } from './idempotency.js';

// One payment at a time per origin: the module keeps its key (and the form's values) in
// localStorage until it succeeds or definitively fails, so a reload, or another tab, carries on
// with the same key.
const ACTION = 'payment';
// Automatic "check again" rounds after 409/425 before the page leaves it to the user.
const MAX_IN_PROGRESS_CHECKS = 5;
// Without a Retry-After, the page looks again after this long.
const IN_PROGRESS_DEFAULT_MS = 1000;
// A Retry-After beyond this is not waited for by itself: the user can press "Check again".
const RETRY_AFTER_CAP_MS = 30000;
const LOG_LINES = 30;

const $ = (id) => document.getElementById(id);
const form = $('payment-form');
const fields = $('fields');
const pay = $('pay');
const status = $('status');
const checkAgain = $('check-again');

const client = new IdempotencyClient();
let inFlight = null; // the promise of the running payment: a click that gets it back sent nothing
let attempts = 0; // HTTP attempts of the current payment seen by this page
let resumed = false; // the current payment was picked up after a reload
let wake = null; // ends the current wait early ("Check again")
let checks = 0; // automatic checks after "in progress" for the current payment

// ---- what the module tells ---------------------------------------------------------------

client.addEventListener('key', ({ detail }) => {
  if (!detail.reused) attempts = 0;
  showKey(detail.key);
});
client.addEventListener('attempt', ({ detail }) => {
  attempts += 1;
  $('attempts').textContent = String(attempts);
  if (detail.attempt > 1) setStatus('sending', `Sending again with the same key (attempt ${attempts})…`);
});
client.addEventListener('retry', ({ detail }) => {
  const why = detail.status !== null ? `${detail.status}`
    : `no answer (${detail.error === 'timeout' ? 'timed out' : 'network error'})`;
  const seconds = (detail.delayMs / 1000).toFixed(1);
  log(`attempt ${attempts}: ${why}, retrying in ${seconds} s`);
  setStatus('retrying', `The server did not confirm (${why}). Retrying with the same key in ${seconds} s.`);
});
client.addEventListener('duplicate', () => log('click ignored: this payment is being sent already'));
client.addEventListener('wait', ({ detail }) => {
  showKey(detail.key);
  log('another tab is sending this payment: waiting for it, then asking with its key');
  setStatus('waiting', 'Another tab is sending this payment. Waiting for it, then asking with the same key.');
});

// ---- paying ------------------------------------------------------------------------------

function paymentRequest(order) {
  return {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ account: order.account, amountCents: order.amountCents, currency: order.currency }),
    cache: 'no-store',
  };
}

async function run(order) {
  const call = client.fetch({ name: ACTION, data: order }, 'payments', paymentRequest(order));
  if (call === inFlight) return; // the module sent nothing: the running payment answers
  inFlight = call;
  lockForm(true);
  $('result').hidden = true;
  delete status.dataset.replayed;
  let outcome;
  try {
    outcome = await call;
  } catch (e) {
    outcome = null;
    if (e instanceof IdempotencyKeyStoreError) {
      client.forget(ACTION);
      setStatus('failed', `The kept payment could not be read, and was dropped: ${e.message}`);
    } else {
      setStatus('failed', `The payment could not be sent: ${e.message}`);
    }
  } finally {
    inFlight = null;
  }
  if (outcome) await show(outcome, order);
  const pending = safePending();
  lockForm(pending !== null);
}

async function show(outcome, order) {
  switch (outcome.kind) {
    case 'succeeded': {
      log(`attempt ${attempts}: ${outcome.status}${outcome.replayed ? ', replayed' : ''}`);
      // Read tolerantly: the payment is made whatever the body holds.
      const payment = parseJson(outcome.text) ?? {};
      $('payment-id').textContent = payment.id || '(no id in the answer)';
      $('payment-summary').textContent =
        `${money(payment.amountCents ?? order.amountCents, payment.currency || order.currency)}`
        + ` to ${payment.account || order.account}, after ${attempts} HTTP attempt${attempts === 1 ? '' : 's'}.`;
      $('replayed').hidden = !outcome.replayed;
      $('resumed').hidden = !resumed;
      $('result').hidden = false;
      setStatus('success', outcome.replayed
        ? 'Paid. The server replayed its stored answer: the payment ran once.'
        : 'Paid.');
      status.dataset.replayed = String(outcome.replayed);
      resumed = false;
      checks = 0;
      return;
    }
    case 'in-progress': {
      checks += 1;
      const after = outcome.retryAfterMs;
      log(`attempt ${attempts}: ${outcome.status}, still processing`
        + (after === null ? '' : `, Retry-After ${after / 1000} s`));
      if (checks > MAX_IN_PROGRESS_CHECKS || (after !== null && after > RETRY_AFTER_CAP_MS)) {
        setStatus('in-progress', 'Still processing. The payment has not finished on the server;'
          + ' press "Check again" to ask for its answer (same key, no second payment).');
        return;
      }
      const delay = after ?? IN_PROGRESS_DEFAULT_MS;
      setStatus('in-progress', 'Still processing: the first request for this payment is running'
        + ` on the server. Checking again in ${Math.ceil(delay / 1000)} s (same key).`);
      await wait(delay);
      run(order);
      return;
    }
    case 'definitely-failed': {
      log(`attempt ${attempts}: ${outcome.status}, failed`);
      const p = outcome.problem;
      const message = p && (p.title || p.detail)
        ? [p.title, p.detail].filter(Boolean).join(': ')
        : `${outcome.status} ${outcome.response.statusText}`.trim();
      setStatus('failed', `The payment failed: ${message}`);
      checks = 0;
      return;
    }
    default: {
      const why = outcome.lastStatus !== null ? `${outcome.lastStatus}`
        : outcome.reason === 'aborted' ? 'stopped' : 'no answer';
      log(`attempt ${attempts}: ${why}, giving up for now (${outcome.reason})`);
      setStatus('unknown', `No answer after ${outcome.attempts} attempts, so the outcome is unknown.`
        + ' The payment is kept: "Retry payment" asks again with the same key.');
      checks = 0;
    }
  }
}

// ---- the page ----------------------------------------------------------------------------

function setStatus(state, text) {
  status.dataset.state = state;
  status.textContent = text;
  checkAgain.hidden = state !== 'in-progress';
}

function showKey(key) {
  $('action').hidden = !key;
  $('action-key').textContent = key || '';
  $('attempts').textContent = String(attempts);
  status.dataset.key = key || '';
}

function lockForm(locked) {
  fields.disabled = locked;
  pay.disabled = inFlight !== null;
  pay.textContent = locked && inFlight === null ? 'Retry payment' : 'Pay';
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

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch (e) {
    return null;
  }
}

function fill(order) {
  $('account').value = order.account;
  $('amount').value = (order.amountCents / 100).toFixed(2);
  $('currency').value = order.currency;
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

/** The kept payment's form values, or null. */
function safePending() {
  try {
    const order = client.pending(ACTION)?.data;
    if (order && typeof order.account === 'string' && Number.isSafeInteger(order.amountCents)
        && typeof order.currency === 'string') {
      return order;
    }
  } catch (e) {
    // unreadable: the next run reports it
  }
  return null;
}

function wait(ms) {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      wake = null;
      resolve();
    }
    wake = done;
  });
}

// ---- events ------------------------------------------------------------------------------

form.addEventListener('submit', (event) => {
  event.preventDefault();
  let order = safePending();
  if (order) {
    if (inFlight === null) log('Pay pressed again: the same payment, with the same key');
  } else {
    order = readForm();
    if (order.error) {
      setStatus('invalid', order.error);
      return;
    }
    if (inFlight === null) {
      $('log').replaceChildren();
      log(`new payment ${money(order.amountCents, order.currency)} to ${order.account}`);
    }
  }
  if (inFlight === null) {
    checks = 0;
    setStatus('sending', `Paying ${money(order.amountCents, order.currency)} to ${order.account}…`);
  }
  run(order);
});

checkAgain.addEventListener('click', () => {
  if (wake) {
    wake();
    return;
  }
  const order = safePending();
  if (inFlight === null && order) {
    setStatus('sending', 'Checking again with the same key…');
    run(order);
  }
});

// A payment left pending by a reload (or by another tab of this page): carry on with its key.
const pending = safePending();
if (pending) {
  resumed = true;
  fill(pending);
  log('page loaded with a pending payment: resuming it with its key');
  setStatus('resuming', `Resuming your payment of ${money(pending.amountCents, pending.currency)}`
    + ` to ${pending.account} with the same key.`);
  run(pending);
} else {
  lockForm(false);
}
