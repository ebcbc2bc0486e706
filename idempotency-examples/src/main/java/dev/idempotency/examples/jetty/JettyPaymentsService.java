package dev.idempotency.examples.jetty;

import dev.idempotency.server.IdempotencyGuard;
import dev.idempotency.server.http.IdempotencyHttpLayer;
import dev.idempotency.server.store.InMemoryIdempotencyStore;
import dev.idempotency.servlet.IdempotencyFilter;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.server.Server;

/** A payments API on embedded Jetty 12: POST runs once per Idempotency-Key, GET lists what ran. */
public final class JettyPaymentsService implements AutoCloseable {
  private final List<String> payments = new CopyOnWriteArrayList<>(); // stands for a payments table
  private final AtomicInteger ids = new AtomicInteger();
  private final IdempotencyGuard guard;
  private final Server jetty;

  public JettyPaymentsService(int port) throws Exception {
    guard = IdempotencyGuard.builder()
        .store(new InMemoryIdempotencyStore())
        .namespace("payments")
        .build();
    IdempotencyHttpLayer layer = IdempotencyHttpLayer.builder(guard).build();
    ServletContextHandler context = new ServletContextHandler();
    context.addFilter(new IdempotencyFilter(layer), "/payments/*", EnumSet.of(DispatcherType.REQUEST));
    context.addServlet(new PaymentServlet(), "/payments/*");
    jetty = new Server(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    jetty.setHandler(context);
    jetty.start();
  }

  /** The business code, written as any servlet: it knows nothing of keys. */
  private final class PaymentServlet extends HttpServlet {
    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
      String order = new String(request.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      // The claim's fencing token goes with the write, so a stale worker's write can be refused.
      long token = IdempotencyFilter.claim(request).fencingToken();
      int id = ids.incrementAndGet();
      payments.add(id + ": " + order + " (fencing token " + token + ")");
      response.setStatus(201);
      response.setContentType("application/json");
      response.getWriter().write("{\"payment\":" + id + "}");
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
      response.setContentType("text/plain; charset=utf-8");
      response.getWriter().write(String.join("\n", payments));
    }
  }

  public int port() {
    return jetty.getURI().getPort();
  }

  @Override
  public void close() throws Exception {
    jetty.stop();
    guard.close();
  }

  /** {@code java -cp idempotency-demo.jar dev.idempotency.examples.jetty.JettyPaymentsService [port]} */
  public static void main(String[] args) throws Exception {
    JettyPaymentsService service = new JettyPaymentsService(args.length > 0 ? Integer.parseInt(args[0]) : 8080);
    System.out.println("payments on http://127.0.0.1:" + service.port() + "/payments");
  }
}
