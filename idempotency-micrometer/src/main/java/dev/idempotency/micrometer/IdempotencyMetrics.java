package dev.idempotency.micrometer;

/**
 * The names of the idempotency meters and their tags; {@link GuardMetrics#of} and
 * {@link ClientMetrics#of} make the listeners that record them:
 *
 * <pre>{@code
 * IdempotencyGuard guard = IdempotencyGuard.builder()
 *     .store(store)
 *     .listener(GuardMetrics.of(registry))
 *     .build();
 * }</pre>
 *
 * <p>The names follow Micrometer's conventions (dot-separated, durations in seconds; a registry
 * renames them for its backend, {@code idempotency_server_calls_seconds_count} in Prometheus).
 * Tags are low-cardinality: an outcome, a reason, the guard's namespace, and the tags the
 * application adds; never a key, a scope, an action name or a URL.
 *
 * <p>Each side needs its own module on the class path ({@code idempotency-server-core} or
 * {@code idempotency-client}, both optional dependencies of this one), and each side's listener is
 * a class of its own that names only its side, so the side an application lacks is never loaded,
 * not even by reflection over this class. This class holds constants only.
 */
public final class IdempotencyMetrics {
  /**
   * Timer of guarded calls, tagged {@link #OUTCOME} (one of the guard's {@code CallOutcome}s in
   * lower case: {@code executed}, {@code executed_not_stored}, {@code failed},
   * {@code failure_stored}, {@code replayed}, {@code in_progress}, {@code key_reused},
   * {@code store_unavailable}, {@code capacity_exceeded}, {@code ran_unguarded}) and
   * {@link #NAMESPACE}: from the first claim to the answer, by the guard's ticker. Its count is
   * the number of calls that ended so; no separate counter repeats it.
   */
  public static final String SERVER_CALLS = "idempotency.server.calls";

  /** Counter of claims found lost (a lease expired under running work, or at completion), by namespace. */
  public static final String SERVER_LEASE_LOST = "idempotency.server.lease.lost";

  /** Counter of lease renewals that failed for another reason (the next one tries again), by namespace. */
  public static final String SERVER_LEASE_RENEWAL_FAILED = "idempotency.server.lease.renewal.failed";

  /** Counter of results whose storing failed in line and goes on in the background, by namespace. */
  public static final String SERVER_COMPLETION_DEFERRED = "idempotency.server.completion.deferred";

  /** Counter of deferred results that were stored after all, by namespace. */
  public static final String SERVER_COMPLETION_RECOVERED = "idempotency.server.completion.recovered";

  /**
   * Counter of deferred results never stored (the lease ran out, or the guard closed): a retry of
   * such a key runs the work again. By namespace.
   */
  public static final String SERVER_COMPLETION_FAILED = "idempotency.server.completion.failed";

  /** Counter of claims whose release failed after the work threw (the key frees at lease end), by namespace. */
  public static final String SERVER_RELEASE_FAILED = "idempotency.server.release.failed";

  /** Counter of HTTP attempts the client sent, the first ones and the retries. */
  public static final String CLIENT_ATTEMPTS = "idempotency.client.attempts";

  /** Counter of retries the client scheduled (each followed by an attempt unless interrupted). */
  public static final String CLIENT_RETRIES = "idempotency.client.retries";

  /**
   * Counter of calls whose outcome stayed unknown, tagged {@link #REASON}: {@code max_attempts},
   * {@code deadline}, {@code retry_budget}, {@code not_retryable}, {@code interrupted},
   * {@code canceled}.
   */
  public static final String CLIENT_GIVEUPS = "idempotency.client.giveups";

  /**
   * Counter of keyed calls by {@link #OUTCOME}: {@code succeeded}, {@code replayed} (a success
   * the server answered from its store), {@code in_progress} (409 or 425: stopped at once),
   * {@code definitely_failed}, {@code unknown} (gave up).
   */
  public static final String CLIENT_CALLS = "idempotency.client.calls";

  /** Tag key: how a call ended. */
  public static final String OUTCOME = "outcome";

  /** Tag key: the guard's namespace (one per service, set in its builder). */
  public static final String NAMESPACE = "namespace";

  /** Tag key: why the client gave up. */
  public static final String REASON = "reason";

  private IdempotencyMetrics() {}
}
