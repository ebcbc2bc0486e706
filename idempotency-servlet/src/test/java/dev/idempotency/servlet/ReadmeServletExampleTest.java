package dev.idempotency.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.contract.ReadmeSnippets;
import dev.idempotency.server.IdempotencyGuard;
import dev.idempotency.server.http.IdempotencyHttpLayer;
import dev.idempotency.server.store.InMemoryIdempotencyStore;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.server.Server;
import org.junit.jupiter.api.Test;

/** The README's Jetty lines, verbatim between the markers, run in a real Jetty. */
class ReadmeServletExampleTest {
  private static final AtomicInteger PAYMENTS = new AtomicInteger();

  /** A servlet that knows nothing of keys. */
  static final class PaymentServlet extends HttpServlet {
    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
      response.setStatus(201);
      response.getWriter().write("payment " + PAYMENTS.incrementAndGet());
    }
  }

  @Test
  void theSnippetReplaysARepeat() throws Exception {
    // README: servlet jetty
    IdempotencyGuard guard = IdempotencyGuard.builder()
        .store(new InMemoryIdempotencyStore())
        .namespace("payments")
        .build();
    IdempotencyHttpLayer layer = IdempotencyHttpLayer.builder(guard).build();
    ServletContextHandler context = new ServletContextHandler();
    context.addFilter(new IdempotencyFilter(layer), "/payments/*", EnumSet.of(DispatcherType.REQUEST));
    context.addServlet(new PaymentServlet(), "/payments/*");
    // README: end
    Server jetty = new Server(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    jetty.setHandler(context);
    jetty.start();
    try {
      HttpClient http = HttpClient.newHttpClient();
      HttpRequest pay = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + jetty.getURI().getPort() + "/payments"))
          .header("Idempotency-Key", "order-42")
          .POST(HttpRequest.BodyPublishers.ofString("{}"))
          .build();
      HttpResponse<String> first = http.send(pay, HttpResponse.BodyHandlers.ofString());
      HttpResponse<String> repeat = http.send(pay, HttpResponse.BodyHandlers.ofString());

      assertThat(first.statusCode()).isEqualTo(201);
      assertThat(repeat.headers().firstValue("Idempotent-Replayed")).hasValue("true");
      assertThat(repeat.body()).isEqualTo(first.body());
      assertThat(PAYMENTS).hasValue(1);
    } finally {
      jetty.stop();
      guard.close();
    }
  }

  @Test
  void theReadmeShowsThisCode() {
    assertThat(ReadmeSnippets.assertReadmeShows(
            Path.of("src/test/java/dev/idempotency/servlet/ReadmeServletExampleTest.java"),
            Path.of("../README.md")))
        .containsExactly("servlet jetty");
  }
}
