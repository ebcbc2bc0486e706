package dev.idempotency.benchmarks;

import com.sun.net.httpserver.HttpServer;
import dev.idempotency.client.IdempotencyInterceptor;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The client's interceptor against plain OkHttp: the same POST of a 200-byte JSON body to the
 * same local server (the JDK HttpServer on 127.0.0.1, answering 201 with a 200-byte receipt),
 * over one kept-alive connection. The difference is what the interceptor costs a call.
 *
 * <p>The table's row comes from {@link #pair}: {@link #PAIR_BLOCK} calls through each client back
 * to back in one fork (see {@link Pairs}); the single-sided benchmarks stay for profiling.
 * {@link #pairControl} is the same pair with a second plain client in the guarded slot: an A/A
 * control, which reads 1.0x unless the harness favours one slot (it read 1.014x to 1.0175x while
 * every iteration began with the guarded slot; see {@link MemoryGuardBenchmarks.PairTimes}).
 */
public class ClientBenchmarks {
  /** Calls per side in one block of the pair: some tens of milliseconds. */
  public static final int PAIR_BLOCK = 100;

  /** Invocations of the pair per iteration. */
  public static final int PAIR_BATCH = 10;

  static final MediaType JSON = MediaType.get("application/json");
  static final int PREWARM_CALLS = 10_000;
  static final Duration PREWARM_QUIET = Duration.ofSeconds(1);
  static final Duration PREWARM_LIMIT = Duration.ofSeconds(6);

  @State(Scope.Benchmark)
  public static class Server {
    HttpServer server;
    OkHttpClient plain;
    OkHttpClient intercepted;
    OkHttpClient twin; // plain too, built the same way: the control's guarded slot
    String url;
    byte[] body;

    @Setup(Level.Trial)
    public void start(BenchmarkParams params) throws IOException {
      server = startReceiptServer();
      url = "http://127.0.0.1:" + server.getAddress().getPort() + "/payments";
      body = Receipt.encode(Receipt.charge());
      plain = new OkHttpClient.Builder().build();
      twin = new OkHttpClient.Builder().build();
      // As the README installs it: the defaults, a fresh key for each POST.
      intercepted = new OkHttpClient.Builder()
          .addInterceptor(IdempotencyInterceptor.builder().build())
          .build();
      String benchmark = params.getBenchmark();
      boolean both = benchmark.endsWith(".pair") || benchmark.endsWith(".pairControl");
      OkHttpClient first = benchmark.endsWith(".pairControl") ? twin
          : benchmark.endsWith(".plainOkHttp") ? plain : intercepted;
      int[] n = {0};
      Prewarm.runUntilCompiled(PREWARM_CALLS, PREWARM_QUIET, PREWARM_LIMIT,
          () -> post(both && n[0]++ % 2 == 1 ? plain : first, url, body));
    }

    @TearDown(Level.Trial)
    public void stop() {
      for (OkHttpClient client : new OkHttpClient[] {plain, intercepted, twin}) {
        client.dispatcher().executorService().shutdown();
        client.connectionPool().evictAll();
      }
      server.stop(0);
    }
  }

  /** A JDK HttpServer on a free loopback port that answers every POST with 201 and a receipt. */
  static HttpServer startReceiptServer() throws IOException {
    byte[] answer = Receipt.encode(Receipt.charge());
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/payments", exchange -> {
      try (exchange; InputStream in = exchange.getRequestBody()) {
        in.readAllBytes();
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(201, answer.length);
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(answer);
        }
      }
    });
    server.start();
    return server;
  }

  static byte[] post(OkHttpClient client, String url, byte[] body) throws IOException {
    Request request = new Request.Builder().url(url).post(RequestBody.create(body, JSON)).build();
    try (Response response = client.newCall(request).execute()) {
      if (response.code() != 201) throw new IOException("unexpected answer " + response.code());
      return response.body().bytes();
    }
  }

  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public byte[] interceptedOkHttp(Server server) throws IOException {
    return post(server.intercepted, server.url, server.body);
  }

  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public byte[] plainOkHttp(Server server) throws IOException {
    return post(server.plain, server.url, server.body);
  }

  /** Both clients in alternating blocks of one fork (see the class comment). */
  @Benchmark
  @BenchmarkMode(Mode.SingleShotTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  public void pair(Server server, MemoryGuardBenchmarks.PairTimes times, MemoryGuardBenchmarks.Lockstep step,
      Blackhole bh) throws Exception {
    againstPlain(server.intercepted, server, times, step, bh);
  }

  /** {@link #pair} with a second plain client in the guarded slot: the harness's own bias. */
  @Benchmark
  @BenchmarkMode(Mode.SingleShotTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  public void pairControl(Server server, MemoryGuardBenchmarks.PairTimes times, MemoryGuardBenchmarks.Lockstep step,
      Blackhole bh) throws Exception {
    againstPlain(server.twin, server, times, step, bh);
  }

  /** One invocation of a pair: {@code guarded} in the guarded slot, the plain client as baseline. */
  private static void againstPlain(OkHttpClient guarded, Server server, MemoryGuardBenchmarks.PairTimes times,
      MemoryGuardBenchmarks.Lockstep step, Blackhole bh) throws Exception {
    Pairs.run(times, step, bh, PAIR_BLOCK,
        () -> post(guarded, server.url, server.body),
        () -> post(server.plain, server.url, server.body));
  }
}
