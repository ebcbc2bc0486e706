package dev.idempotency.examples.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The shaded jar, run as a user runs it: {@code java -jar idempotency-demo.jar} in a process of its
 * own. Runs after {@code package}, in {@code verify}.
 */
class DemoJarIT {
  private static final Pattern LISTENING = Pattern.compile("listening on (http://127\\.0\\.0\\.1:(\\d+))");

  private static Path jar() {
    Path jar = Path.of(System.getProperty("demo.jar", "target/idempotency-demo.jar"));
    assertThat(jar).as("the demo jar, built by package").exists();
    return jar;
  }

  private static ProcessBuilder java(String... args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-jar");
    command.add(jar().toString());
    command.addAll(List.of(args));
    return new ProcessBuilder(command);
  }

  @Test
  void noArgumentsRunsTheDemoAndExitsZero() throws Exception {
    Path stderr = Files.createTempFile("demo-", ".err");
    Process demo = java().redirectError(stderr.toFile()).start();
    String out = new String(demo.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(demo.waitFor(5, TimeUnit.MINUTES)).isTrue();

    System.out.print(out);
    assertThat(demo.exitValue()).as(out).isZero();
    assertThat(out).containsPattern("actions +1000\\R")
        .containsPattern("payments in ledger +1000\\R")
        .containsPattern("duplicates +0\\R")
        .containsPattern("lost +0\\R")
        .contains("exactly once: 1000 actions");
    assertThat(Files.readString(stderr)).contains("1000/1000 actions");
    Files.delete(stderr);
  }

  @Test
  void serverPrintsWhereItListensAndAnswers() throws Exception {
    Process server = java("server", "--port", "0", "--store", "memory").redirectErrorStream(true).start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
      String line = out.readLine();
      assertThat(line).isNotNull();
      Matcher m = LISTENING.matcher(line);
      assertThat(m.matches()).as(line).isTrue();
      URI base = URI.create(m.group(1));

      HttpClient http = HttpClient.newHttpClient();
      HttpResponse<String> health = http.send(HttpRequest.newBuilder(base.resolve("/health")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(health.statusCode()).isEqualTo(200);
      HttpResponse<String> payment = http.send(HttpRequest.newBuilder(base.resolve("/payments"))
              .header("Idempotency-Key", "jar-test-1")
              .POST(HttpRequest.BodyPublishers.ofString("{\"account\":\"acc-1\",\"amountCents\":1250,\"currency\":\"EUR\"}"))
              .build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(payment.statusCode()).isEqualTo(201);
    } finally {
      server.destroy();
      server.waitFor(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void serverCapsPaymentsAndCutsSlowClientsAsItsFlagsSay() throws Exception {
    Process server = java("server", "--port", "0", "--processing-delay", "600000",
        "--max-concurrent-payments", "1", "--read-timeout", "1000").redirectErrorStream(true).start();
    try {
      String line = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8)).readLine();
      Matcher m = LISTENING.matcher(String.valueOf(line));
      assertThat(m.matches()).as(line).isTrue();
      URI base = URI.create(m.group(1));
      HttpClient http = HttpClient.newHttpClient();

      // Two payments, one slot: whichever comes first runs for ten minutes, the other is a 503 at once.
      CompletableFuture<Object> first = CompletableFuture.anyOf(
          http.sendAsync(payment(base, "jar-slot-1"), HttpResponse.BodyHandlers.ofString()),
          http.sendAsync(payment(base, "jar-slot-2"), HttpResponse.BodyHandlers.ofString()));
      HttpResponse<?> busy = (HttpResponse<?>) first.get(60, TimeUnit.SECONDS);
      assertThat(busy.statusCode()).isEqualTo(503);
      assertThat(busy.headers().firstValue("Retry-After")).hasValue("1");
      assertThat(busy.headers().firstValue("Content-Type")).hasValue("application/problem+json");
      HttpResponse<String> health = http.send(HttpRequest.newBuilder(base.resolve("/health")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(health.statusCode()).isEqualTo(200);

      // Headers that never end: closed by the server after its read timeout.
      try (Socket slow = new Socket(base.getHost(), base.getPort())) {
        slow.setSoTimeout(60_000);
        slow.getOutputStream().write("GET /health HTTP/1.1\r\nHo".getBytes(StandardCharsets.ISO_8859_1));
        assertThat(slow.getInputStream().read()).isEqualTo(-1);
      }
    } finally {
      server.destroy();
      server.waitFor(30, TimeUnit.SECONDS);
    }
  }

  private static HttpRequest payment(URI base, String key) {
    return HttpRequest.newBuilder(base.resolve("/payments"))
        .header("Idempotency-Key", key)
        .POST(HttpRequest.BodyPublishers.ofString("{\"account\":\"acc-1\",\"amountCents\":1250,\"currency\":\"EUR\"}"))
        .build();
  }
}
