package dev.idempotency.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The code of the README's section "client", verbatim between the markers, so that it keeps
 * compiling; the test also checks that the README still shows exactly this code, and runs it.
 */
class ClientReadmeExampleTest {
  private static final Path SOURCE =
      Path.of("src/test/java/dev/idempotency/client/ClientReadmeExampleTest.java");
  private static final Path README = Path.of("../README.md");

  @TempDir Path keyDirectory;

  @Test
  void theSnippetRuns_andSendsOneKeyOnEveryAttempt() throws Exception {
    try (MockWebServer server = new MockWebServer()) {
      server.enqueue(new MockResponse.Builder().code(503).build());
      server.enqueue(new MockResponse.Builder().code(201).body("{\"id\":\"p-1\"}").build());
      server.start();
      HttpUrl api = server.url("/");

      PrintStream out = System.out;
      ByteArrayOutputStream printed = new ByteArrayOutputStream();
      System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
      try {
        snippet(api, keyDirectory);
      } finally {
        System.setOut(out);
      }

      assertThat(printed.toString(StandardCharsets.UTF_8)).isEqualTo("paid" + System.lineSeparator());
      String first = server.takeRequest(5, TimeUnit.SECONDS).getHeaders().get("Idempotency-Key");
      String second = server.takeRequest(5, TimeUnit.SECONDS).getHeaders().get("Idempotency-Key");
      assertThat(first).isNotNull().isEqualTo(second);
      try (var files = Files.list(keyDirectory)) {
        assertThat(files).as("the action succeeded, so its key file is gone").isEmpty();
      }
    }
  }

  @Test
  void theReadmeShowsThisCode() throws Exception {
    List<String> lines = Files.readAllLines(SOURCE);
    int from = lines.indexOf("    // README: client") + 1;
    int to = lines.indexOf("    // README: end");
    assertThat(from).isPositive();
    List<String> snippet = new ArrayList<>();
    for (String line : lines.subList(from, to)) {
      snippet.add(line.length() >= 4 ? line.substring(4) : line.strip());
    }
    String readme = Files.readString(README);
    assertThat(readme).contains("```java\n" + String.join("\n", snippet) + "\n```");
  }

  @SuppressWarnings("unused")
  private static void snippet(HttpUrl api, Path keyDirectory) throws Exception {
    // README: client
    // Once per application: keys live in files, so an action cut short by a crash or a restart
    // is tried again with its first key.
    IdempotencyInterceptor idempotency = IdempotencyInterceptor.builder()
        .registry(IdempotencyKeyRegistry.builder()
            .store(FileKeyStore.open(keyDirectory))   // default: in memory
            .build())
        .retryPolicy(RetryPolicy.builder()
            .maxAttempts(5)                           // the defaults, spelled out
            .deadline(Duration.ofSeconds(30))
            .build())
        .build();
    OkHttpClient client = new OkHttpClient.Builder().addInterceptor(idempotency).build();

    // One payment is one action: every attempt of it, automatic or by hand, sends one key.
    Request request = new Request.Builder()
        .url(api.resolve("/payments"))
        .post(RequestBody.create("{\"amountCents\":1250}", MediaType.get("application/json")))
        .tag(IdempotentAction.class, IdempotentAction.of("pay:order-42"))
        .build();
    try (Response response = client.newCall(request).execute()) {
      IdempotencyOutcome outcome = IdempotencyOutcome.of(response);
      if (outcome instanceof IdempotencyOutcome.Succeeded s) {
        System.out.println(s.replayed() ? "already paid" : "paid");
      } else if (outcome instanceof IdempotencyOutcome.InProgress) {
        System.out.println("still being processed: look again in a moment");
      } else if (outcome instanceof IdempotencyOutcome.DefinitelyFailed f) {
        System.out.println("refused: " + f.status());
      } else {
        System.out.println("no definite answer: trying again is safe");
      }
    } catch (IdempotencyGaveUpException e) {
      System.out.println("no answer after " + e.outcome().attempts() + " attempts: trying again is safe");
    }
    // README: end
  }
}
