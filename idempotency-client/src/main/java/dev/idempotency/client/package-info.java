/**
 * An OkHttp client that sends every state-changing request with an {@code Idempotency-Key}, one
 * key per business action, retries with that same key, and tells the caller how the action ended.
 *
 * <h2>Set up once per client</h2>
 * <pre>{@code
 * IdempotencyInterceptor idempotency = IdempotencyInterceptor.builder()
 *     .registry(IdempotencyKeyRegistry.builder()
 *         .store(FileKeyStore.open(Path.of("keys")))    // default: in memory
 *         .build())
 *     .retryPolicy(RetryPolicy.builder().maxAttempts(5).build())
 *     .build();
 * OkHttpClient client = new OkHttpClient.Builder().addInterceptor(idempotency).build();
 * }</pre>
 *
 * <h2>Name the action on each request</h2>
 * <pre>{@code
 * Request request = new Request.Builder()
 *     .url("https://api.example.com/payments")
 *     .post(RequestBody.create(json, MediaType.get("application/json")))
 *     .tag(IdempotentAction.class, IdempotentAction.of("pay:order-42:attempt-by-user-7"))
 *     .build();
 * try (Response response = client.newCall(request).execute()) {
 *   IdempotencyOutcome outcome = IdempotencyOutcome.of(response);
 *   if (outcome instanceof IdempotencyOutcome.Succeeded s) {
 *     show(s.replayed() ? "already paid" : "paid");
 *   } else if (outcome instanceof IdempotencyOutcome.InProgress) {
 *     show("still being processed: try again in a moment");   // same key next time
 *   } else if (outcome instanceof IdempotencyOutcome.DefinitelyFailed f) {
 *     show("refused: " + f.status());                          // key forgotten
 *   } else {
 *     show("not sure it went through: try again");             // Unknown: key kept
 *   }
 * } catch (IdempotencyGaveUpException e) {
 *   show("no answer: try again");    // e.outcome() says why; the key is kept
 * }
 * }</pre>
 *
 * <h2>What happens</h2>
 * <ul>
 *   <li>The action's key comes from the {@link dev.idempotency.client.IdempotencyKeyRegistry}: the
 *       same key on every automatic retry and every manual retry of the action, until it
 *       succeeds (2xx) or definitively fails (400, 422, other 4xx); then it is forgotten. Keys
 *       expire after 24 hours, the server's retention.
 *   <li>A 2xx counts once its whole body has arrived: the interceptor reads it into memory (up
 *       to 1 MiB, {@code maxBufferedSuccessBody}) before it forgets the key, and a body cut short
 *       is retried with the same key like no answer at all. A longer body streams to the caller,
 *       and the key is forgotten when the caller reads it to its end.
 *   <li>5xx, 408, 429, a connection failure or a timeout: retried with the same key, with
 *       full-jitter backoff, honouring {@code Retry-After}, within the
 *       {@link dev.idempotency.client.RetryPolicy}'s attempts, deadline and shared budget.
 *   <li>409 or 425: the first request is still running; the call stops at once and reports
 *       {@link dev.idempotency.client.IdempotencyOutcome.InProgress}; the key is kept.
 *   <li>An explicit {@code Idempotency-Key} header is always sent as is. A POST or PATCH with no
 *       key gets one for that call, or is refused ({@link dev.idempotency.client.MissingKeyPolicy}).
 *   <li>A one-shot body is never sent twice.
 * </ul>
 *
 * <p>To count attempts, retries, replays and outcomes, give the interceptor an
 * {@link dev.idempotency.client.IdempotencyListener}.
 */
package dev.idempotency.client;
