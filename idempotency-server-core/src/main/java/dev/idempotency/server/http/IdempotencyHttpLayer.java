package dev.idempotency.server.http;

import dev.idempotency.contract.IdempotencyException;
import dev.idempotency.contract.IdempotencyHeaders;
import dev.idempotency.contract.IdempotencyKey;
import dev.idempotency.contract.InvalidIdempotencyKeyException;
import dev.idempotency.contract.Problem;
import dev.idempotency.contract.ProblemType;
import dev.idempotency.contract.RetryAfter;
import dev.idempotency.contract.StatusCodes;
import dev.idempotency.server.Claim;
import dev.idempotency.server.GuardedResult;
import dev.idempotency.server.IdempotencyExecutor;
import dev.idempotency.server.IdempotencyGuard;
import dev.idempotency.server.IdempotencyInProgressException;
import dev.idempotency.server.IdempotencyKeyReusedException;
import dev.idempotency.server.IdempotentCall;
import dev.idempotency.server.ResultCodec;
import dev.idempotency.server.StorePolicy;
import dev.idempotency.server.store.IdempotencyCapacityExceededException;
import dev.idempotency.server.store.IdempotencyStoreUnavailableException;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * The HTTP layer of the contract: puts an {@link IdempotencyGuard} in front of business code and
 * answers as the server table of the contract says. It is not an HTTP handler of any framework;
 * an integration turns its framework's request into an {@link HttpRequestView}, calls
 * {@link #handle}, and writes the {@link HttpResponseView} it gets back:
 *
 * <table>
 *   <caption>What {@link #handle} answers</caption>
 *   <tr><th>request</th><th>answer</th><th>business code runs</th></tr>
 *   <tr><td>method not in {@link Builder#requireKeyFor} (case-sensitive: {@code post} is not
 *       {@code POST})</td><td>the business answer</td>
 *       <td>yes, unguarded</td></tr>
 *   <tr><td>no {@code Idempotency-Key}</td><td>400 {@code idempotency-key-missing}</td>
 *       <td>no</td></tr>
 *   <tr><td>malformed or repeated key (or not a UUID, by option)</td>
 *       <td>400 {@code idempotency-key-invalid}</td><td>no</td></tr>
 *   <tr><td>body over {@link Builder#maxBodyBytes}</td>
 *       <td>413 {@code idempotency-request-too-large}</td><td>no</td></tr>
 *   <tr><td>first request with the key</td><td>the business answer, unchanged</td>
 *       <td>yes, once</td></tr>
 *   <tr><td>repeat after completion, same method, path, query and body</td>
 *       <td>the stored status, allowed headers and body, plus {@code Idempotent-Replayed: true}</td>
 *       <td>no</td></tr>
 *   <tr><td>repeat with a different request</td><td>422 {@code idempotency-key-reused}</td>
 *       <td>no</td></tr>
 *   <tr><td>repeat while the first still runs</td>
 *       <td>409 (or 425) {@code idempotency-request-in-progress}, {@code Retry-After}</td>
 *       <td>no</td></tr>
 *   <tr><td>store unreachable</td>
 *       <td>503 {@code idempotency-store-unavailable}, {@code Retry-After}</td><td>no</td></tr>
 *   <tr><td>business answers 5xx (see {@link Builder#storeWhen}) or throws</td>
 *       <td>that answer, or the exception propagates; nothing stored, the key released</td>
 *       <td>yes</td></tr>
 * </table>
 *
 * <p>Problems are {@code application/problem+json} bodies of {@link Problem}. The record of a key
 * is per caller: {@link HttpRequestView#scope()} keeps one caller's answers from another's.
 *
 * <p>The guard is used as configured (namespace, store, leases, in-progress policy, fail-open,
 * failure rule). The layer hands it one {@link StorePolicy}: an answer {@link Builder#storeWhen}
 * accepts is stored, any other releases the key; an exception of the business code releases the
 * key, unless the guard's {@code storeFailuresWhen} accepts it: then it is stored, and a repeat
 * makes {@link #handle} throw {@link dev.idempotency.server.IdempotencyStoredFailureException}
 * (map it in the framework as the original exception is mapped). The business code gets the
 * request's {@link Claim}: hand its fencing token to the resource it writes.
 *
 * <p>This class is threadsafe.
 */
public final class IdempotencyHttpLayer {
  /**
   * 1 MiB, nginx's default {@code client_max_body_size}: far above a command to an API, and a
   * bound on what one request makes the server hold in memory to fingerprint it.
   */
  public static final int DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

  // RFC 9110 section 9.2.2: PUT and DELETE are idempotent by definition and GET, HEAD, OPTIONS
  // and TRACE are safe; POST and PATCH are neither, so they are the ones a repeat can double.
  private static final List<String> DEFAULT_REQUIRE_KEY_FOR = List.of("POST", "PATCH");

  // RFC 9110 section 9 and RFC 5789: the methods whose names a configuration may miscase.
  private static final List<String> STANDARD_METHODS =
      List.of("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH");

  // A store outage is usually a short blip (a failover, a reconnect); clients back off further
  // on their own when it lasts.
  private static final Duration DEFAULT_UNAVAILABLE_RETRY_AFTER = Duration.ofSeconds(1);

  // "Retry-After: 0" would invite an immediate retry that finds the first request still running.
  private static final Duration MIN_IN_PROGRESS_RETRY_AFTER = Duration.ofSeconds(1);

  // Always stored: what a client needs to read the body and to find what a 201 created.
  private static final List<String> ALWAYS_STORED = List.of("Content-Type", "Location");

  // Credentials and session state belong to one caller at one moment: a replay must not hand
  // them to a retry, or bring back a session ended since. Refused even when configured.
  private static final Set<String> NEVER_STORED =
      caseInsensitive(
          List.of(
              "Set-Cookie",
              "Set-Cookie2",
              "Cookie",
              "Authorization",
              "Proxy-Authorization",
              "WWW-Authenticate",
              "Proxy-Authenticate"));

  // RFC 9562 section 4: 8-4-4-4-12 hexadecimal digits, either case on input.
  private static final Pattern UUID =
      Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

  private final IdempotencyExecutor guard;
  private final Set<String> requireKeyFor;
  private final int inProgressStatus;
  private final Set<String> storedHeaders;
  private final Predicate<? super HttpResponseView> storeWhen;
  private final UnaryOperator<HttpResponseView> redactor;
  private final int maxBodyBytes;
  private final boolean requireUuidKeys;
  private final Duration unavailableRetryAfter;
  // The answers stored (storeWhen) beside the failures stored (the guard's storeFailuresWhen):
  // one policy, judged by the guard when the business code ends.
  private final StorePolicy<HttpResponseView> storePolicy;
  // What the guard stores of an answer: its stored form (redacted, allowed headers only), in the
  // layer's binary format; the first caller gets the answer itself.
  private final ResultCodec<HttpResponseView> storing =
      new ResultCodec<>() {
        @Override
        public byte[] encode(HttpResponseView answer) {
          return ResponseCodec.INSTANCE.encode(storedForm(answer));
        }

        @Override
        public HttpResponseView decode(byte[] bytes) {
          return ResponseCodec.INSTANCE.decode(bytes);
        }

        @Override
        public HttpResponseView decode(byte[] bytes, int offset, int length) {
          return ResponseCodec.INSTANCE.decode(bytes, offset, length);
        }
      };

  private IdempotencyHttpLayer(Builder b) {
    this.guard = b.guard;
    this.requireKeyFor = Set.copyOf(b.requireKeyFor);
    this.inProgressStatus = b.inProgressStatus;
    TreeSet<String> stored = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
    stored.addAll(ALWAYS_STORED);
    stored.addAll(b.storeHeaders);
    this.storedHeaders = Collections.unmodifiableSet(stored);
    this.storeWhen = b.storeWhen;
    this.redactor = b.redactor;
    this.maxBodyBytes = b.maxBodyBytes;
    this.requireUuidKeys = b.requireUuidKeys;
    this.unavailableRetryAfter = b.unavailableRetryAfter;
    this.storePolicy = StorePolicy.storeResultsWhen(b.storeWhen);
  }

  /** A builder for a handler in front of {@code guard}. */
  public static Builder builder(IdempotencyExecutor guard) {
    return new Builder(guard);
  }

  /**
   * The largest request body this handler accepts on a method that requires a key. An
   * integration may stop reading a body after {@code maxBodyBytes() + 1} bytes: the handler
   * answers 413 either way.
   */
  public int maxBodyBytes() {
    return maxBodyBytes;
  }

  /**
   * Reads the body of a guarded request for {@link #handle}, never more than {@link #maxBodyBytes()}
   * plus one byte, whatever {@code contentLength} (the request's Content-Length, -1 for none or a
   * chunked body) announces: a longer body comes back as its first {@code maxBodyBytes() + 1}
   * bytes, which {@code handle} answers 413. With a length under the limit it reads into an array
   * of that size, with no growing buffer to copy from. The rest of a longer body stays unread: an
   * integration closes the connection after the answer ({@code Connection: close}).
   *
   * @throws IOException what reading {@code in} threw
   */
  public byte[] readBody(InputStream in, long contentLength) throws IOException {
    Objects.requireNonNull(in, "in");
    // One byte over the limit is all handle needs to answer 413.
    int limit = maxBodyBytes == Integer.MAX_VALUE ? maxBodyBytes : maxBodyBytes + 1;
    if (contentLength < 0 || contentLength >= limit) return in.readNBytes(limit);
    byte[] body = new byte[(int) contentLength];
    int n = in.readNBytes(body, 0, body.length);
    if (n < body.length) return Arrays.copyOf(body, n);
    // Servers end the stream at the length; read on in case one does not.
    byte[] more = in.readNBytes(limit - n);
    if (more.length == 0) return body;
    byte[] all = Arrays.copyOf(body, n + more.length);
    System.arraycopy(more, 0, all, n, more.length);
    return all;
  }

  /**
   * Whether requests with {@code method} are guarded (need a key, are fingerprinted, and so have
   * their body read into memory). Methods compare case-sensitively, as RFC 9110 says: {@code post}
   * is not {@code POST}, and is not guarded by default. An integration passes any other request
   * straight through, streaming, without buffering its body.
   */
  public boolean guards(String method) {
    return requireKeyFor.contains(Objects.requireNonNull(method, "method"));
  }

  /**
   * Answers {@code request}: with {@code business}'s answer when it runs, otherwise with a stored
   * answer or a problem, as the class documentation's table says. Never returns null.
   *
   * <p>The answer of a first request is {@code business}'s own, unchanged and unredacted (a
   * {@code Set-Cookie} on it reaches that caller). A replay carries only the allowed headers.
   *
   * @throws Exception what {@code business} threw, unchanged, after the key was released
   */
  public HttpResponseView handle(HttpRequestView request, HttpBusinessHandler business)
      throws Exception {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(business, "business");
    if (!guards(request.method())) {
      return business.handle(request, Claim.UNGUARDED);
    }

    List<String> keyValues = request.headerValues(IdempotencyHeaders.IDEMPOTENCY_KEY);
    if (keyValues.isEmpty()) {
      return problem(
          Problem.of(
              ProblemType.KEY_MISSING,
              request.method() + " requests here need an Idempotency-Key header: one unique"
                  + " value per action, the same on every retry of it"),
          null);
    }
    IdempotencyKey key;
    try {
      key = IdempotencyKey.parseHeaders(keyValues);
    } catch (InvalidIdempotencyKeyException e) {
      return problem(Problem.of(ProblemType.KEY_INVALID, e.getMessage()), null);
    }
    if (requireUuidKeys && !UUID.matcher(key.value()).matches()) {
      return problem(
          Problem.of(
              ProblemType.KEY_INVALID,
              "Idempotency-Key must be a UUID here (8-4-4-4-12 hexadecimal digits)"),
          null);
    }
    if (request.body().length > maxBodyBytes) {
      return problem(
          Problem.of(
              ProblemType.REQUEST_TOO_LARGE,
              "the request body has " + request.body().length + " bytes; at most " + maxBodyBytes
                  + " are accepted"),
          null);
    }

    IdempotentCall call =
        IdempotentCall.of(key).withScope(request.scope()).withFingerprint(RequestFingerprint.of(request));
    GuardedResult<HttpResponseView> result;
    try {
      result = guard.run(call, storing, storePolicy,
          claim -> Objects.requireNonNull(business.handle(request, claim), "the business handler returned null"));
    } catch (IdempotencyInProgressException | IdempotencyKeyReusedException | IdempotencyStoreUnavailableException e) {
      return problemFor(e); // thrown before the business code ran: nothing ran
    }
    // A first run's answer is the business code's own, unchanged and unredacted; a replay is the
    // stored form.
    return result.replayed() ? replay(result.value()) : result.value();
  }

  private HttpResponseView problemFor(IdempotencyException e) {
    if (e instanceof IdempotencyInProgressException inProgress) {
      Duration wait = inProgress.retryAfter();
      if (wait.compareTo(MIN_IN_PROGRESS_RETRY_AFTER) < 0) wait = MIN_IN_PROGRESS_RETRY_AFTER;
      String seconds = RetryAfter.format(wait);
      return problem(
          Problem.of(
              ProblemType.REQUEST_IN_PROGRESS,
              inProgressStatus,
              "a request with this Idempotency-Key is still being processed; retry with the same"
                  + " key after " + seconds + " s to get its answer"),
          seconds);
    }
    if (e instanceof IdempotencyKeyReusedException) {
      return problem(
          Problem.of(
              ProblemType.KEY_REUSED,
              "this Idempotency-Key was used for a different request (method, path, query or"
                  + " body differ); use a new key for a new action"),
          null);
    }
    if (e instanceof IdempotencyStoreUnavailableException) {
      String seconds = RetryAfter.format(unavailableRetryAfter);
      // The store's own message may name hosts or internals: it stays on the server.
      return problem(
          Problem.of(
              ProblemType.STORE_UNAVAILABLE,
              (e instanceof IdempotencyCapacityExceededException
                      ? "the idempotency store has no room for a new key now"
                      : "the idempotency store cannot be reached")
                  + "; nothing was run. Retry with the same key after " + seconds + " s"),
          seconds);
    }
    throw e;
  }

  private static HttpResponseView problem(Problem problem, String retryAfter) {
    Map<String, List<String>> headers = new LinkedHashMap<>();
    headers.put("Content-Type", List.of(ProblemType.MEDIA_TYPE));
    if (retryAfter != null) headers.put(IdempotencyHeaders.RETRY_AFTER, List.of(retryAfter));
    return new HttpResponseView(problem.status(), headers, problem.toJsonBytes());
  }

  private HttpResponseView replay(HttpResponseView stored) {
    Map<String, List<String>> headers = allowedHeaders(stored.headers());
    headers.keySet().removeIf(IdempotencyHeaders.IDEMPOTENT_REPLAYED::equalsIgnoreCase);
    headers.put(IdempotencyHeaders.IDEMPOTENT_REPLAYED, List.of("true"));
    return new HttpResponseView(stored.status(), headers, stored.body());
  }

  /** What is stored for {@code answer}: redacted, then only the allowed headers. */
  private HttpResponseView storedForm(HttpResponseView answer) {
    HttpResponseView redacted =
        Objects.requireNonNull(redactor.apply(answer), "the redactor returned null");
    // Views are immutable: one whose headers are all allowed is its own stored form.
    if (allAllowed(redacted.headers())) return redacted;
    return new HttpResponseView(
        redacted.status(), allowedHeaders(redacted.headers()), redacted.body());
  }

  private boolean allAllowed(Map<String, List<String>> headers) {
    for (String name : headers.keySet()) {
      if (!isStored(name)) return false;
    }
    return true;
  }

  private boolean isStored(String name) {
    return storedHeaders.contains(name) && !NEVER_STORED.contains(name);
  }

  private Map<String, List<String>> allowedHeaders(Map<String, List<String>> headers) {
    Map<String, List<String>> allowed = new LinkedHashMap<>();
    for (Map.Entry<String, List<String>> e : headers.entrySet()) {
      if (isStored(e.getKey())) {
        allowed.put(e.getKey(), e.getValue());
      }
    }
    return allowed;
  }

  private static Set<String> caseInsensitive(List<String> names) {
    TreeSet<String> set = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
    set.addAll(names);
    return Collections.unmodifiableSet(set);
  }

  /**
   * Configures an {@link IdempotencyHttpLayer}. Each setter documents its default; {@link
   * #build()} copies the configuration, so a builder can be changed and reused.
   */
  public static final class Builder {
    private final IdempotencyExecutor guard;
    private List<String> requireKeyFor = DEFAULT_REQUIRE_KEY_FOR;
    private int inProgressStatus = StatusCodes.CONFLICT;
    private List<String> storeHeaders = List.of();
    private Predicate<? super HttpResponseView> storeWhen = r -> r.status() < 500;
    private UnaryOperator<HttpResponseView> redactor = UnaryOperator.identity();
    private int maxBodyBytes = DEFAULT_MAX_BODY_BYTES;
    private boolean requireUuidKeys;
    private Duration unavailableRetryAfter = DEFAULT_UNAVAILABLE_RETRY_AFTER;

    private Builder(IdempotencyExecutor guard) {
      this.guard = Objects.requireNonNull(guard, "guard");
    }

    /**
     * The methods guarded by a key, compared case-sensitively (RFC 9110 section 9.1); requests
     * with any other method, {@code post} included, pass straight to the business code. Default:
     * {@code POST} and {@code PATCH}.
     *
     * @throws IllegalArgumentException if there is none, if one is not an HTTP method token, or if
     *     one is a standard method in another case ({@code post}): it would leave {@code POST}
     *     unguarded
     */
    public Builder requireKeyFor(String... methods) {
      Objects.requireNonNull(methods, "methods");
      if (methods.length == 0) {
        throw new IllegalArgumentException("requireKeyFor needs at least one method");
      }
      for (String m : methods) {
        Objects.requireNonNull(m, "method");
        if (!isToken(m)) throw new IllegalArgumentException("not an HTTP method: \"" + m + "\"");
        for (String standard : STANDARD_METHODS) {
          if (standard.equalsIgnoreCase(m) && !standard.equals(m)) {
            throw new IllegalArgumentException(
                "methods are case-sensitive: \"" + m + "\" is not " + standard + "; write " + standard);
          }
        }
      }
      this.requireKeyFor = List.of(methods);
      return this;
    }

    /**
     * The status of the in-progress problem: 409 Conflict (default) or 425 Too Early (RFC 8470).
     * Either way a contract client stops and keeps its key.
     *
     * @throws IllegalArgumentException for any other status
     */
    public Builder inProgressStatus(int status) {
      if (status != StatusCodes.CONFLICT && status != StatusCodes.TOO_EARLY) {
        throw new IllegalArgumentException("inProgressStatus is 409 or 425, not " + status);
      }
      this.inProgressStatus = status;
      return this;
    }

    /**
     * Headers stored and replayed besides {@code Content-Type} and {@code Location}, which always
     * are; names compare ignoring case. Replaces the names of an earlier call. Default: none.
     *
     * @throws IllegalArgumentException for a name that is not a header name, or for a header that
     *     carries credentials or session state ({@code Set-Cookie}, {@code Cookie}, {@code
     *     Authorization}, {@code Proxy-Authorization}, {@code WWW-Authenticate}, ...), which is
     *     never stored
     */
    public Builder storeHeaders(String... names) {
      Objects.requireNonNull(names, "names");
      for (String n : names) {
        Objects.requireNonNull(n, "name");
        if (!isToken(n)) throw new IllegalArgumentException("not a header name: \"" + n + "\"");
        if (NEVER_STORED.contains(n)) {
          throw new IllegalArgumentException(n + " is never stored: a replay must not carry it");
        }
      }
      this.storeHeaders = List.of(names);
      return this;
    }

    /**
     * Which business answers are stored and replayed. An answer it rejects is passed to its
     * caller and forgotten: the key is released and a retry runs the business code again. The
     * predicate must not throw. Default: {@code status < 500}.
     */
    public Builder storeWhen(Predicate<? super HttpResponseView> storeWhen) {
      this.storeWhen = Objects.requireNonNull(storeWhen, "storeWhen");
      return this;
    }

    /**
     * Rewrites an answer before it is stored, e.g. to blank sensitive body fields. Only the
     * stored copy, and so every replay, is redacted: the first caller gets the business answer
     * as it was. Headers outside the allow-list are dropped after it runs. If it throws or
     * returns null, the request fails as if the business code had thrown: nothing is stored and
     * the key is released. Default: none (the identity).
     */
    public Builder redactor(UnaryOperator<HttpResponseView> redactor) {
      this.redactor = Objects.requireNonNull(redactor, "redactor");
      return this;
    }

    /**
     * The largest request body accepted on a method that requires a key; a larger one is
     * answered 413 {@code idempotency-request-too-large} without running anything. The whole
     * body is held in memory and hashed into the fingerprint, so this bounds what one request
     * costs. Default: {@link IdempotencyHttpLayer#DEFAULT_MAX_BODY_BYTES} (1 MiB).
     *
     * @throws IllegalArgumentException if negative
     */
    public Builder maxBodyBytes(int maxBodyBytes) {
      if (maxBodyBytes < 0) {
        throw new IllegalArgumentException("maxBodyBytes is negative: " + maxBodyBytes);
      }
      this.maxBodyBytes = maxBodyBytes;
      return this;
    }

    /**
     * When true, only a UUID (8-4-4-4-12 hexadecimal digits, any version) is a valid key; any
     * other is answered 400 {@code idempotency-key-invalid}. Default: false (any 1-255 visible
     * ASCII characters, as the contract allows).
     */
    public Builder requireUuidKeys(boolean requireUuidKeys) {
      this.requireUuidKeys = requireUuidKeys;
      return this;
    }

    /**
     * The {@code Retry-After} of the 503 answered when the store cannot be reached, rounded up to
     * whole seconds. Default: 1 second.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder unavailableRetryAfter(Duration retryAfter) {
      Objects.requireNonNull(retryAfter, "retryAfter");
      if (retryAfter.isNegative() || retryAfter.isZero()) {
        throw new IllegalArgumentException("unavailableRetryAfter is not positive: " + retryAfter);
      }
      this.unavailableRetryAfter = retryAfter;
      return this;
    }

    /** A handler with this configuration. */
    public IdempotencyHttpLayer build() {
      return new IdempotencyHttpLayer(this);
    }

    // RFC 9110 section 5.6.2: token = 1*tchar.
    private static boolean isToken(String s) {
      if (s.isEmpty()) return false;
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        boolean tchar =
            (c >= 'a' && c <= 'z')
                || (c >= 'A' && c <= 'Z')
                || (c >= '0' && c <= '9')
                || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
        if (!tchar) return false;
      }
      return true;
    }
  }
}
