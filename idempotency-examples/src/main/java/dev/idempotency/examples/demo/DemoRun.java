package dev.idempotency.examples.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

/**
 * The demo: a {@link DemoServer} with faults on (the memory store unless told another), in this process; a
 * {@link DemoClient} running payment actions against it; then the ledger, read over HTTP, checked
 * for duplicate and lost payments.
 */
final class DemoRun {
  static final int DEFAULT_ACTIONS = 1000;
  static final int DEFAULT_CONCURRENCY = 16;
  // One request in five fails before the payment and one answer in five is lost after it: enough
  // that most actions meet a fault, few enough that the demo ends in seconds.
  static final double FAIL_BEFORE = 0.2;
  static final double DROP_AFTER = 0.2;
  // Business time per payment, so that requests overlap and some answers come after a timeout.
  static final Duration PROCESSING_DELAY = Duration.ofMillis(20);
  // One attempt in ten gives up reading after half the business time: the answer arrives late.
  static final Duration SHORT_READ_TIMEOUT = Duration.ofMillis(10);
  static final double SHORT_READ_TIMEOUT_RATE = 0.1;

  /**
   * What the demo found.
   *
   * @param client what the client saw
   * @param server what the server did
   * @param ledger what the ledger holds
   */
  record Result(DemoClient.Summary client, DemoServer.Stats server, LedgerCheck ledger) {
    /** Every action paid exactly once: confirmed, in the ledger once, never run twice. */
    boolean exactlyOnce() {
      return client.allConfirmed()
          && ledger.duplicates() == 0
          && ledger.lost() == 0
          && ledger.payments() == client.actions()
          && server.repeatsRefused() == 0;
    }
  }

  private DemoRun() {}

  static Result run(int actions, int concurrency, PrintStream out, PrintStream err) throws Exception {
    return run(actions, concurrency, "memory", out, err);
  }

  /** The demo against a server with {@code store} (see {@link DemoServer.Options.Builder#store}). */
  static Result run(int actions, int concurrency, String store, PrintStream out, PrintStream err) throws Exception {
    DemoServer.Options options = DemoServer.Options.builder()
        .port(0)
        .store(store)
        .processingDelay(PROCESSING_DELAY)
        .failBefore(FAIL_BEFORE)
        .dropAfter(DROP_AFTER)
        .build();
    try (DemoServer server = DemoServer.start(options)) {
      String account = "demo-" + UUID.randomUUID().toString().substring(0, 8);
      out.printf("idempotency demo: %d payment actions, %d at a time, against %s (%s)%n",
          actions, concurrency, server.baseUri(), server.storeDescription());
      out.printf("faults: %.0f%% of requests fail before the payment, %.0f%% of answers are lost after it,"
              + " %d ms per payment, %.0f%% of attempts stop reading after %d ms%n%n",
          FAIL_BEFORE * 100, DROP_AFTER * 100, PROCESSING_DELAY.toMillis(),
          SHORT_READ_TIMEOUT_RATE * 100, SHORT_READ_TIMEOUT.toMillis());
      out.flush();

      ProgressBar bar = new ProgressBar(err, actions);
      DemoClient.Summary client = DemoClient.run(DemoClient.Options.builder(List.of(server.baseUri()))
          .actions(actions)
          .concurrency(concurrency)
          .account(account)
          .shortReadTimeouts(SHORT_READ_TIMEOUT, SHORT_READ_TIMEOUT_RATE)
          .progress(bar::update)
          .build());
      bar.finish();

      List<Payment> ledger = readLedger(server.baseUri(), account);
      Result result = new Result(client, server.stats(), LedgerCheck.of(actions, client.confirmed(), ledger));
      out.print(table(result));
      out.flush();
      return result;
    }
  }

  /** The ledger of {@code account}, read as any client would: {@code GET /accounts/{account}/payments}. */
  static List<Payment> readLedger(URI server, String account) throws IOException, InterruptedException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    HttpResponse<byte[]> response = http.send(
        HttpRequest.newBuilder(server.resolve("/accounts/" + account + "/payments")).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    if (response.statusCode() != 200) {
      throw new IOException("the ledger answered " + response.statusCode());
    }
    return Arrays.asList(new ObjectMapper().readValue(response.body(), Payment[].class));
  }

  static String table(Result r) {
    DemoClient.Summary c = r.client();
    LedgerCheck l = r.ledger();
    StringBuilder b = new StringBuilder();
    b.append("client\n");
    row(b, "actions", c.actions());
    row(b, "HTTP attempts", c.attempts());
    row(b, "attempts with no answer", c.noAnswers());
    row(b, "retries (same key)", c.retries());
    row(b, "replays", c.replays());
    row(b, "in-progress stops", c.inProgressStops());
    row(b, "failures", c.failures());
    b.append("server\n");
    row(b, "503 before the payment", r.server().failedBefore());
    row(b, "answers lost after it", r.server().droppedAfter());
    row(b, "payments executed", r.server().executions());
    b.append("ledger\n");
    row(b, "payments in ledger", l.payments());
    row(b, "duplicates", l.duplicates() + r.server().repeatsRefused());
    row(b, "stale writes refused", r.server().staleRefused());
    row(b, "lost", l.lost());
    b.append('\n');
    if (r.exactlyOnce()) {
      b.append(String.format("exactly once: %d actions, %d HTTP attempts (%.2f per action), every payment made once%n",
          c.actions(), c.attempts(), (double) c.attempts() / c.actions()));
    } else {
      b.append("NOT exactly once: see duplicates, lost and failures above\n");
    }
    return b.toString();
  }

  private static void row(StringBuilder b, String name, long value) {
    b.append(String.format("  %-26s %8d%n", name, value));
  }
}
