package dev.idempotency.client;

/**
 * How a call's outcome rides on its response: the interceptor puts a new tag on the request it
 * sends (in the same rebuild that sets the key) and fills it in when the call ends, so the
 * response OkHttp returns carries it without being rebuilt. Set once per call, before the
 * response is returned; volatile, so a response handed to another thread shows it too.
 */
final class OutcomeTag {
  volatile IdempotencyOutcome outcome;
}
