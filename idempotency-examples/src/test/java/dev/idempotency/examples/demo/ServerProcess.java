package dev.idempotency.examples.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A demo server in a process of its own, run from the built jar ({@code java -jar
 * idempotency-demo.jar server --port ... --store ...}), for the tests that send it signals:
 * SIGSTOP and SIGCONT (coreutils' {@code kill}), SIGKILL, and a restart on the same port.
 *
 * <p>Nothing outlives the test JVM: every process started is killed by {@link #close()}, by a
 * shutdown hook, and, if the JVM itself is killed, by a watchdog shell whose standard input is a
 * pipe from this JVM ({@code cat} returns when the pipe closes, then {@code kill -KILL}).
 *
 * <p>Not threadsafe: one test thread drives it; {@link #stats()} may be called from any thread.
 */
final class ServerProcess implements AutoCloseable {
  private static final Pattern LISTENING = Pattern.compile("listening on (http://127\\.0\\.0\\.1:(\\d+))");
  // A JVM start, the pool's first connection and the schema check; minutes only on a machine in trouble.
  private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
  private static final Set<ServerProcess> RUNNING = ConcurrentHashMap.newKeySet();
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      for (ServerProcess p : RUNNING) p.killQuietly();
    }, "server-process-shutdown"));
  }

  private final String name;
  private final List<String> arguments;
  private final Path log;
  private Process process;
  private Process watchdog;
  private URI baseUri;
  private int port;
  private int starts;

  private ServerProcess(String name, List<String> arguments) throws IOException {
    this.name = name;
    this.arguments = List.copyOf(arguments);
    this.log = Files.createTempFile("demo-" + name + "-", ".log");
  }

  /**
   * Starts {@code server --port 0} with {@code arguments} and waits for its {@code listening on}
   * line.
   */
  static ServerProcess start(String name, String... arguments) throws IOException {
    ServerProcess p = new ServerProcess(name, List.of(arguments));
    RUNNING.add(p);
    p.launch(0);
    return p;
  }

  private static Path jar() {
    Path jar = Path.of(System.getProperty("demo.jar", "target/idempotency-demo.jar"));
    assertThat(jar).as("the demo jar, built by package").exists();
    return jar;
  }

  private void launch(int onPort) throws IOException {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        // Small and quick to start: a demo server needs little, and two or three run at once on 2 cores.
        "-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
        "-jar", jar().toString(), "server", "--port", Integer.toString(onPort)));
    command.addAll(arguments);
    process = new ProcessBuilder(command).redirectErrorStream(true).start();
    process.getOutputStream().close();
    watchdog = new ProcessBuilder("sh", "-c", "cat >/dev/null; kill -KILL " + process.pid() + " 2>/dev/null")
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .redirectError(ProcessBuilder.Redirect.DISCARD)
        .start();
    starts++;
    CompletableFuture<URI> listening = new CompletableFuture<>();
    Process running = process;
    Thread reader = new Thread(() -> {
      try (BufferedReader out = new BufferedReader(new InputStreamReader(running.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line = out.readLine(); line != null; line = out.readLine()) {
          Files.writeString(log, "[" + name + "#" + starts + "] " + line + "\n", StandardCharsets.UTF_8,
              java.nio.file.StandardOpenOption.APPEND);
          Matcher m = LISTENING.matcher(line);
          if (m.matches()) listening.complete(URI.create(m.group(1)));
        }
      } catch (IOException e) {
        // the process ended
      }
      listening.completeExceptionally(new IllegalStateException(name + " ended before it listened: " + output()));
    }, "demo-" + name + "-output");
    reader.setDaemon(true);
    reader.start();
    try {
      baseUri = listening.get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } catch (Exception e) {
      killQuietly();
      throw new IllegalStateException(name + " did not start: " + output(), e);
    }
    port = baseUri.getPort();
  }

  /** What the process printed so far, every start of it. */
  String output() {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(no output: " + e + ")";
    }
  }

  String name() {
    return name;
  }

  URI baseUri() {
    return baseUri;
  }

  long pid() {
    return process.pid();
  }

  /** SIGSTOP, then waits until the kernel shows the process stopped. */
  void pause() {
    signal("STOP");
    waitUntil(this::isStopped, Duration.ofSeconds(30), name + " stopped");
  }

  /** SIGCONT. */
  void resume() {
    signal("CONT");
  }

  /** SIGKILL, and waits until the process is gone. */
  void kill() throws InterruptedException {
    signal("KILL");
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).as(name + " died of SIGKILL").isTrue();
  }

  /** Starts the server again, on the port it had. */
  void restart() throws IOException {
    assertThat(process.isAlive()).as(name + " is dead before its restart").isFalse();
    endWatchdog();
    launch(port);
    assertThat(baseUri.getPort()).isEqualTo(port);
  }

  /** Whether the process is stopped by a signal: its state in {@code /proc/PID/stat} is T. */
  boolean isStopped() {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid()), "stat"));
      // pid (comm) state ...: comm may hold spaces and parentheses, so read after the last ')'.
      return stat.substring(stat.lastIndexOf(')') + 2).startsWith("T");
    } catch (IOException e) {
      return false;
    }
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** {@code GET /stats}. */
  DemoServer.Stats stats() {
    try {
      HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(baseUri.resolve("/stats"))
          .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofByteArray());
      assertThat(r.statusCode()).as(name + " /stats").isEqualTo(200);
      return JSON.readValue(r.body(), DemoServer.Stats.class);
    } catch (IOException e) {
      throw new UncheckedIOException(name + " /stats", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private void signal(String signal) {
    try {
      Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid())).redirectErrorStream(true).start();
      assertThat(kill.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(kill.exitValue()).as("kill -" + signal + " " + name + ": "
          + new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isZero();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Polls {@code condition} until it holds, failing after {@code timeout}: a bound, not a pace. */
  static void waitUntil(BooleanSupplier condition, Duration timeout, String what) {
    waitUntil(condition, timeout, what, Duration.ofMillis(5));
  }

  /** {@link #waitUntil(BooleanSupplier, Duration, String)}, asking every {@code every}. */
  static void waitUntil(BooleanSupplier condition, Duration timeout, String what, Duration every) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime() - deadline).as("waited " + timeout + " for: " + what).isNegative();
      try {
        Thread.sleep(every.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }

  private void endWatchdog() {
    // SIGKILL for the shell: it must not kill a process id that may be reused once ours is gone.
    if (watchdog != null) watchdog.destroyForcibly();
    watchdog = null;
  }

  private void killQuietly() {
    Process p = process;
    if (p != null) {
      p.destroyForcibly(); // SIGKILL, which a stopped process obeys too
      try {
        p.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    endWatchdog();
  }

  /** Kills the process (stopped or not) and prints where its output is. */
  @Override
  public void close() {
    killQuietly();
    RUNNING.remove(this);
    System.out.println(name + " output: " + log);
  }
}
