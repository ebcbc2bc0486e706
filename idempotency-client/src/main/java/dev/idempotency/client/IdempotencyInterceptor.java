package dev.idempotency.client;

import dev.idempotency.client.IdempotencyOutcome.GiveUpReason;
import dev.idempotency.contract.ClientDirective;
import dev.idempotency.contract.IdempotencyHeaders;
import dev.idempotency.contract.IdempotencyKey;
import dev.idempotency.contract.InvalidIdempotencyKeyException;
import dev.idempotency.contract.RetryAfter;
import dev.idempotency.contract.Sleeper;
import dev.idempotency.contract.Ticker;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.Buffer;
import okio.BufferedSource;
import okio.ForwardingSource;
import okio.Okio;

/**
 * An OkHttp interceptor that gives each business action one {@code Idempotency-Key}, retries with
 * that same key, and tells the caller how the action ended. Install it as an <em>application</em>
 * interceptor:
 *
 * <pre>{@code
 * OkHttpClient client = new OkHttpClient.Builder()
 *     .addInterceptor(IdempotencyInterceptor.builder().build())
 *     .build();
 * }</pre>
 *
 * <h2>Why an application interceptor</h2>
 * OkHttp itself silently sends a request again on a fresh connection when a pooled one turns out
 * to be dead, and follows redirects; those resends happen below the application interceptors and
 * are built from the Request they were given, headers included. Setting the key here, above them,
 * means every request OkHttp sends for this call carries the same key, including the resends the
 * interceptor never sees. A network interceptor would run once per network attempt: anything that
 * chose the key there could give one action two keys, the very duplicate the key exists to
 * prevent.
 *
 * <h2>Which key</h2>
 * <ol>
 *   <li>An {@code Idempotency-Key} header the caller set is always sent as is (it must follow
 *       the contract's syntax: 1 to 255 visible ASCII characters, once).
 *   <li>Otherwise an {@link IdempotentAction} tag gets its action's key from the
 *       {@link IdempotencyKeyRegistry}: the same key until the action succeeds or definitively
 *       fails.
 *   <li>Otherwise a POST or PATCH gets a fresh key for this call, or is refused, as the
 *       {@link MissingKeyPolicy} says.
 *   <li>Any other request without a key (a GET, say) passes through untouched: one attempt, no
 *       outcome.
 * </ol>
 *
 * <h2>What it does with each answer</h2>
 * As the contract's client table says (see {@link ClientDirective}): 2xx is done
 * ({@link IdempotencyOutcome.Succeeded}, key forgotten, once the whole body has arrived: see
 * below); 5xx, 408, 429 and no answer at all are retried with the same key within the
 * {@link RetryPolicy}, and when it runs out the outcome is
 * {@link IdempotencyOutcome.Unknown} (key kept); 409 and 425 stop at once
 * ({@link IdempotencyOutcome.InProgress}, key kept); other answers stop
 * ({@link IdempotencyOutcome.DefinitelyFailed}, key forgotten). A request whose body is one-shot
 * or duplex is never sent twice. Each intermediate response is closed before the next attempt.
 * The last response is returned with its outcome attached: {@link IdempotencyOutcome#of}. If the
 * last attempt got no answer, the call throws {@link IdempotencyGaveUpException}.
 *
 * <h2>A success is a whole answer</h2>
 * A 2xx's headers alone do not make a success: the body may still be cut short (a read timeout
 * or a dropped connection half-way), and a caller that then gets an {@link IOException} would
 * try the action again; had the key been forgotten, that try would carry a new key and the
 * server would run the action a second time. So on a 2xx, a replayed one included, the
 * interceptor reads the body into memory before it forgets the key and reports success; the
 * response it returns carries that buffered body. If reading the body fails, the attempt counts
 * as one that got no answer ({@link ClientDirective#forNoAnswer()}): it is retried with the same
 * key, and if the interceptor gives up the outcome is {@link IdempotencyOutcome.Unknown} and the
 * key is kept.
 *
 * <p>At most {@link Builder#maxBufferedSuccessBody} bytes are buffered (default
 * {@value #DEFAULT_MAX_BUFFERED_SUCCESS_BODY}, 1 MiB). A longer success body, by its
 * {@code Content-Length} or as it arrives, is not held in memory: the response is returned
 * streaming, still {@link IdempotencyOutcome.Succeeded}, and the action's key is forgotten only
 * when the caller reads that body to its end. If the read fails or the caller closes the body
 * before its end, the key is kept: trying the action again sends it and gets the server's stored
 * answer. It is forgotten then when a later try of the action succeeds, when it expires
 * ({@link IdempotencyKeyRegistry.Builder#keyLifetime}), or when the caller calls
 * {@link IdempotencyKeyRegistry#forget(IdempotentAction)}. Other answers (409, 425, 4xx, and the
 * last 5xx when retries run out) are not buffered: their status alone decides.
 *
 * <p>An interrupted thread stops retrying: the call throws {@link InterruptedIOException}, the key
 * is kept and the thread's interrupt stays set. A canceled call stops too.
 *
 * <p>One interceptor holds one retry budget, shared by all its calls: build one per
 * {@code OkHttpClient} (clients made with {@code newBuilder()} share it). This class is
 * threadsafe.
 */
public final class IdempotencyInterceptor implements Interceptor {
  /**
   * The default {@link Builder#maxBufferedSuccessBody}: 1 MiB. An API's answer to a command (a
   * payment, an order) is a few hundred bytes to a few KiB of JSON, so this holds any of them
   * whole; it is also the server integration's default limit on a request body. A thousand
   * concurrent calls hold about 1 GiB at most this way (the limit plus one 8 KiB read each), and
   * only while each reads its answer.
   */
  public static final long DEFAULT_MAX_BUFFERED_SUCCESS_BODY = 1024 * 1024;

  private final IdempotencyKeyRegistry registry;
  private final RetryPolicy retryPolicy;
  private final MissingKeyPolicy missingKeyPolicy;
  /** Null for {@link IdempotencyListener#NONE}: then no call is made at all. */
  private final IdempotencyListener listener;
  private final Ticker ticker;
  private final Sleeper sleeper;
  private final Clock clock;
  private final Random random;
  private final RetryBudget budget;
  private final long maxBufferedSuccessBody;
  // The policy's durations in nanoseconds of the ticker, converted once rather than per call.
  private final long deadlineNanos;
  private final long baseDelayNanos;
  private final long maxDelayNanos;
  private final long maxRetryAfterNanos;

  private IdempotencyInterceptor(Builder b) {
    this.registry = b.registry != null ? b.registry : IdempotencyKeyRegistry.inMemory();
    this.retryPolicy = b.retryPolicy;
    this.missingKeyPolicy = b.missingKeyPolicy;
    this.listener = b.listener == IdempotencyListener.NONE ? null : new SafeListener(b.listener);
    this.ticker = b.ticker;
    this.sleeper = b.sleeper;
    this.clock = b.clock;
    this.random = b.random;
    this.budget = new RetryBudget(retryPolicy.budgetTokens());
    this.maxBufferedSuccessBody = b.maxBufferedSuccessBody;
    this.deadlineNanos = saturatedNanos(retryPolicy.deadline());
    this.baseDelayNanos = saturatedNanos(retryPolicy.baseDelay());
    this.maxDelayNanos = saturatedNanos(retryPolicy.maxDelay());
    this.maxRetryAfterNanos = saturatedNanos(retryPolicy.maxRetryAfter());
  }

  /** Returns a builder with the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** The registry that holds the actions' keys. */
  public IdempotencyKeyRegistry registry() {
    return registry;
  }

  /** The retry policy. */
  public RetryPolicy retryPolicy() {
    return retryPolicy;
  }

  /** The most bytes of a success body read into memory before the key is forgotten. */
  public long maxBufferedSuccessBody() {
    return maxBufferedSuccessBody;
  }

  /** The tokens left in this interceptor's shared retry budget. */
  public int retryBudgetTokens() {
    return budget.available();
  }

  @Override
  public Response intercept(Chain chain) throws IOException {
    Request request = chain.request();
    IdempotentAction action = request.tag(IdempotentAction.class);
    boolean explicit = request.header(IdempotencyHeaders.IDEMPOTENCY_KEY) != null;
    IdempotencyKey key;
    if (explicit) {
      try {
        key = IdempotencyKey.parseHeaders(request.headers(IdempotencyHeaders.IDEMPOTENCY_KEY));
      } catch (InvalidIdempotencyKeyException e) {
        throw new IdempotencyRequestRejectedException(
            "not sent: its Idempotency-Key header breaks the contract: " + e.getMessage(), e);
      }
    } else if (action != null) {
      IdempotencyKeyRegistry.Lease lease;
      try {
        lease = registry.acquire(action);
      } catch (IdempotencyKeyStoreException e) {
        throw new IdempotencyRequestRejectedException(
            "not sent: the key of action '" + action.name() + "' cannot be read: " + e.getMessage(),
            e);
      }
      key = lease.key();
      if (listener != null) {
        if (lease.created()) {
          listener.keyCreated(action, key);
        } else {
          listener.keyReused(action, key);
        }
      }
    } else if (needsKey(request.method())) {
      if (missingKeyPolicy == MissingKeyPolicy.REJECT) {
        throw new IdempotencyRequestRejectedException("not sent: " + request.method() + " "
            + request.url().redact() + " has neither an IdempotentAction tag nor an "
            + "Idempotency-Key header, and the MissingKeyPolicy is REJECT", null);
      }
      key = registry.newKey();
      if (listener != null) listener.keyCreated(null, key);
    } else {
      return chain.proceed(request);
    }
    // One rebuild sets the key and the tag the outcome will ride on; no later rebuild is needed.
    OutcomeTag tag = new OutcomeTag();
    Request.Builder keyed = request.newBuilder().tag(OutcomeTag.class, tag);
    if (!explicit) keyed.header(IdempotencyHeaders.IDEMPOTENCY_KEY, key.toHeaderValue());
    return new Exchange(chain, keyed.build(), key, action, tag).run();
  }

  @Override
  public String toString() {
    return "IdempotencyInterceptor(" + retryPolicy + ", " + registry + ", missingKeyPolicy="
        + missingKeyPolicy + ", maxBufferedSuccessBody=" + maxBufferedSuccessBody + ")";
  }

  /** The contract's default: the server requires a key for POST and PATCH. */
  private static boolean needsKey(String method) {
    return method.equals("POST") || method.equals("PATCH");
  }

  private static boolean canResend(Request request) {
    RequestBody body = request.body();
    return body == null || !(body.isOneShot() || body.isDuplex());
  }

  private static long saturatedNanos(Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException tooLong) {
      return Long.MAX_VALUE;
    }
  }

  /**
   * One keyed call: its attempts, waits and outcome. Not threadsafe; lives on one thread, except
   * that the end of a streamed success body (see {@link #streamed}) forgets the key on whichever
   * thread reads it.
   */
  private final class Exchange {
    private final Chain chain;
    private final Request request;
    private final IdempotencyKey key;
    private final IdempotentAction action;
    private final OutcomeTag tag;
    /** The ticker's reading when the first attempt started; the deadline counts from it. */
    private final long start;
    private int attempts;
    /** The wait before the next attempt, as {@link #plan} chose it. */
    private long delayNanos;

    Exchange(Chain chain, Request request, IdempotencyKey key, IdempotentAction action,
        OutcomeTag tag) {
      this.chain = chain;
      this.request = request;
      this.key = key;
      this.action = action;
      this.tag = tag;
      this.start = ticker.read();
    }

    Response run() throws IOException {
      while (true) {
        attempts++;
        if (listener != null) listener.attemptStarted(request, key, attempts);
        Response response;
        try {
          response = chain.proceed(request);
        } catch (IOException e) {
          noAnswer(e);
          waitFor(e);
          continue;
        }
        int status = response.code();
        switch (directiveFor(status)) {
          case SUCCEEDED:
            Response whole;
            try {
              whole = buffered(response);
            } catch (IOException e) {
              // Headers without the whole body are no answer: the caller could not have read it.
              response.close();
              noAnswer(e);
              waitFor(e);
              continue;
            }
            budget.refund(retryPolicy.successRefund());
            IdempotencyOutcome.Succeeded succeeded = new IdempotencyOutcome.Succeeded(
                key, attempts, status,
                IdempotencyHeaders.isReplayed(response.header(IdempotencyHeaders.IDEMPOTENT_REPLAYED)));
            if (whole == null) return end(streamed(response), succeeded);
            forgetKey();
            return end(whole, succeeded);
          case STOP_KEEP_KEY:
            return end(response,
                new IdempotencyOutcome.InProgress(key, attempts, status, retryAfter(response)));
          case STOP_FORGET_KEY:
            forgetKey();
            return end(response, new IdempotencyOutcome.DefinitelyFailed(key, attempts, status));
          case RETRY_SAME_KEY:
          default:
            GiveUpReason giveUp = plan(retryAfter(response), false);
            if (giveUp != null) return end(response, gaveUp(giveUp, OptionalInt.of(status), null));
            response.close();
            waitFor(null);
        }
      }
    }

    /**
     * Reads a success body whole and returns the response with that body in memory; or returns
     * null, having consumed nothing, if the body is longer than {@link #maxBufferedSuccessBody}.
     *
     * @throws IOException if the body could not be read to its end
     */
    private Response buffered(Response response) throws IOException {
      ResponseBody body = response.body();
      long declared = body.contentLength();
      if (declared > maxBufferedSuccessBody) return null;
      BufferedSource source = body.source();
      // request() loads bytes into the source's own buffer without consuming them, so a body
      // found to be too long is still whole for the caller to stream.
      long probe = maxBufferedSuccessBody == Long.MAX_VALUE
          ? Long.MAX_VALUE : maxBufferedSuccessBody + 1;
      if (source.request(probe)) return null;
      // request() returned false: the source reported its end, so the whole body is in its
      // buffer, and OkHttp gave the connection back when it read the last byte. A Content-Length
      // body cut short fails above with "unexpected end of stream", a chunked one without its
      // last chunk likewise. A body of its declared length is returned as it is: no copy.
      if (declared == source.getBuffer().size()) return response;
      // Chunked, or read to the end of the connection: a body that knows its length.
      Buffer bytes = new Buffer();
      bytes.writeAll(source);
      response.close();
      return response.newBuilder().body(new BufferedBody(bytes, body)).build();
    }

    /**
     * A success whose body is too long to buffer: returns it streaming, and forgets the key when
     * the caller reads the body to its end.
     */
    private Response streamed(Response response) {
      if (action == null) return response;
      ResponseBody body = response.body();
      BufferedSource source = Okio.buffer(new ForwardingSource(body.source()) {
        private boolean ended;

        @Override
        public long read(Buffer sink, long byteCount) throws IOException {
          long read = super.read(sink, byteCount);
          if (read == -1 && !ended) {
            ended = true;
            forgetKey();
          }
          return read;
        }
      });
      return response.newBuilder()
          .body(ResponseBody.create(source, body.contentType(), body.contentLength()))
          .build();
    }

    /** The last attempt got no answer: plans the next, or throws. */
    private void noAnswer(IOException e) throws IOException {
      if (Thread.currentThread().isInterrupted()) throw interrupted(e);
      if (chain.call().isCanceled()) {
        gaveUp(GiveUpReason.CANCELED, OptionalInt.empty(), e);
        throw e;
      }
      // OkHttp reports read, write and call timeouts as InterruptedIOException (a
      // SocketTimeoutException is one); the thread was not interrupted, as checked above.
      boolean timeout = e instanceof InterruptedIOException;
      GiveUpReason giveUp = plan(Optional.empty(), timeout);
      if (giveUp != null) {
        IdempotencyOutcome.Unknown outcome = gaveUp(giveUp, OptionalInt.empty(), e);
        throw new IdempotencyGaveUpException(outcome, e);
      }
    }

    /**
     * Decides whether to retry: returns why not, or null having set {@link #delayNanos}. Takes
     * budget tokens only for a retry.
     */
    private GiveUpReason plan(Optional<Duration> retryAfter, boolean timeout) {
      if (!canResend(request)) return GiveUpReason.NOT_RETRYABLE;
      if (attempts >= retryPolicy.maxAttempts()) return GiveUpReason.MAX_ATTEMPTS;
      long delay = retryAfter.isPresent()
          ? Math.min(saturatedNanos(retryAfter.get()), maxRetryAfterNanos)
          : Backoff.fullJitterNanos(attempts, baseDelayNanos, maxDelayNanos,
              random != null ? random : ThreadLocalRandom.current());
      // A difference of two ticker readings: setting the system clock does not move the deadline.
      long elapsed = ticker.read() - start;
      if (delay > deadlineNanos - elapsed) return GiveUpReason.DEADLINE;
      int cost = timeout ? retryPolicy.timeoutRetryCost() : retryPolicy.retryCost();
      if (!budget.tryAcquire(cost)) return GiveUpReason.RETRY_BUDGET;
      delayNanos = delay;
      return null;
    }

    private void waitFor(IOException lastFailure) throws IOException {
      Duration delay = Duration.ofNanos(delayNanos);
      if (listener != null) listener.retryScheduled(request, key, attempts + 1, delay);
      if (Thread.currentThread().isInterrupted()) throw interrupted(lastFailure);
      try {
        sleeper.sleep(delay);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        InterruptedIOException thrown = interrupted(lastFailure);
        thrown.addSuppressed(e);
        throw thrown;
      }
    }

    private InterruptedIOException interrupted(IOException lastFailure) {
      gaveUp(GiveUpReason.INTERRUPTED, OptionalInt.empty(), lastFailure);
      InterruptedIOException e = new InterruptedIOException("interrupted after " + attempts
          + (attempts == 1 ? " attempt" : " attempts") + "; the outcome is unknown; "
          + "Idempotency-Key " + key + " is kept, so trying the action again is safe");
      if (lastFailure != null) e.initCause(lastFailure);
      return e;
    }

    private IdempotencyOutcome.Unknown gaveUp(
        GiveUpReason reason, OptionalInt lastStatus, IOException lastFailure) {
      IdempotencyOutcome.Unknown outcome = new IdempotencyOutcome.Unknown(
          key, attempts, reason, lastStatus, Optional.ofNullable(lastFailure));
      if (listener != null) {
        listener.gaveUp(request, outcome);
        listener.callEnded(request, outcome);
      }
      return outcome;
    }

    private Response end(Response response, IdempotencyOutcome outcome) {
      tag.outcome = outcome;
      if (listener != null && !(outcome instanceof IdempotencyOutcome.Unknown)) {
        listener.callEnded(request, outcome);
      }
      // The response's request is the one this exchange sent, so it carries the tag; unless an
      // interceptor below replaced the request with one built afresh, which gets it here.
      Request sent = response.request();
      if (sent == request || sent.tag(OutcomeTag.class) == tag) return response;
      return response.newBuilder()
          .request(sent.newBuilder().tag(OutcomeTag.class, tag).build())
          .build();
    }

    private void forgetKey() {
      if (action == null) return;
      boolean forgotten;
      try {
        forgotten = registry.forget(action, key);
      } catch (IdempotencyKeyStoreException e) {
        // The action ended; a key that could not be removed expires with its lifetime.
        System.getLogger(IdempotencyInterceptor.class.getName()).log(
            System.Logger.Level.WARNING, "could not forget the key of action " + action.name(), e);
        return;
      }
      if (forgotten && listener != null) listener.keyForgotten(action, key);
    }

    private Optional<Duration> retryAfter(Response response) {
      String value = response.header(IdempotencyHeaders.RETRY_AFTER);
      // Most answers carry none: then neither the clock nor the parser is asked.
      return value == null ? Optional.empty() : RetryAfter.parse(value, clock.instant());
    }
  }

  private static ClientDirective directiveFor(int status) {
    // OkHttp accepts any three-digit status; the contract defines 100..599. Anything else is
    // not an answer this client understands, so it stops there and then.
    if (status < 100 || status > 599) return ClientDirective.STOP_FORGET_KEY;
    return ClientDirective.forStatus(status);
  }

  /** Builds an {@link IdempotencyInterceptor}. Not threadsafe; {@link #build} copies it. */
  public static final class Builder {
    private IdempotencyKeyRegistry registry;
    private RetryPolicy retryPolicy = RetryPolicy.defaults();
    private MissingKeyPolicy missingKeyPolicy = MissingKeyPolicy.GENERATE;
    private IdempotencyListener listener = IdempotencyListener.NONE;
    private Ticker ticker = Ticker.system();
    private Sleeper sleeper = Sleeper.system();
    private Clock clock = Clock.systemUTC();
    private Random random;
    private long maxBufferedSuccessBody = DEFAULT_MAX_BUFFERED_SUCCESS_BODY;

    private Builder() {}

    /**
     * Where actions' keys are kept. Default: a new {@link IdempotencyKeyRegistry#inMemory()} per
     * interceptor. Share one registry between clients that run the same actions.
     */
    public Builder registry(IdempotencyKeyRegistry registry) {
      this.registry = Objects.requireNonNull(registry, "registry");
      return this;
    }

    /** When to retry. Default: {@link RetryPolicy#defaults()}. */
    public Builder retryPolicy(RetryPolicy retryPolicy) {
      this.retryPolicy = Objects.requireNonNull(retryPolicy, "retryPolicy");
      return this;
    }

    /**
     * What to do with a POST or PATCH that has no key. Default: {@link MissingKeyPolicy#GENERATE}.
     */
    public Builder missingKeyPolicy(MissingKeyPolicy missingKeyPolicy) {
      this.missingKeyPolicy = Objects.requireNonNull(missingKeyPolicy, "missingKeyPolicy");
      return this;
    }

    /** Observes keys, attempts, retries and outcomes. Default: {@link IdempotencyListener#NONE}. */
    public Builder listener(IdempotencyListener listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /**
     * Measures durations: the {@link RetryPolicy#deadline()}, counted from the first attempt.
     * Default: {@link Ticker#system()}. Being monotonic, it does not move when the system time is
     * set, as a {@link #clock} may. Tests pass one they advance.
     */
    public Builder ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /**
     * Waits between attempts. Default: {@link Sleeper#system()}, which blocks the calling thread.
     * Tests pass one that advances their ticker instead.
     */
    public Builder sleeper(Sleeper sleeper) {
      this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
      return this;
    }

    /**
     * The wall clock, read only to turn a {@code Retry-After} HTTP date into a wait. Default:
     * {@link Clock#systemUTC()}. The deadline does not use it (see {@link #ticker}); the key
     * registry has a clock of its own, for the keys' dates.
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * The source of backoff jitter; it must be threadsafe, as {@link Random} is. Default:
     * {@link ThreadLocalRandom}.
     */
    public Builder random(Random random) {
      this.random = Objects.requireNonNull(random, "random");
      return this;
    }

    /**
     * The most bytes of a 2xx body the interceptor reads into memory before it forgets the key
     * and reports success. Default {@link #DEFAULT_MAX_BUFFERED_SUCCESS_BODY} (1 MiB). A longer
     * success body is returned streaming and the action's key is forgotten only when the caller
     * reads it to its end (see the class documentation); 0 streams every non-empty success body
     * that way.
     *
     * @throws IllegalArgumentException if negative
     */
    public Builder maxBufferedSuccessBody(long bytes) {
      if (bytes < 0) throw new IllegalArgumentException("maxBufferedSuccessBody < 0: " + bytes);
      this.maxBufferedSuccessBody = bytes;
      return this;
    }

    public IdempotencyInterceptor build() {
      return new IdempotencyInterceptor(this);
    }
  }

  /**
   * A success body of no declared length (chunked, or read to the end of the connection), read
   * whole, with the content type of the body it was read from, parsed only if asked for: callers
   * that read the body as JSON never ask.
   */
  private static final class BufferedBody extends ResponseBody {
    private final Buffer bytes;
    private final long length;
    private final ResponseBody original;

    BufferedBody(Buffer bytes, ResponseBody original) {
      this.bytes = bytes;
      this.length = bytes.size();
      this.original = original;
    }

    @Override
    public okhttp3.MediaType contentType() {
      return original.contentType(); // the original is closed, but keeps its headers
    }

    @Override
    public long contentLength() {
      return length;
    }

    @Override
    public BufferedSource source() {
      return bytes;
    }
  }
}
