package dev.idempotency.micrometer;

import static dev.idempotency.micrometer.IdempotencyMetrics.OUTCOME;
import static dev.idempotency.micrometer.IdempotencyMetrics.REASON;

import dev.idempotency.client.IdempotencyListener;
import dev.idempotency.client.IdempotencyOutcome;
import dev.idempotency.client.IdempotencyOutcome.GiveUpReason;
import dev.idempotency.contract.IdempotencyKey;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import okhttp3.Request;

/**
 * An interceptor's listener that records the client's meters: attempts, retries, give-ups by
 * reason and keyed calls by outcome. Every meter is registered when this listener is made, so an
 * event is one counter increment, with no lookup. No tag carries a key, an action name or a URL.
 * This class is threadsafe.
 */
public final class ClientMetrics implements IdempotencyListener {
  private static final GiveUpReason[] REASONS = GiveUpReason.values();

  private final Counter attempts;
  private final Counter retries;
  private final Counter[] giveUps = new Counter[REASONS.length];
  private final Counter succeeded;
  private final Counter replayed;
  private final Counter inProgress;
  private final Counter definitelyFailed;
  private final Counter unknown;

  /**
   * A listener for {@code IdempotencyInterceptor.builder().listener(...)} that records the
   * client's meters in {@code registry}; they are registered here, every one at zero.
   *
   * @throws NullPointerException if {@code registry} is null
   */
  public static ClientMetrics of(MeterRegistry registry) {
    return of(registry, Tags.empty());
  }

  /**
   * Like {@link #of(MeterRegistry)}, with {@code tags} added to every meter (the name of the
   * service called, say, to tell two clients apart).
   *
   * @throws NullPointerException if {@code registry} or {@code tags} is null
   */
  public static ClientMetrics of(MeterRegistry registry, Iterable<Tag> tags) {
    return new ClientMetrics(
        Objects.requireNonNull(registry, "registry"), Tags.of(Objects.requireNonNull(tags, "tags")));
  }

  private ClientMetrics(MeterRegistry registry, Tags tags) {
    attempts = Counter.builder(IdempotencyMetrics.CLIENT_ATTEMPTS)
        .description("HTTP attempts sent with an Idempotency-Key, first ones and retries")
        .tags(tags).register(registry);
    retries = Counter.builder(IdempotencyMetrics.CLIENT_RETRIES)
        .description("Retries scheduled with the same key")
        .tags(tags).register(registry);
    for (GiveUpReason reason : REASONS) {
      giveUps[reason.ordinal()] = Counter.builder(IdempotencyMetrics.CLIENT_GIVEUPS)
          .description("Calls whose outcome stayed unknown, by why retrying stopped")
          .tags(tags).tag(REASON, reason.name().toLowerCase(Locale.ROOT))
          .register(registry);
    }
    succeeded = calls(registry, tags, "succeeded");
    replayed = calls(registry, tags, "replayed");
    inProgress = calls(registry, tags, "in_progress");
    definitelyFailed = calls(registry, tags, "definitely_failed");
    unknown = calls(registry, tags, "unknown");
  }

  private static Counter calls(MeterRegistry registry, Tags tags, String outcome) {
    return Counter.builder(IdempotencyMetrics.CLIENT_CALLS)
        .description("Keyed calls, by how they ended")
        .tags(tags).tag(OUTCOME, outcome)
        .register(registry);
  }

  @Override
  public void attemptStarted(Request request, IdempotencyKey key, int attempt) {
    attempts.increment();
  }

  @Override
  public void retryScheduled(Request request, IdempotencyKey key, int nextAttempt, Duration delay) {
    retries.increment();
  }

  @Override
  public void gaveUp(Request request, IdempotencyOutcome.Unknown outcome) {
    giveUps[outcome.reason().ordinal()].increment();
  }

  @Override
  public void callEnded(Request request, IdempotencyOutcome outcome) {
    if (outcome instanceof IdempotencyOutcome.Succeeded s) {
      (s.replayed() ? replayed : succeeded).increment();
    } else if (outcome instanceof IdempotencyOutcome.InProgress) {
      inProgress.increment();
    } else if (outcome instanceof IdempotencyOutcome.DefinitelyFailed) {
      definitelyFailed.increment();
    } else {
      unknown.increment();
    }
  }
}
