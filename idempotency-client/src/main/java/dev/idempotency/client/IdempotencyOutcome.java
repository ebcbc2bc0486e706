package dev.idempotency.client;

import dev.idempotency.contract.IdempotencyKey;
import java.io.IOException;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import okhttp3.Response;

/**
 * How a call through the {@link IdempotencyInterceptor} ended, so the caller does not read
 * headers by hand. Every outcome carries the key that was sent and the number of HTTP attempts
 * (automatic retries are {@code attempts() - 1}).
 *
 * <table>
 *   <caption>Outcomes</caption>
 *   <tr><th>outcome</th><th>when</th><th>the action's key</th></tr>
 *   <tr><td>{@link Succeeded}</td><td>2xx, its whole body received; {@code replayed()} when the
 *       server answered with a stored answer ({@code Idempotent-Replayed: true})</td><td>forgotten
 *       (a body over {@link IdempotencyInterceptor.Builder#maxBufferedSuccessBody}: once the
 *       caller reads it to its end)</td></tr>
 *   <tr><td>{@link InProgress}</td><td>409 or 425: the first request with this key is still being
 *       processed</td><td>kept: try the action again later</td></tr>
 *   <tr><td>{@link DefinitelyFailed}</td><td>400, 422 and the other 1xx, 3xx and 4xx answers: bad
 *       input or a client bug</td><td>forgotten</td></tr>
 *   <tr><td>{@link Unknown}</td><td>gave up retrying (see {@link GiveUpReason}) after 5xx, 408,
 *       429, no answer, or a 2xx whose body was cut short: the request may or may not have
 *       run</td><td>kept: try the action again later</td></tr>
 * </table>
 *
 * <p>Read it from the response with {@link #of(Response)}; when no response came back (the last
 * attempt failed with an {@link IOException}) the {@link IdempotencyGaveUpException} carries it.
 * Outcomes are immutable and threadsafe.
 */
public sealed interface IdempotencyOutcome {
  /** The key every attempt of this call carried. */
  IdempotencyKey key();

  /** The number of HTTP attempts, at least 1. */
  int attempts();

  /**
   * Returns the outcome the interceptor attached to {@code response}.
   *
   * @throws NullPointerException if {@code response} is null
   * @throws IllegalArgumentException if the response did not come through an
   *     {@link IdempotencyInterceptor}, or its request carried no key (a GET, for example)
   */
  static IdempotencyOutcome of(Response response) {
    return find(response).orElseThrow(() -> new IllegalArgumentException(
        "no idempotency outcome on this response: it did not come through an "
            + "IdempotencyInterceptor, or its request carried no key"));
  }

  /** Returns the outcome the interceptor attached to {@code response}, or empty if there is none. */
  static Optional<IdempotencyOutcome> find(Response response) {
    Objects.requireNonNull(response, "response");
    OutcomeTag tag = response.request().tag(OutcomeTag.class);
    return Optional.ofNullable(tag == null ? null : tag.outcome);
  }

  /**
   * The server answered 2xx: the action is done, exactly once. The response's body was read
   * whole into memory before this was reported, unless it was longer than
   * {@link IdempotencyInterceptor.Builder#maxBufferedSuccessBody}; then it streams, and the key is
   * forgotten when the caller reads it to its end.
   *
   * @param status the 2xx status
   * @param replayed true if the server answered with the stored answer of an earlier request
   *     ({@code Idempotent-Replayed: true}): the action had already run
   */
  record Succeeded(IdempotencyKey key, int attempts, int status, boolean replayed)
      implements IdempotencyOutcome {
    public Succeeded {
      Objects.requireNonNull(key, "key");
    }
  }

  /**
   * The server answered 409 or 425: a request with this key is still being processed. The key is
   * kept; trying the action again later sends the same key and gets the stored answer.
   *
   * @param status 409 or 425
   * @param retryAfter when the server suggests trying again, if it said ({@code Retry-After})
   */
  record InProgress(IdempotencyKey key, int attempts, int status, Optional<Duration> retryAfter)
      implements IdempotencyOutcome {
    public InProgress {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(retryAfter, "retryAfter");
    }
  }

  /**
   * The server refused the request for good (400, 422, the other 4xx, or a 1xx or 3xx the
   * application did not follow). Sending it again would not help; the key is forgotten.
   *
   * @param status the status
   */
  record DefinitelyFailed(IdempotencyKey key, int attempts, int status)
      implements IdempotencyOutcome {
    public DefinitelyFailed {
      Objects.requireNonNull(key, "key");
    }
  }

  /**
   * The interceptor gave up: the request may or may not have run. The key is kept, so trying the
   * action again is safe: the server runs it at most once and replays its answer.
   *
   * @param reason why it stopped retrying
   * @param lastStatus the status of the last answer (5xx, 408 or 429), if the last attempt got one
   * @param lastFailure the failure of the last attempt, if it got no answer (or a 2xx whose
   *     body could not be read to its end: it counts as no answer, and {@code lastStatus} is
   *     empty)
   */
  record Unknown(IdempotencyKey key, int attempts, GiveUpReason reason, OptionalInt lastStatus,
      Optional<IOException> lastFailure) implements IdempotencyOutcome {
    public Unknown {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(lastStatus, "lastStatus");
      Objects.requireNonNull(lastFailure, "lastFailure");
    }
  }

  /** Why the interceptor stopped retrying a call whose outcome is {@link Unknown}. */
  enum GiveUpReason {
    /** {@link RetryPolicy#maxAttempts()} attempts were made. */
    MAX_ATTEMPTS,
    /** The next wait would have passed {@link RetryPolicy#deadline()}. */
    DEADLINE,
    /** The client's shared retry budget is empty: many calls are failing, so retries stop. */
    RETRY_BUDGET,
    /** The request body is one-shot or duplex and cannot be sent again. */
    NOT_RETRYABLE,
    /** The calling thread was interrupted; the interrupt stays set. */
    INTERRUPTED,
    /** The OkHttp call was canceled. */
    CANCELED
  }
}
