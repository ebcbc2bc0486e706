package dev.idempotency.examples.demo;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.idempotency.client.IdempotencyGaveUpException;
import dev.idempotency.client.IdempotencyInterceptor;
import dev.idempotency.client.IdempotencyOutcome;
import dev.idempotency.client.IdempotentAction;
import dev.idempotency.client.RetryPolicy;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * Runs payment actions against the demo API with the Java client, as an application would: one
 * {@link IdempotentAction} per payment, so every HTTP attempt of it, automatic or by hand, sends
 * the same key. An action that stopped "in progress" or whose outcome is unknown is tried again
 * later, as a user would, until it ends with a confirmed payment or {@link #MAX_TRIES} tries.
 *
 * <p>Once the SDK reports {@link IdempotencyOutcome.Succeeded} the payment has run and its key is
 * forgotten, so the action is over whatever happens next: the answer is read tolerantly (fields
 * this client does not know are ignored, so a server may add some), and an answer that still
 * cannot be read is counted as unreadable and reported, never taken for "no answer". Trying the
 * action again then would send a new key, and pay a second time.
 *
 * <p>Action {@code i} pays {@code 1000 + i} cents, so a ledger entry tells which action it belongs
 * to.
 */
final class DemoClient {
  /** The amount of action 0, in cents; action i pays FIRST_AMOUNT_CENTS + i. */
  static final long FIRST_AMOUNT_CENTS = 1000;
  // A user gives up after a while; 20 tries of an action cover a long outage at the pauses below.
  static final int MAX_TRIES = 20;
  // Between tries of one action: long enough that a payment of the demo finishes meanwhile.
  private static final Duration FIRST_PAUSE = Duration.ofMillis(50);
  private static final Duration MAX_PAUSE = Duration.ofSeconds(1);
  // The demo's payments take milliseconds, so retries start after a few of them; eight attempts
  // get past the demo's faults with room to spare (two in five requests meet one).
  private static final int MAX_ATTEMPTS = 8;
  private static final Duration BASE_DELAY = Duration.ofMillis(5);
  private static final Duration MAX_DELAY = Duration.ofMillis(200);
  private static final MediaType JSON = MediaType.get("application/json");

  private DemoClient() {}

  /** Runs every action and returns the summary once all have ended. */
  static Summary run(Options o) throws InterruptedException {
    AtomicLong attempts = new AtomicLong();
    AtomicLong noAnswers = new AtomicLong();
    OkHttpClient http = httpClient(o, attempts, noAnswers);
    // Tolerant: a server that adds a field to its answer must not make a paid action look unpaid.
    ObjectMapper json = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    String runId = UUID.randomUUID().toString().substring(0, 8);
    Tally tally = new Tally();
    AtomicInteger next = new AtomicInteger();
    AtomicInteger done = new AtomicInteger();
    ExecutorService workers = Executors.newFixedThreadPool(o.concurrency, r -> {
      Thread t = new Thread(r, "demo-client");
      t.setDaemon(true);
      return t;
    });
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int w = 0; w < o.concurrency; w++) {
        futures.add(workers.submit(() -> {
          for (int i = next.getAndIncrement(); i < o.actions; i = next.getAndIncrement()) {
            runAction(http, json, o, runId, i, tally);
            o.progress.accept(done.incrementAndGet());
          }
          return null;
        }));
      }
      for (Future<?> f : futures) {
        try {
          f.get();
        } catch (ExecutionException e) {
          throw new IllegalStateException("a client worker failed", e.getCause());
        }
      }
    } finally {
      workers.shutdownNow();
      workers.awaitTermination(10, TimeUnit.SECONDS);
      http.dispatcher().executorService().shutdown();
      http.connectionPool().evictAll();
    }
    return new Summary(o.actions, attempts.get(), noAnswers.get(), tally.replays.get(), tally.inProgressStops.get(),
        tally.unknownStops.get(), tally.unreadableAnswers.get(), new ArrayList<>(tally.confirmed.values()),
        o.actions - tally.confirmed.size());
  }

  private static void runAction(OkHttpClient http, ObjectMapper json, Options o, String runId, int i, Tally tally)
      throws InterruptedException {
    IdempotentAction action = IdempotentAction.of("payment:" + runId + ":" + i);
    long amount = FIRST_AMOUNT_CENTS + i;
    byte[] body = ("{\"account\":\"" + o.account + "\",\"amountCents\":" + amount + ",\"currency\":\"EUR\"}")
        .getBytes(StandardCharsets.UTF_8);
    Duration pause = FIRST_PAUSE;
    for (int t = 0; t < MAX_TRIES; t++) {
      Request.Builder request = new Request.Builder()
          .url(o.servers.get(0).resolve("/payments").toString())
          .post(RequestBody.create(body, JSON))
          .tag(IdempotentAction.class, action);
      if (o.token != null) request.header("Authorization", "Bearer " + o.token);
      try (Response response = http.newCall(request.build()).execute()) {
        IdempotencyOutcome outcome = IdempotencyOutcome.of(response);
        if (outcome instanceof IdempotencyOutcome.Succeeded s) {
          // Paid, and the key is gone: from here on, no failure may lead to another try.
          if (s.replayed()) tally.replays.incrementAndGet();
          Payment payment = readPayment(json, response);
          if (payment != null) {
            tally.confirmed.put(i, payment);
          } else {
            tally.unreadableAnswers.incrementAndGet();
          }
          return;
        }
        if (outcome instanceof IdempotencyOutcome.InProgress) {
          tally.inProgressStops.incrementAndGet();
        } else if (outcome instanceof IdempotencyOutcome.Unknown) {
          tally.unknownStops.incrementAndGet();
        } else {
          return; // definitely failed: a bug in this client or the server, counted as a failure
        }
      } catch (IdempotencyGaveUpException e) {
        tally.unknownStops.incrementAndGet();
      } catch (IOException e) {
        // A timeout is an InterruptedIOException too; only an interrupt ends the run.
        if (Thread.currentThread().isInterrupted()) throw new InterruptedException("interrupted");
        tally.unknownStops.incrementAndGet();
      }
      Thread.sleep(pause.toMillis());
      pause = pause.multipliedBy(2).compareTo(MAX_PAUSE) > 0 ? MAX_PAUSE : pause.multipliedBy(2);
    }
  }

  /** The payment a success answer carries, or null if it cannot be read. Never throws. */
  private static Payment readPayment(ObjectMapper json, Response response) {
    try {
      return json.readValue(response.body().bytes(), Payment.class);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static OkHttpClient httpClient(Options o, AtomicLong attempts, AtomicLong noAnswers) {
    RetryPolicy retries = RetryPolicy.builder()
        .maxAttempts(MAX_ATTEMPTS)
        .backoff(BASE_DELAY, MAX_DELAY)
        .deadline(Duration.ofSeconds(10))
        // The demo's faults hit two requests in five on purpose: at the default costs that rate
        // empties the budget as an outage would. A retry costs 1 here, a success puts 1 back.
        .budgetCosts(1, 2, 1)
        .build();
    AtomicInteger rotation = new AtomicInteger();
    return new OkHttpClient.Builder()
        .connectTimeout(Duration.ofSeconds(2))
        .readTimeout(o.readTimeout)
        .addInterceptor(IdempotencyInterceptor.builder().retryPolicy(retries).build())
        // After the idempotency interceptor, so it sees every attempt: spread attempts over the
        // servers and give some of them a short read timeout.
        .addInterceptor(chain -> attempt(chain, o, rotation))
        // Every request that reaches the wire, OkHttp's own silent resends included.
        .addNetworkInterceptor(chain -> {
          attempts.incrementAndGet();
          try {
            return chain.proceed(chain.request());
          } catch (IOException e) {
            noAnswers.incrementAndGet();
            throw e;
          }
        })
        .build();
  }

  private static Response attempt(Interceptor.Chain chain, Options o, AtomicInteger rotation) throws IOException {
    Request request = chain.request();
    if (o.servers.size() > 1) {
      URI server = o.servers.get(Math.floorMod(rotation.getAndIncrement(), o.servers.size()));
      HttpUrl url = request.url().newBuilder().host(server.getHost()).port(server.getPort()).build();
      request = request.newBuilder().url(url).build();
    }
    if (o.shortReadTimeout != null && o.random.nextDouble() < o.shortReadTimeoutRate) {
      chain = chain.withReadTimeout((int) o.shortReadTimeout.toMillis(), TimeUnit.MILLISECONDS);
    }
    // The idempotency interceptor reads a success's body before it forgets the key, so a body
    // that fails to arrive is a failed attempt, retried with the same key.
    return chain.proceed(request);
  }

  private static final class Tally {
    final Map<Integer, Payment> confirmed = new ConcurrentHashMap<>();
    final AtomicLong replays = new AtomicLong();
    final AtomicLong inProgressStops = new AtomicLong();
    final AtomicLong unknownStops = new AtomicLong();
    final AtomicLong unreadableAnswers = new AtomicLong();
  }

  /**
   * What a run did, as the client saw it.
   *
   * @param actions payment actions run
   * @param attempts HTTP requests sent, counting every automatic and manual retry
   * @param noAnswers attempts that got no answer: a lost answer, a read timeout, a refused connection
   * @param replays actions whose confirming answer was a replay of a stored answer
   * @param inProgressStops tries that stopped on 409/425 "in progress" (tried again later)
   * @param unknownStops tries where the client gave up with the outcome unknown (tried again later)
   * @param unreadableAnswers actions that succeeded but whose answer could not be read: paid, not
   *     tried again, and counted among the failures since the client has no payment to show
   * @param confirmed the confirmed payment of each action that has one
   * @param failures actions that did not end with a confirmed payment
   */
  record Summary(int actions, long attempts, long noAnswers, long replays, long inProgressStops, long unknownStops,
      long unreadableAnswers, List<Payment> confirmed, int failures) {

    /** HTTP requests beyond the first of each action. */
    long retries() {
      return attempts - actions;
    }

    boolean allConfirmed() {
      return failures == 0 && confirmed.size() == actions;
    }

    String format() {
      return String.format(
          "actions            %8d%n"
              + "HTTP attempts      %8d%n"
              + "no answer          %8d%n"
              + "retries            %8d%n"
              + "replays            %8d%n"
              + "in-progress stops  %8d%n"
              + "gave-up stops      %8d%n"
              + "unreadable answers %8d%n"
              + "failures           %8d%n",
          actions, attempts, noAnswers, retries(), replays, inProgressStops, unknownStops, unreadableAnswers,
          failures);
    }
  }

  /** How to run; {@link #builder} makes one. Immutable. */
  static final class Options {
    final List<URI> servers;
    final int actions;
    final int concurrency;
    final String account;
    final String token;
    final Duration readTimeout;
    final Duration shortReadTimeout;
    final double shortReadTimeoutRate;
    final Random random;
    final IntConsumer progress;

    private Options(Builder b) {
      this.servers = b.servers;
      this.actions = b.actions;
      this.concurrency = b.concurrency;
      this.account = b.account;
      this.token = b.token;
      this.readTimeout = b.readTimeout;
      this.shortReadTimeout = b.shortReadTimeout;
      this.shortReadTimeoutRate = b.shortReadTimeoutRate;
      this.random = b.random;
      this.progress = b.progress;
    }

    /** Options for servers at {@code servers} (base URIs); attempts rotate over them. */
    static Builder builder(List<URI> servers) {
      return new Builder(servers);
    }

    static final class Builder {
      private final List<URI> servers;
      private int actions = 100;
      private int concurrency = 8;
      private String account = "acc-1";
      private String token;
      private Duration readTimeout = Duration.ofSeconds(10);
      private Duration shortReadTimeout;
      private double shortReadTimeoutRate;
      private Random random = new Random();
      private IntConsumer progress = n -> {};

      private Builder(List<URI> servers) {
        Objects.requireNonNull(servers, "servers");
        if (servers.isEmpty()) throw new IllegalArgumentException("no server");
        this.servers = List.copyOf(servers);
      }

      /** Default 100. */
      Builder actions(int actions) {
        if (actions < 1) throw new IllegalArgumentException("actions is at least 1, not " + actions);
        this.actions = actions;
        return this;
      }

      /** Actions in flight at once. Default 8. */
      Builder concurrency(int concurrency) {
        if (concurrency < 1) throw new IllegalArgumentException("concurrency is at least 1, not " + concurrency);
        this.concurrency = concurrency;
        return this;
      }

      /** Default {@code acc-1}. */
      Builder account(String account) {
        Objects.requireNonNull(account, "account");
        if (!PaymentHandler.ACCOUNT.matcher(account).matches()) {
          throw new IllegalArgumentException("account must be 1 to 64 of A-Z a-z 0-9 . _ -, not " + account);
        }
        this.account = account;
        return this;
      }

      /** The bearer token sent as {@code Authorization}; null (the default) sends none. */
      Builder token(String token) {
        if (token != null && (token.isBlank() || !token.chars().allMatch(c -> c > 0x20 && c < 0x7f))) {
          throw new IllegalArgumentException("token must be visible ASCII without spaces");
        }
        this.token = token;
        return this;
      }

      /** Default 10 s. */
      Builder readTimeout(Duration readTimeout) {
        this.readTimeout = positive(readTimeout, "readTimeout");
        return this;
      }

      /** Gives a share of the attempts a short read timeout, so some answers arrive too late. */
      Builder shortReadTimeouts(Duration timeout, double rate) {
        this.shortReadTimeout = positive(timeout, "timeout");
        if (!(rate >= 0 && rate <= 1)) throw new IllegalArgumentException("rate is 0 to 1, not " + rate);
        this.shortReadTimeoutRate = rate;
        return this;
      }

      Builder random(Random random) {
        this.random = Objects.requireNonNull(random, "random");
        return this;
      }

      /** Told the number of actions ended so far, after each one. */
      Builder progress(IntConsumer progress) {
        this.progress = Objects.requireNonNull(progress, "progress");
        return this;
      }

      Options build() {
        return new Options(this);
      }

      private static Duration positive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) throw new IllegalArgumentException(name + " must be positive: " + d);
        return d;
      }
    }
  }
}
