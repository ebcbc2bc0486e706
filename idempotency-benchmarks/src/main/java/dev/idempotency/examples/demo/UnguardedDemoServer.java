package dev.idempotency.examples.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.UnifiedJedis;

/**
 * The demo's {@code POST /payments} without the guard: the same {@link PaymentHandler} and
 * ledger (in memory, or in Redis for {@code redis://}) that {@link DemoServer} puts behind
 * {@code IdempotentExchangeHandler}, on a JDK {@link HttpServer} set up as {@link DemoServer}
 * sets up its own (same thread pool, same backlog), answering directly. The baseline of the
 * end-to-end benchmarks; it lives in the demo's package only to reach the package-private
 * handler and ledgers, so that the two sides run the very same business code.
 */
public final class UnguardedDemoServer implements AutoCloseable {
  // The same as DemoServer's THREADS and BACKLOG.
  private static final int THREADS = 64;
  private static final int BACKLOG = 256;

  private final HttpServer http;
  private final ExecutorService executor;
  private final UnifiedJedis jedis;

  private UnguardedDemoServer(HostAndPort redis) throws IOException {
    ObjectMapper json = new ObjectMapper();
    this.jedis = redis == null ? null : RedisClient.create(redis);
    Ledger ledger = jedis == null ? new MemoryLedger() : new RedisLedger(jedis, json);
    PaymentHandler payments = new PaymentHandler(json, ledger, Duration.ZERO);
    this.http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), BACKLOG);
    this.executor = executor();
    http.setExecutor(executor);
    http.createContext("/payments", exchange -> {
      try (exchange) {
        if (!"/payments".equals(exchange.getRequestURI().getPath())) {
          Http.sendProblem(exchange, 404, "Not Found", "no such resource");
          return;
        }
        payments.handle(exchange);
      }
    });
    http.start();
  }

  /** Starts a server on a free loopback port; {@code redis} null for the memory ledger. */
  public static UnguardedDemoServer start(HostAndPort redis) throws IOException {
    return new UnguardedDemoServer(redis);
  }

  public int port() {
    return http.getAddress().getPort();
  }

  @Override
  public void close() {
    http.stop(0);
    executor.shutdownNow();
    if (jedis != null) jedis.close();
  }

  private static ExecutorService executor() {
    AtomicInteger n = new AtomicInteger();
    ThreadPoolExecutor pool = new ThreadPoolExecutor(
        THREADS, THREADS, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
          Thread t = new Thread(r, "unguarded-http-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }
}
