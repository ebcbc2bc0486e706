package dev.idempotency.examples.jdkhttp;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.idempotency.jdkhttp.IdempotentExchangeHandler;
import dev.idempotency.server.IdempotencyGuard;
import dev.idempotency.server.http.IdempotencyHttpLayer;
import dev.idempotency.server.store.InMemoryIdempotencyStore;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** A payments API on the JDK's HttpServer: POST runs once per Idempotency-Key, GET lists what ran. */
public final class JdkHttpPaymentsService implements AutoCloseable {
  private final List<String> payments = new CopyOnWriteArrayList<>(); // stands for a payments table
  private final AtomicInteger ids = new AtomicInteger();
  private final ExecutorService threads = Executors.newFixedThreadPool(16);
  private final IdempotencyGuard guard;
  private final HttpServer server;

  public JdkHttpPaymentsService(int port) throws IOException {
    guard = IdempotencyGuard.builder()
        .store(new InMemoryIdempotencyStore())
        .namespace("payments")
        .build();
    IdempotencyHttpLayer layer = IdempotencyHttpLayer.builder(guard).build();
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
    server.createContext("/payments", new IdempotentExchangeHandler(layer, this::payments));
    server.setExecutor(threads);
    server.start();
  }

  /** The business code, written as any handler: it knows nothing of keys. */
  private void payments(HttpExchange exchange) throws IOException {
    int status = 200;
    String answer = String.join("\n", payments);
    if ("POST".equals(exchange.getRequestMethod())) {
      String order = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      // The claim's fencing token goes with the write, so a stale worker's write can be refused.
      long token = IdempotentExchangeHandler.claim(exchange).fencingToken();
      int id = ids.incrementAndGet();
      payments.add(id + ": " + order + " (fencing token " + token + ")");
      status = 201;
      answer = "{\"payment\":" + id + "}";
    }
    byte[] body = answer.getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
    guard.close();
  }

  /** {@code java -cp idempotency-demo.jar dev.idempotency.examples.jdkhttp.JdkHttpPaymentsService [port]} */
  public static void main(String[] args) throws IOException {
    JdkHttpPaymentsService service = new JdkHttpPaymentsService(args.length > 0 ? Integer.parseInt(args[0]) : 8080);
    System.out.println("payments on http://127.0.0.1:" + service.port() + "/payments");
  }
}
