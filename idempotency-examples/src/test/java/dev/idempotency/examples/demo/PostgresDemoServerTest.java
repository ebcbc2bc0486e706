package dev.idempotency.examples.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.idempotency.server.jdbc.PostgresServerFixture;
import dev.idempotency.server.jdbc.PostgresServerProcess;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The demo server on a real PostgreSQL ({@code --store jdbc:postgresql://...}): records and ledger
 * in the database, the ledger row in the record's transaction, the password never shown.
 */
class PostgresDemoServerTest {
  private static final String PAYMENT = "{\"account\":\"pg-1\",\"amountCents\":1250,\"currency\":\"EUR\"}";
  private static final String SECRET = "s3cr3t-Pa55";
  private static final Pattern LISTENING = Pattern.compile("listening on (http://127\\.0\\.0\\.1:\\d+)\\R");
  private static PostgresServerProcess postgres;
  private final HttpClient http = HttpClient.newHttpClient();
  private final ObjectMapper json = new ObjectMapper();

  @BeforeAll
  static void startPostgres() {
    postgres = PostgresServerFixture.shared();
  }

  private static String store(String db) {
    return postgres.jdbcUrl(db) + "&ApplicationName=demo-test";
  }

  private HttpResponse<String> post(DemoServer server, String key, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(server.baseUri().resolve("/payments"))
        .header("Idempotency-Key", key)
        .header("Authorization", "Bearer alice")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aPaymentCommitsWithItsRecordAndTheTwoJoin() throws Exception {
    String db = postgres.createDatabase("demo_pg");
    try (DemoServer a = DemoServer.start(DemoServer.Options.builder().store(store(db)).build());
         DemoServer b = DemoServer.start(DemoServer.Options.builder().store(store(db)).build())) {
      String key = UUID.randomUUID().toString();
      HttpResponse<String> first = post(a, key, PAYMENT);
      HttpResponse<String> again = post(b, key, PAYMENT);

      assertThat(first.statusCode()).isEqualTo(201);
      assertThat(again.statusCode()).isEqualTo(201);
      assertThat(again.headers().firstValue("Idempotent-Replayed")).hasValue("true");
      assertThat(again.body()).isEqualTo(first.body());
      String id = json.readTree(first.body()).get("id").asText();
      assertThat(DemoRun.readLedger(b.baseUri(), "pg-1")).extracting(Payment::id).containsExactly(id);
      assertThat(postgres.queryLong(db, "SELECT count(*) FROM demo_ledger")).isEqualTo(1);
      // The ledger row names its record: the join finds the completed record, and only it.
      assertThat(postgres.queryLong(db, "SELECT count(*) FROM demo_ledger l JOIN idempotency_records r"
          + " ON r.id = l.record_id WHERE r.state = 'c' AND l.payment_id = ?", id)).isEqualTo(1);
      assertThat(postgres.queryLong(db, "SELECT count(*) FROM idempotency_records")).isEqualTo(1);
      DemoServer.Stats total = EndToEnd.total(java.util.List.of(a, b));
      assertThat(total.executions()).isEqualTo(1);
      assertThat(total.ledgerAccepted()).isEqualTo(1);
      assertThat(total.repeatsRefused()).isZero();
      assertThat(total.staleRefused()).isZero();
      assertThat(a.storeDescription()).isEqualTo("PostgreSQL 127.0.0.1:" + postgres.port() + "/" + db
          + " as postgres, transactional");
    }
  }

  @Test
  void eachPaymentWritesInItsOwnClaimsTransaction() throws Exception {
    String db = postgres.createDatabase("demo_pg");
    int payments = 16;
    // Slow enough that the payments overlap: each must still see its own claim, not the latest one.
    DemoServer.Options options = DemoServer.Options.builder().store(store(db))
        .processingDelay(java.time.Duration.ofMillis(200)).build();
    try (DemoServer server = DemoServer.start(options)) {
      java.util.List<CompletableFuture<HttpResponse<String>>> answers = new java.util.ArrayList<>();
      for (int i = 0; i < payments; i++) {
        answers.add(http.sendAsync(HttpRequest.newBuilder(server.baseUri().resolve("/payments"))
            .header("Idempotency-Key", UUID.randomUUID().toString())
            .POST(HttpRequest.BodyPublishers.ofString(
                "{\"account\":\"pg-own\",\"amountCents\":" + (100 + i) + ",\"currency\":\"EUR\"}"))
            .build(), HttpResponse.BodyHandlers.ofString()));
      }
      for (CompletableFuture<HttpResponse<String>> a : answers) {
        assertThat(a.get(60, TimeUnit.SECONDS).statusCode()).isEqualTo(201);
      }

      assertThat(postgres.queryLong(db, "SELECT count(*) FROM demo_ledger")).isEqualTo(payments);
      // The ledger row carries the fencing token of the claim it was written under: its own record's.
      assertThat(postgres.queryLong(db, "SELECT count(*) FROM demo_ledger l JOIN idempotency_records r"
          + " ON r.id = l.record_id AND r.fence = l.fencing_token WHERE r.state = 'c'")).isEqualTo(payments);
      assertThat(server.stats().ledgerAccepted()).isEqualTo(payments);
      assertThat(server.stats().repeatsRefused()).isZero();
      assertThat(server.stats().paymentErrors()).isZero();
    }
  }

  @Test
  void statsAnswersTheCountsAsJson() throws Exception {
    String db = postgres.createDatabase("demo_pg");
    try (DemoServer server = DemoServer.start(DemoServer.Options.builder().store(store(db)).build())) {
      assertThat(post(server, UUID.randomUUID().toString(), PAYMENT).statusCode()).isEqualTo(201);

      HttpResponse<String> stats = http.send(HttpRequest.newBuilder(server.baseUri().resolve("/stats")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(stats.statusCode()).isEqualTo(200);
      assertThat(stats.headers().firstValue("Content-Type")).hasValue("application/json");
      JsonNode counts = json.readTree(stats.body());
      assertThat(counts.get("executions").asLong()).isEqualTo(1);
      assertThat(counts.get("ledgerAccepted").asLong()).isEqualTo(1);
      assertThat(counts.get("staleRefused").asLong()).isZero();
      assertThat(counts.get("repeatsRefused").asLong()).isZero();
      // The gauge may still count the payment's slot: it is freed after its answer went out.
      assertThat(json.convertValue(counts, DemoServer.Stats.class)).usingRecursiveComparison()
          .ignoringFields("paymentsInFlight").isEqualTo(server.stats());
      Iterator<String> names = counts.fieldNames();
      assertThat(names).toIterable().contains("failedBefore", "droppedAfter", "storeUnavailable", "busy",
          "slowClients", "refused", "inProgress", "paymentErrors", "paymentsInFlight", "paymentsRunning");
    }
  }

  @Test
  void theDemoCommandRunsAgainstPostgres() {
    String db = postgres.createDatabase("demo_pg");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int status = Main.run(new String[] {"demo", "--actions", "200", "--concurrency", "8", "--store", store(db)},
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(new ByteArrayOutputStream(), true,
            StandardCharsets.UTF_8));

    String printed = out.toString(StandardCharsets.UTF_8);
    System.out.print(printed);
    assertThat(status).as(printed).isEqualTo(Main.OK);
    assertThat(printed).contains("(PostgreSQL 127.0.0.1:" + postgres.port() + "/" + db + " as postgres, transactional)")
        .containsPattern("payments in ledger +200\\R")
        .containsPattern("duplicates +0\\R")
        .contains("exactly once: 200 actions");
    assertThat(postgres.queryLong(db, "SELECT count(*) FROM demo_ledger")).isEqualTo(200);
  }

  @Test
  void theServerCommandNeverPrintsThePassword() throws Exception {
    String db = postgres.createDatabase("demo_pg");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    // The fixture trusts every local connection: the password is sent and ignored.
    String url = store(db) + "&password=" + SECRET;
    Thread server = new Thread(() -> Main.run(new String[] {"server", "--port", "0", "--store", url},
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8)));
    server.start();
    try {
      CompletableFuture<String> listening = CompletableFuture.supplyAsync(() -> {
        while (true) {
          Matcher m = LISTENING.matcher(out.toString(StandardCharsets.UTF_8));
          if (m.find()) return m.group(1);
          if (!server.isAlive()) throw new IllegalStateException("the server ended: " + err);
          Thread.onSpinWait();
        }
      });
      String base = listening.get(60, TimeUnit.SECONDS);
      HttpResponse<String> health = http.send(HttpRequest.newBuilder(java.net.URI.create(base + "/health")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(health.statusCode()).isEqualTo(200);
    } finally {
      server.interrupt();
      server.join(TimeUnit.SECONDS.toMillis(30));
    }
    assertThat(out.toString(StandardCharsets.UTF_8) + err).doesNotContain(SECRET);

    // Nothing listens on port 1: the error names the database, not the password.
    ByteArrayOutputStream failed = new ByteArrayOutputStream();
    int status = Main.run(new String[] {"server", "--port", "0", "--store",
            "jdbc:postgresql://127.0.0.1:1/" + db + "?user=app&password=" + SECRET},
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
        new PrintStream(failed, true, StandardCharsets.UTF_8));
    assertThat(status).isEqualTo(Main.FAILED);
    assertThat(failed.toString(StandardCharsets.UTF_8))
        .contains("cannot use the store, PostgreSQL 127.0.0.1:1/" + db + " as app")
        .doesNotContain(SECRET);

    ByteArrayOutputStream usage = new ByteArrayOutputStream();
    status = Main.run(new String[] {"server", "--store", "jdbc:postgresql://app:" + SECRET + "@127.0.0.1/" + db},
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
        new PrintStream(usage, true, StandardCharsets.UTF_8));
    assertThat(status).isEqualTo(Main.USAGE);
    assertThat(usage.toString(StandardCharsets.UTF_8)).contains("malformed").doesNotContain(SECRET);
  }
}
