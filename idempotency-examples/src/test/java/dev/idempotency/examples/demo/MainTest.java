package dev.idempotency.examples.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The command line, run in this process: exit status and what it prints. */
class MainTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void demoProvesExactlyOnceAndExitsZero() {
    int status = run("demo", "--actions", "200", "--concurrency", "8");

    System.out.print(out());
    assertThat(status).as(out() + err).isEqualTo(Main.OK);
    assertThat(out())
        .contains("actions", "HTTP attempts", "replays", "in-progress stops", "payments in ledger")
        .containsPattern("duplicates +0\\R")
        .containsPattern("lost +0\\R")
        .containsPattern("payments in ledger +200\\R")
        .contains("exactly once: 200 actions");
    // The progress bar: one line rewritten in place on stderr.
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("\r[").contains("200/200 actions");
  }

  @Test
  void clientConfirmsEveryActionAgainstAServerWithFaults() throws Exception {
    DemoServer.Options options = DemoServer.Options.builder()
        .processingDelay(Duration.ofMillis(5)).failBefore(0.2).dropAfter(0.2).build();
    try (DemoServer server = DemoServer.start(options)) {
      int status = run("client", "--url", server.baseUri().toString(), "--actions", "100",
          "--concurrency", "4", "--account", "cli-1", "--token", "t-1");

      assertThat(status).as(out() + err).isEqualTo(Main.OK);
      assertThat(out()).containsPattern("actions +100\\R").contains("HTTP attempts", "retries",
          "replays", "in-progress stops").containsPattern("failures +0\\R");
      assertThat(DemoRun.readLedger(server.baseUri(), "cli-1")).hasSize(100);
      assertThat(server.stats().executions()).isEqualTo(100);
    }
  }

  @Test
  void clientExitsNonZeroWhenActionsFail() throws Exception {
    // A server that refuses every payment for good (400): no action can be confirmed.
    HttpServer refusing = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    refusing.createContext("/", exchange -> {
      exchange.sendResponseHeaders(400, -1);
      exchange.close();
    });
    refusing.start();
    try {
      int status = run("client", "--url", "http://127.0.0.1:" + refusing.getAddress().getPort(),
          "--actions", "3", "--concurrency", "1");

      assertThat(status).isEqualTo(Main.FAILED);
      assertThat(out()).containsPattern("failures +3\\R");
    } finally {
      refusing.stop(0);
    }
  }

  @Test
  void aWrongCommandLineIsExitStatus2WithUsage() {
    assertThat(run("client", "--actions", "3")).isEqualTo(Main.USAGE);
    assertThat(run("server", "--fail-before", "2")).isEqualTo(Main.USAGE);
    assertThat(run("server", "--port")).isEqualTo(Main.USAGE);
    assertThat(run("fly")).isEqualTo(Main.USAGE);
    assertThat(run("demo", "--actions", "many")).isEqualTo(Main.USAGE);
    assertThat(run("server", "--max-concurrent-payments", "0")).isEqualTo(Main.USAGE);
    assertThat(run("server", "--max-concurrent-payments", "129")).isEqualTo(Main.USAGE);
    assertThat(run("server", "--read-timeout", "0")).isEqualTo(Main.USAGE);
    assertThat(run("server", "--memory-records", "0")).isEqualTo(Main.USAGE);
    assertThat(run("server", "--store", "redis://127.0.0.1:1", "--memory-records", "10")).isEqualTo(Main.USAGE);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("--memory-records is for --store memory only");
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("--max-concurrent-payments is at most 128");
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("usage: java -jar idempotency-demo.jar");
  }
}
