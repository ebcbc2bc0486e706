package dev.idempotency.examples.demo;

import java.io.PrintStream;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/**
 * {@code java -jar idempotency-demo.jar [server|client|demo] [options]}; no command runs the
 * demo.
 *
 * <ul>
 *   <li>{@code server [--port N] [--store memory|redis://HOST:PORT|redis-cluster://HOST:PORT,...|
 *       jdbc:postgresql://HOST:PORT/DB?user=U&password=P]}
 *       [--processing-delay MS] [--fail-before RATE] [--drop-after RATE]
 *       [--max-concurrent-payments N] [--read-timeout MS] [--memory-records N]}: serves the payments API and prints
 *       {@code listening on http://127.0.0.1:PORT} once it accepts connections.
 *   <li>{@code client --url URL --actions N --concurrency C [--account A] [--token T]}: runs N
 *       payment actions and prints a summary; exit status 0 only if every action ended with a
 *       confirmed payment.
 *   <li>{@code demo [--actions N] [--concurrency C] [--store ...]}: a server with faults (the
 *       memory store by default) and a client in this process; prints a summary table; exit status
 *       1 on any duplicate or lost payment.
 * </ul>
 *
 * <p>Exit status 2 means the command line was wrong.
 */
public final class Main {
  static final int OK = 0;
  static final int FAILED = 1;
  static final int USAGE = 2;

  private static final String USAGE_TEXT = String.join("\n",
      "usage: java -jar idempotency-demo.jar [command] [options]",
      "  demo   [--actions N] [--concurrency C] [--store STORE]",
      "         (the default) server with faults + client, in this process; STORE as for server",
      "  server [--port N] [--store memory|redis://HOST:PORT|redis-cluster://HOST:PORT[,HOST:PORT...]",
      "                             |jdbc:postgresql://HOST[:PORT]/DB[?user=U&password=P&ApplicationName=A]]",
      "         [--processing-delay MS] [--fail-before RATE] [--drop-after RATE]",
      "         [--max-concurrent-payments N] [--read-timeout MS] [--memory-records N]",
      "  client --url URL --actions N --concurrency C [--account A] [--token T]");

  private Main() {}

  public static void main(String[] args) {
    int status = run(args, System.out, System.err);
    // Not for "server", which runs until the process is stopped and never returns.
    System.exit(status);
  }

  /** Runs a command and returns its exit status; {@code server} returns only when interrupted. */
  static int run(String[] args, PrintStream out, PrintStream err) {
    String command = args.length == 0 || args[0].startsWith("--") ? "demo" : args[0];
    List<String> rest = List.of(args).subList(args.length == 0 || args[0].startsWith("--") ? 0 : 1, args.length);
    try {
      switch (command) {
        case "server":
          return server(options(rest, Set.of("port", "store", "processing-delay", "fail-before", "drop-after",
              "max-concurrent-payments", "read-timeout", "memory-records")), out);
        case "client":
          return client(options(rest, Set.of("url", "actions", "concurrency", "account", "token")), out);
        case "demo":
          return demo(options(rest, Set.of("actions", "concurrency", "store")), out, err);
        case "help":
        case "-h":
          out.println(USAGE_TEXT);
          return OK;
        default:
          throw new IllegalArgumentException("unknown command: " + command);
      }
    } catch (IllegalArgumentException e) {
      err.println("error: " + e.getMessage());
      err.println(USAGE_TEXT);
      return USAGE;
    } catch (Exception e) {
      err.println("error: " + e);
      for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
        err.println("  caused by: " + cause);
      }
      return FAILED;
    }
  }

  private static int server(Map<String, String> o, PrintStream out) throws Exception {
    DemoServer.Options.Builder options = DemoServer.Options.builder()
        .port(intOption(o, "port", 8080, 0))
        .store(o.getOrDefault("store", "memory"))
        .processingDelay(Duration.ofMillis(intOption(o, "processing-delay", 0, 0)))
        .failBefore(rateOption(o, "fail-before"))
        .dropAfter(rateOption(o, "drop-after"));
    if (o.containsKey("max-concurrent-payments")) {
      options.maxConcurrentPayments(intOption(o, "max-concurrent-payments", 0, 1, DemoServer.MAX_CONCURRENT_PAYMENTS));
    }
    if (o.containsKey("memory-records")) {
      if (!"memory".equals(o.getOrDefault("store", "memory"))) {
        throw new IllegalArgumentException("--memory-records is for --store memory only");
      }
      options.memoryRecords(intOption(o, "memory-records", 0, 1));
    }
    if (o.containsKey("read-timeout")) {
      options.readTimeout(Duration.ofMillis(intOption(o, "read-timeout", 0, 1)));
    }
    DemoServer server = DemoServer.start(options.build());
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      stopped.countDown();
    }, "demo-server-shutdown"));
    out.println("listening on " + server.baseUri());
    out.flush();
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      server.close();
    }
    return OK;
  }

  private static int client(Map<String, String> o, PrintStream out) throws Exception {
    String url = o.get("url");
    if (url == null) throw new IllegalArgumentException("client needs --url, e.g. --url http://127.0.0.1:8080");
    URI base;
    try {
      base = URI.create(url);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--url is not a URL: " + url);
    }
    if (!"http".equals(base.getScheme()) || base.getHost() == null) {
      throw new IllegalArgumentException("--url must be http://HOST:PORT, not " + url);
    }
    DemoClient.Options options = DemoClient.Options.builder(List.of(base))
        .actions(intOption(o, "actions", 100, 1))
        .concurrency(intOption(o, "concurrency", 8, 1))
        .account(o.getOrDefault("account", "acc-1"))
        .token(o.get("token"))
        .build();
    DemoClient.Summary summary = DemoClient.run(options);
    out.print(summary.format());
    out.flush();
    return summary.allConfirmed() ? OK : FAILED;
  }

  private static int demo(Map<String, String> o, PrintStream out, PrintStream err) throws Exception {
    DemoRun.Result result = DemoRun.run(
        intOption(o, "actions", DemoRun.DEFAULT_ACTIONS, 1),
        intOption(o, "concurrency", DemoRun.DEFAULT_CONCURRENCY, 1),
        o.getOrDefault("store", "memory"),
        out, err);
    return result.exactlyOnce() ? OK : FAILED;
  }

  /** {@code --name value} pairs, each name from {@code allowed}. */
  private static Map<String, String> options(List<String> args, Set<String> allowed) {
    Map<String, String> options = new HashMap<>();
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (!arg.startsWith("--") || !allowed.contains(arg.substring(2))) {
        throw new IllegalArgumentException("unknown option: " + arg);
      }
      if (i + 1 >= args.size() || args.get(i + 1).startsWith("--")) {
        throw new IllegalArgumentException(arg + " needs a value");
      }
      options.put(arg.substring(2), args.get(++i));
    }
    return options;
  }

  private static int intOption(Map<String, String> o, String name, int defaultValue, int min) {
    return intOption(o, name, defaultValue, min, Integer.MAX_VALUE);
  }

  private static int intOption(Map<String, String> o, String name, int defaultValue, int min, int max) {
    String v = o.get(name);
    if (v == null) return defaultValue;
    try {
      int n = Integer.parseInt(v);
      if (n < min) throw new IllegalArgumentException("--" + name + " is at least " + min + ", not " + v);
      if (n > max) throw new IllegalArgumentException("--" + name + " is at most " + max + ", not " + v);
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + name + " takes a whole number, not " + v);
    }
  }

  private static double rateOption(Map<String, String> o, String name) {
    String v = o.get(name);
    if (v == null) return 0;
    try {
      double rate = Double.parseDouble(v);
      if (!(rate >= 0 && rate <= 1)) throw new IllegalArgumentException("--" + name + " is 0 to 1, not " + v);
      return rate;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + name + " takes a rate from 0 to 1, like 0.2, not " + v);
    }
  }
}
