package dev.idempotency.examples.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.pool.HikariPool.PoolInitializationException;
import dev.idempotency.contract.IdempotencyHeaders;
import dev.idempotency.contract.ProblemType;
import dev.idempotency.jdkhttp.IdempotentExchangeHandler;
import dev.idempotency.server.IdempotencyExecutor;
import dev.idempotency.server.IdempotencyGuard;
import dev.idempotency.server.http.HttpResponseView;
import dev.idempotency.server.http.IdempotencyHttpLayer;
import dev.idempotency.server.jdbc.JdbcIdempotencyStore;
import dev.idempotency.server.jdbc.TransactionalIdempotencyGuard;
import dev.idempotency.server.redis.RedisIdempotencyStore;
import dev.idempotency.server.store.IdempotencyStore;
import dev.idempotency.server.store.InMemoryIdempotencyStore;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.UnifiedJedis;

/**
 * The demo's payments API on the JDK {@link HttpServer}, with {@link IdempotentExchangeHandler}
 * in front of the payment code, on 127.0.0.1:
 *
 * <ul>
 *   <li>{@code POST /payments}: JSON {@code {"account":"acc-1","amountCents":1250,"currency":"EUR"}}
 *       and an {@code Idempotency-Key}; 201 with the payment ({@code id}, {@code account},
 *       {@code amountCents}, {@code currency}); 400 problem for a bad body; 503 problem with {@code
 *       Retry-After} when {@link Options.Builder#maxConcurrentPayments} payments run already. The
 *       caller's scope is a digest of the {@code Authorization} header ({@link
 *       IdempotentExchangeHandler#credentialScope}); no header: one anonymous scope.
 *   <li>{@code GET /accounts/{account}/payments}: 200, the ledger: a JSON array of the payments
 *       that really executed.
 *   <li>{@code GET /stats}: 200, this process's counts as JSON, the fields of {@link Stats}.
 *   <li>{@code GET /health}: 200.
 *   <li>{@code GET /}: the web page, {@code web/index.html} on the class path, and the other files
 *       under {@code web/}.
 * </ul>
 *
 * <p>Slow clients: a request's line, headers and body must arrive within {@link
 * Options.Builder#readTimeout} of its first byte, and each step of its answer that waits on the
 * client gets that long again; a client that misses a deadline has its connection closed ({@link
 * ClientTimeouts}). Requests are served on up to 256 threads, created as needed;
 * with every one busy, a new request's connection is closed unanswered (the JDK server's answer to
 * a refused task). With payments capped well below that, threads remain for {@code /health}, the
 * ledger and the page.
 *
 * <p>The store ({@link Options.Builder#store}): memory, Redis or Redis Cluster behind the
 * lease-based {@link IdempotencyGuard}, the ledger fenced by the claim's token; or PostgreSQL
 * behind a {@link TransactionalIdempotencyGuard}, the ledger row written in the claim's own
 * transaction, through a pool of at most {@link Options.Builder#maxConcurrentPayments} + 2
 * connections.
 *
 * <p>Faults, for showing what the guard is for: {@link Options.Builder#failBefore} answers 503
 * before anything runs; {@link Options.Builder#dropAfter} runs the payment, stores its answer and
 * closes the connection without sending it, as a network that loses an answer would.
 *
 * <p>This class is threadsafe.
 */
public final class DemoServer implements AutoCloseable {
  /** The namespace of the demo's idempotency records. */
  static final String NAMESPACE = "demo-payments";
  // The JDK server reads a request's headers on an executor thread, so every request in flight
  // takes a thread, a slow client's too: far more threads than payments may use keeps some for
  // everything else. Created on demand, dropped when idle, and no queue, so that no request waits
  // behind slow ones. As many as the BACKLOG, so that a burst the kernel holds is served at once.
  static final int THREADS = 256;
  // Payments hold their thread while they run (and take the store's time): a cap well below the
  // threads keeps /health and the ledger answering when payments are slow. Twice the concurrency
  // of the demo's heaviest run (16) by default.
  private static final int DEFAULT_MAX_CONCURRENT_PAYMENTS = 32;
  static final int MAX_CONCURRENT_PAYMENTS = THREADS / 2;
  // Apache httpd's mod_reqtimeout gives a request's headers 20 s at first; a working client sends
  // them in one round trip.
  private static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(20);
  // What a caller refused for being one payment too many should wait before it retries.
  private static final String BUSY_RETRY_AFTER = "1";
  // The kernel's queue of connections not yet accepted: room for every connection of a burst.
  private static final int BACKLOG = 256;
  // A claim left behind by a crash or a store outage frees its key after this long. A payment of
  // the demo takes milliseconds, and the guard renews the lease of a longer one while it runs.
  private static final Duration LEASE_TTL = Duration.ofSeconds(5);
  // The JDK HttpServer writes a status line and a body in two writes; with Nagle's algorithm on
  // (its default) a small answer can wait for the client's delayed ACK, some 40 ms. Read once,
  // when the JVM's first HttpServer starts; a value set on the command line wins.
  private static final String NODELAY = "sun.net.httpserver.nodelay";
  // PostgreSQL: how long a request waits for the database (a connection from the pool, which
  // opens one if it must) before it is answered 503; seconds to open a session; and a backstop
  // for a database host that vanishes mid-statement, well above the statement timeouts (5 s).
  private static final Duration DATABASE_WAIT = Duration.ofSeconds(2);
  private static final int CONNECT_TIMEOUT_SECONDS = 5;
  private static final int SOCKET_TIMEOUT_SECONDS = 30;

  static {
    if (System.getProperty(NODELAY) == null) System.setProperty(NODELAY, "true");
  }

  private final HttpServer http;
  private final ExecutorService executor;
  private final ClientTimeouts timeouts;
  private final Semaphore paymentSlots;
  private final int maxConcurrentPayments;
  private final UnifiedJedis jedis;
  private final HikariDataSource pool;
  private final String description;
  private final Ledger ledger;
  private final PaymentHandler payments;
  private final AtomicLong failedBefore = new AtomicLong();
  private final AtomicLong droppedAfter = new AtomicLong();
  private final AtomicLong storeUnavailable = new AtomicLong();
  private final AtomicLong busy = new AtomicLong();
  private final AtomicLong refused = new AtomicLong();
  private final AtomicLong inProgress = new AtomicLong();
  private final AtomicLong paymentErrors = new AtomicLong();

  private DemoServer(Options options) throws IOException {
    ObjectMapper json = new ObjectMapper();
    StoreSpec spec = StoreSpec.parse(options.store);
    this.maxConcurrentPayments = options.maxConcurrentPayments;
    this.paymentSlots = new Semaphore(maxConcurrentPayments);
    // Neither starts a thread before the server runs.
    this.timeouts = new ClientTimeouts(options.readTimeout);
    this.executor = executor();
    this.jedis = spec instanceof StoreSpec.Redis redis ? connect(redis) : null;
    HikariDataSource pool = null;
    try {
      IdempotencyExecutor guard;
      if (spec instanceof StoreSpec.Postgres postgres) {
        pool = pool(postgres.url(), maxConcurrentPayments);
        // Transactional: the claim, the ledger row and the stored answer commit together.
        JdbcIdempotencyStore store = JdbcIdempotencyStore.builder(pool).createSchemaIfMissing(true).build();
        guard = TransactionalIdempotencyGuard.builder(store).namespace(NAMESPACE).build();
        this.ledger = new JdbcLedger(pool, NAMESPACE);
      } else {
        IdempotencyStore store = jedis == null
            ? InMemoryIdempotencyStore.builder().maximumSize(options.memoryRecords).build()
            : RedisIdempotencyStore.builder(jedis).build();
        guard = IdempotencyGuard.builder()
            .store(store)
            .namespace(NAMESPACE)
            .leaseTtl(LEASE_TTL)
            .build();
        this.ledger = jedis == null ? new MemoryLedger() : new RedisLedger(jedis, json);
      }
      this.pool = pool;
      this.description = spec.toString();
      // The payment code reads its claim with IdempotentExchangeHandler.claim(exchange).
      IdempotencyHttpLayer layer = IdempotencyHttpLayer.builder(guard).build();
      // The ledger records each payment under the scope the layer keyed it by.
      Function<HttpExchange, String> scope = IdempotentExchangeHandler::credentialScope;
      this.payments = new PaymentHandler(json, ledger, options.processingDelay, scope);
      IdempotentExchangeHandler idempotent = new IdempotentExchangeHandler(layer, payments, scope);

      this.http = HttpServer.create(
          new InetSocketAddress(InetAddress.getLoopbackAddress(), options.port), BACKLOG);
      http.setExecutor(timeouts.executor(executor));
      context("/payments", exchange -> paymentsWithFaults(exchange, idempotent, options));
      context("/accounts/", new LedgerHandler(json, ledger));
      context("/stats", exchange -> stats(exchange, json));
      context("/health", DemoServer::health);
      context("/", new StaticFiles());
      http.start();
    } catch (IOException | SQLException | RuntimeException e) {
      timeouts.close();
      executor.shutdownNow();
      if (jedis != null) jedis.close();
      if (pool != null) pool.close();
      if (e instanceof IOException io) throw io;
      if (e instanceof SQLException sql) throw unreachable(spec, sql);
      throw e instanceof PoolInitializationException p ? unreachable(spec, p) : (RuntimeException) e;
    }
  }

  private static UnifiedJedis connect(StoreSpec.Redis redis) {
    return redis.cluster()
        ? RedisClusterClient.create(redis.nodes())
        : RedisClient.create(redis.nodes().iterator().next());
  }

  /**
   * The pool of a PostgreSQL store. Every payment holds one connection while it runs (its
   * transaction), so the pool has one for each payment the server runs at once and two more for
   * the ledger's readers: a payment never waits for the pool, only for the database.
   */
  private static HikariDataSource pool(PostgresUrl url, int maxConcurrentPayments) {
    HikariConfig config = new HikariConfig();
    // The driver's data source, not a URL: the password never reaches a string a message could show.
    config.setDataSource(url.dataSource(CONNECT_TIMEOUT_SECONDS, SOCKET_TIMEOUT_SECONDS));
    config.setPoolName("demo-" + url.applicationName());
    config.setMaximumPoolSize(maxConcurrentPayments + 2);
    // Opened as payments need them, so idle servers leave the database's connections to others.
    config.setMinimumIdle(2);
    config.setConnectionTimeout(DATABASE_WAIT.toMillis());
    return new HikariDataSource(config);
  }

  private static IllegalStateException unreachable(StoreSpec spec, Exception e) {
    // The driver's messages name the host and the user, never the password.
    return new IllegalStateException("cannot use the store, " + spec + ": " + e.getMessage(), e);
  }

  private void context(String path, HttpHandler handler) {
    http.createContext(path, handler).getFilters().add(timeouts.filter());
  }

  /**
   * Starts a server. It accepts connections when this returns.
   *
   * @throws IOException if the port cannot be bound
   * @throws IllegalArgumentException if the store cannot be understood
   * @throws IllegalStateException if the PostgreSQL store cannot be reached or its tables created
   */
  public static DemoServer start(Options options) throws IOException {
    return new DemoServer(Objects.requireNonNull(options, "options"));
  }

  /** The port the server listens on (the one chosen, when the options asked for 0). */
  public int port() {
    return http.getAddress().getPort();
  }

  /** {@code http://127.0.0.1:PORT}, without a trailing slash. */
  public URI baseUri() {
    return URI.create("http://127.0.0.1:" + port());
  }

  /** Counts of what this server did so far; {@code GET /stats} answers them as JSON. */
  public Stats stats() {
    return new Stats(payments.executions(), payments.ledgerAccepted(), payments.staleRefused(),
        payments.repeatsRefused(), failedBefore.get(), droppedAfter.get(), storeUnavailable.get(), busy.get(),
        timeouts.cut(), refused.get(), inProgress.get(), paymentErrors.get(), paymentsInFlight(), payments.running());
  }

  /** Where the records and the ledger are, without a password: {@code memory store}, a URL. */
  String storeDescription() {
    return description;
  }

  /** Payments running now (in the idempotency layer or the payment code). */
  int paymentsInFlight() {
    return maxConcurrentPayments - paymentSlots.availablePermits();
  }

  /** Requests whose line and headers are being read now, each on a thread of its own. */
  int requestsReadingHeaders() {
    return timeouts.readingHeads();
  }

  /**
   * What a server did. The counts are this process's, from its start.
   *
   * @param executions runs of the payment code that reached the ledger and got its answer
   * @param ledgerAccepted payments the ledger recorded (with PostgreSQL: inserted in the payment's
   *     transaction; one that then rolled back took its row with it)
   * @param staleRefused ledger writes refused for a fencing token lower than one the ledger had
   *     seen for the action: a claim that was taken over; the attempt is answered 503
   * @param repeatsRefused ledger writes refused as a second payment for the same action (the
   *     ledger's unique key), answered with the first payment
   * @param failedBefore requests answered 503 by the fail-before fault
   * @param droppedAfter answers dropped by the drop-after fault
   * @param storeUnavailable 503 answers because the idempotency store could not be reached
   * @param busy payment requests answered 503 because the most payments the server runs at once
   *     were running
   * @param slowClients connections closed because a client missed a deadline: sent its request,
   *     or read its answer, too slowly
   * @param refused connections closed unanswered because every thread was busy
   * @param inProgress payment requests answered 409: their action's first request still ran
   * @param paymentErrors payment requests answered 500: the payment code threw (its ledger failed)
   * @param paymentsInFlight payment requests being worked on now
   * @param paymentsRunning payments in the payment code now, between a valid request and the
   *     ledger's answer
   */
  public record Stats(
      long executions, long ledgerAccepted, long staleRefused, long repeatsRefused, long failedBefore,
      long droppedAfter, long storeUnavailable, long busy, long slowClients, long refused, long inProgress,
      long paymentErrors, long paymentsInFlight, long paymentsRunning) {}

  /** Stops at once: open connections are closed, the Redis client or the database pool (if any) too. */
  @Override
  public void close() {
    http.stop(0);
    executor.shutdownNow();
    timeouts.close();
    ledger.close();
    if (jedis != null) jedis.close();
    if (pool != null) pool.close();
  }

  private void paymentsWithFaults(HttpExchange exchange, IdempotentExchangeHandler idempotent, Options options)
      throws IOException {
    try (exchange) {
      if (!"/payments".equals(exchange.getRequestURI().getPath())) {
        Http.sendProblem(exchange, 404, "Not Found", "no such resource");
        return;
      }
      if (!paymentSlots.tryAcquire()) {
        busy.incrementAndGet();
        exchange.getResponseHeaders().set("Retry-After", BUSY_RETRY_AFTER);
        Http.sendProblem(exchange, 503, "Service Unavailable", maxConcurrentPayments
            + " payments are running, the most this server runs at once; nothing ran: retry with the same key");
        return;
      }
      try {
        payment(exchange, idempotent, options);
      } finally {
        paymentSlots.release();
      }
    }
  }

  private void payment(HttpExchange exchange, IdempotentExchangeHandler idempotent, Options options)
      throws IOException {
    if (options.random.nextDouble() < options.failBefore) {
      failedBefore.incrementAndGet();
      Http.sendProblem(exchange, 503, "Service Unavailable",
          "fault injected before the payment ran (--fail-before): nothing happened, retry with the same key");
      return;
    }
    if (!options.guarded) {
      payments.handle(exchange); // the benchmarks' baseline: no layer
      return;
    }
    HttpResponseView answer = idempotent.answer(exchange);
    if (isProblem(answer, ProblemType.STORE_UNAVAILABLE)) storeUnavailable.incrementAndGet();
    if (isProblem(answer, ProblemType.REQUEST_IN_PROGRESS)) inProgress.incrementAndGet();
    if (answer.status() == 500) paymentErrors.incrementAndGet();
    boolean ranNow = answer.status() == 201 && answer.headerValues(IdempotencyHeaders.IDEMPOTENT_REPLAYED).isEmpty();
    if (ranNow && options.random.nextDouble() < options.dropAfter) {
      // Closing an exchange that sent no status closes its connection: the client reads the
      // end of the stream where the answer should be. The payment ran and its answer is stored.
      droppedAfter.incrementAndGet();
      return;
    }
    IdempotentExchangeHandler.send(exchange, answer);
  }

  private static boolean isProblem(HttpResponseView answer, ProblemType type) {
    return answer.status() == type.status()
        && new String(answer.body(), StandardCharsets.UTF_8).contains("\"" + type.uri() + "\"");
  }

  private void stats(HttpExchange exchange, ObjectMapper json) throws IOException {
    try (exchange) {
      if (!"/stats".equals(exchange.getRequestURI().getPath())) {
        Http.sendProblem(exchange, 404, "Not Found", "no such resource");
        return;
      }
      if (!"GET".equals(exchange.getRequestMethod()) && !"HEAD".equals(exchange.getRequestMethod())) {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        Http.sendProblem(exchange, 405, "Method Not Allowed", "the counts are read with GET");
        return;
      }
      Http.sendJson(exchange, 200, json.writeValueAsBytes(stats()));
    }
  }

  private static void health(HttpExchange exchange) throws IOException {
    try (exchange) {
      Http.sendJson(exchange, 200, "{\"status\":\"ok\"}".getBytes(StandardCharsets.UTF_8));
    }
  }

  private ExecutorService executor() {
    AtomicInteger n = new AtomicInteger();
    return new ThreadPoolExecutor(
        0, THREADS, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
          Thread t = new Thread(r, "demo-http-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        }, (task, pool) -> {
          // The JDK server closes the connection of a request its executor refuses.
          refused.incrementAndGet();
          throw new RejectedExecutionException("all " + THREADS + " threads are busy");
        });
  }

  /**
   * How to run a {@link DemoServer}; {@link #builder()} makes one.
   *
   * <p>This class is immutable and threadsafe.
   */
  public static final class Options {
    private final int port;
    private final String store;
    private final Duration processingDelay;
    private final double failBefore;
    private final double dropAfter;
    private final Random random;
    private final int maxConcurrentPayments;
    private final Duration readTimeout;
    private final boolean guarded;
    private final int memoryRecords;

    private Options(Builder b) {
      this.port = b.port;
      this.store = b.store;
      this.processingDelay = b.processingDelay;
      this.failBefore = b.failBefore;
      this.dropAfter = b.dropAfter;
      this.random = b.random;
      this.maxConcurrentPayments = b.maxConcurrentPayments;
      this.readTimeout = b.readTimeout;
      this.guarded = b.guarded;
      this.memoryRecords = b.memoryRecords;
    }

    public static Builder builder() {
      return new Builder();
    }

    public int port() {
      return port;
    }

    public String store() {
      return store;
    }

    public Duration processingDelay() {
      return processingDelay;
    }

    public double failBefore() {
      return failBefore;
    }

    public double dropAfter() {
      return dropAfter;
    }

    public int maxConcurrentPayments() {
      return maxConcurrentPayments;
    }

    public int memoryRecords() {
      return memoryRecords;
    }

    public Duration readTimeout() {
      return readTimeout;
    }

    /** Builds {@link Options}. Each setter checks its argument and documents its default. */
    public static final class Builder {
      private int port;
      private String store = "memory";
      private Duration processingDelay = Duration.ZERO;
      private double failBefore;
      private double dropAfter;
      private Random random = new Random();
      private int maxConcurrentPayments = DEFAULT_MAX_CONCURRENT_PAYMENTS;
      private Duration readTimeout = DEFAULT_READ_TIMEOUT;
      private boolean guarded = true;
      private int memoryRecords = InMemoryIdempotencyStore.DEFAULT_MAXIMUM_SIZE;

      private Builder() {}

      /** The port on 127.0.0.1; 0 (the default) picks a free one. */
      public Builder port(int port) {
        if (port < 0 || port > 65535) throw new IllegalArgumentException("port is 0 to 65535, not " + port);
        this.port = port;
        return this;
      }

      /**
       * Where records and ledger live: {@code memory} (the default, this process only), {@code
       * redis://HOST:PORT}, {@code redis-cluster://HOST:PORT[,HOST:PORT...]} or {@code
       * jdbc:postgresql://HOST[:PORT]/DATABASE[?user=U&password=P&ApplicationName=A]} (shared by
       * every server that uses it; PostgreSQL's tables are created if missing). Checked when the
       * server starts; the password is never shown.
       */
      public Builder store(String store) {
        this.store = Objects.requireNonNull(store, "store");
        return this;
      }

      /** How long each payment's business code takes. Default: zero. */
      public Builder processingDelay(Duration processingDelay) {
        Objects.requireNonNull(processingDelay, "processingDelay");
        if (processingDelay.isNegative()) {
          throw new IllegalArgumentException("processingDelay is negative: " + processingDelay);
        }
        this.processingDelay = processingDelay;
        return this;
      }

      /** The share of payment requests answered 503 before anything runs, 0 to 1. Default: 0. */
      public Builder failBefore(double rate) {
        this.failBefore = rate(rate, "failBefore");
        return this;
      }

      /**
       * The share of executed payments whose answer is dropped (stored, then the connection
       * closed without it), 0 to 1. Default: 0.
       */
      public Builder dropAfter(double rate) {
        this.dropAfter = rate(rate, "dropAfter");
        return this;
      }

      /**
       * The most payment requests the server works on at once; one more is answered 503 with
       * {@code Retry-After: 1} before anything runs. 1 to 128 (half the server's threads, so that
       * the rest serve everything else). Default: 32.
       */
      public Builder maxConcurrentPayments(int max) {
        if (max < 1 || max > MAX_CONCURRENT_PAYMENTS) {
          throw new IllegalArgumentException(
              "maxConcurrentPayments is 1 to " + MAX_CONCURRENT_PAYMENTS + ", not " + max);
        }
        this.maxConcurrentPayments = max;
        return this;
      }

      /**
       * How long the server waits for a client: for a request's line, headers and body from its
       * first byte, and for each step of sending its answer; a client that takes longer has its
       * connection closed. Default: 20 seconds.
       */
      public Builder readTimeout(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
          throw new IllegalArgumentException("readTimeout is not positive: " + timeout);
        }
        this.readTimeout = timeout;
        return this;
      }

      /**
       * False serves {@code POST /payments} without the idempotency layer: the same payment code,
       * ledger, threads, timeouts and cap, every request running the payment. The baseline the
       * benchmarks measure the guard against; it makes retries pay twice, so never serve it.
       * Default: true.
       */
      public Builder guarded(boolean guarded) {
        this.guarded = guarded;
        return this;
      }

      /**
       * The most records the memory store holds ({@code store("memory")} only), claims and
       * completed together, a tenth of them per caller; a new key beyond them is answered 503
       * and nothing runs, until records expire (24 hours after their payment). Default: 100,000
       * ({@link InMemoryIdempotencyStore#DEFAULT_MAXIMUM_SIZE}).
       */
      public Builder memoryRecords(int records) {
        if (records < 1) throw new IllegalArgumentException("memoryRecords is at least 1, not " + records);
        this.memoryRecords = records;
        return this;
      }

      /** The source of the faults' chances, for repeatable runs. Default: a new {@link Random}. */
      public Builder random(Random random) {
        this.random = Objects.requireNonNull(random, "random");
        return this;
      }

      public Options build() {
        return new Options(this);
      }

      private static double rate(double rate, String name) {
        if (!(rate >= 0 && rate <= 1)) throw new IllegalArgumentException(name + " is 0 to 1, not " + rate);
        return rate;
      }
    }
  }
}
