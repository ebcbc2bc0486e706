package dev.idempotency.examples.demo;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;

/**
 * What the end-to-end tests over server processes share: the servers' faults, the client in this
 * JVM and the report line. The runs are the issue's: 500 actions, two servers, 20% of requests
 * failing before the payment, 20% of answers lost after it, one attempt in ten giving up reading
 * after 10 ms.
 */
final class ProcessRuns {
  static final int ACTIONS = 500;
  static final int CONCURRENCY = 16;
  // An attempt stuck on a stopped server gives up after this and is retried on the other; above
  // the transactional guard's lock timeout (2 s), which a retry may wait out before its 409.
  static final Duration CLIENT_READ_TIMEOUT = Duration.ofSeconds(5);
  // A bound on a whole run, for a machine in trouble; a run takes seconds.
  static final Duration RUN_TIMEOUT = Duration.ofMinutes(5);

  private ProcessRuns() {}

  /** The server flags of the demo's faults, with {@code processingDelay} per payment. */
  static List<String> faults(Duration processingDelay) {
    return List.of("--processing-delay", Long.toString(processingDelay.toMillis()),
        "--fail-before", "0.2", "--drop-after", "0.2");
  }

  static String[] args(String store, Duration processingDelay) {
    List<String> args = new ArrayList<>(List.of("--store", store));
    args.addAll(faults(processingDelay));
    return args.toArray(String[]::new);
  }

  /** A client run in the background, attempts spread over {@code servers} in turn. */
  static final class ClientRun {
    private final CompletableFuture<DemoClient.Summary> summary;
    private final long started = System.nanoTime();
    private volatile int done;
    private volatile CountDownLatch gate = new CountDownLatch(0);

    ClientRun(List<ServerProcess> servers, String account, int actions, int concurrency) {
      List<URI> uris = new ArrayList<>();
      for (ServerProcess s : servers) uris.add(s.baseUri());
      DemoClient.Options options = DemoClient.Options.builder(uris)
          .actions(actions)
          .concurrency(concurrency)
          .account(account)
          .token("e2e-" + account)
          .readTimeout(CLIENT_READ_TIMEOUT)
          .shortReadTimeouts(EndToEnd.SHORT_READ_TIMEOUT, EndToEnd.SHORT_READ_TIMEOUT_RATE)
          .random(new Random(account.hashCode()))
          .progress(progress())
          .build();
      summary = CompletableFuture.supplyAsync(() -> {
        try {
          return DemoClient.run(options);
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
      });
    }

    private IntConsumer progress() {
      return n -> {
        done = n;
        try {
          gate.await(); // a worker that ended an action starts no other while the gate is closed
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      };
    }

    /** Actions ended so far. */
    int done() {
      return done;
    }

    boolean isDone() {
      return summary.isDone();
    }

    /** Workers start no new action until {@link #releaseNewActions()}; those running go on. */
    void holdNewActions() {
      gate = new CountDownLatch(1);
    }

    void releaseNewActions() {
      gate.countDown();
    }

    DemoClient.Summary await() throws Exception {
      return summary.get(RUN_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    }

    Duration elapsed() {
      return Duration.ofNanos(System.nanoTime() - started);
    }
  }

  static void report(String name, Duration elapsed, DemoClient.Summary c, DemoServer.Stats s, String more) {
    System.out.printf("%s (%.1f s): actions=%d attempts=%d noAnswers=%d replays=%d inProgressStops=%d gaveUpStops=%d"
            + " failures=%d | servers: paymentCodeRuns=%d ledgerAccepted=%d staleRefused=%d repeatsRefused=%d"
            + " failedBefore=%d droppedAfter=%d storeUnavailable503=%d inProgress409=%d paymentErrors500=%d | %s%n",
        name, elapsed.toMillis() / 1000.0, c.actions(), c.attempts(), c.noAnswers(), c.replays(), c.inProgressStops(),
        c.unknownStops(), c.failures(), s.executions(), s.ledgerAccepted(), s.staleRefused(), s.repeatsRefused(),
        s.failedBefore(), s.droppedAfter(), s.storeUnavailable(), s.inProgress(), s.paymentErrors(), more);
  }
}
