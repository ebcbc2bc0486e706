package dev.idempotency.micrometer;

import static dev.idempotency.micrometer.IdempotencyMetrics.NAMESPACE;
import static dev.idempotency.micrometer.IdempotencyMetrics.OUTCOME;

import dev.idempotency.server.CallOutcome;
import dev.idempotency.server.IdempotencyListener;
import dev.idempotency.server.store.RecordId;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A guard's listener that records its meters: every call in the
 * {@value IdempotencyMetrics#SERVER_CALLS} timer by outcome, and a counter for each step that
 * goes wrong after the work ran (a lost lease, a deferred, recovered or failed completion, a
 * failed renewal or release). Tags carry the record's namespace, never its scope or key.
 *
 * <p>An event costs a map lookup by namespace and one meter update: the meters of a namespace are
 * registered together, the first time it is heard of, so dashboards see each at zero before
 * anything happened. Namespaces come from guards' configuration, not from requests, so they are
 * few. This class is threadsafe.
 */
public final class GuardMetrics implements IdempotencyListener {
  private static final CallOutcome[] OUTCOMES = CallOutcome.values();

  private final MeterRegistry registry;
  private final Tags tags;
  private final ConcurrentHashMap<String, Meters> byNamespace = new ConcurrentHashMap<>();

  private GuardMetrics(MeterRegistry registry, Tags tags) {
    this.registry = registry;
    this.tags = tags;
  }

  /**
   * A listener for {@code IdempotencyGuard.builder().listener(...)} that records the guard's
   * meters in {@code registry}. One listener may serve several guards: each namespace gets its
   * own meters, registered the first time the namespace is heard of.
   *
   * @throws NullPointerException if {@code registry} is null
   */
  public static GuardMetrics of(MeterRegistry registry) {
    return of(registry, Tags.empty());
  }

  /**
   * Like {@link #of(MeterRegistry)}, with {@code tags} added to every meter (the application's
   * name, say, where the registry does not add it).
   *
   * @throws NullPointerException if {@code registry} or {@code tags} is null
   */
  public static GuardMetrics of(MeterRegistry registry, Iterable<Tag> tags) {
    return new GuardMetrics(
        Objects.requireNonNull(registry, "registry"), Tags.of(Objects.requireNonNull(tags, "tags")));
  }

  /** The meters of one namespace: a timer per outcome (by ordinal) and the step counters. */
  private static final class Meters {
    final Timer[] calls = new Timer[OUTCOMES.length];
    final Counter leaseLost;
    final Counter renewalFailed;
    final Counter deferred;
    final Counter recovered;
    final Counter completionFailed;
    final Counter releaseFailed;

    Meters(MeterRegistry registry, Tags tags) {
      for (CallOutcome outcome : OUTCOMES) {
        calls[outcome.ordinal()] = Timer.builder(IdempotencyMetrics.SERVER_CALLS)
            .description("Guarded calls, by how they ended, from the first claim to the answer")
            .tags(tags).tag(OUTCOME, outcome.name().toLowerCase(Locale.ROOT))
            .register(registry);
      }
      leaseLost = counter(registry, tags, IdempotencyMetrics.SERVER_LEASE_LOST,
          "Claims found lost: the lease expired under running work, or before its result was stored");
      renewalFailed = counter(registry, tags, IdempotencyMetrics.SERVER_LEASE_RENEWAL_FAILED,
          "Lease renewals that failed for a reason other than a lost lease");
      deferred = counter(registry, tags, IdempotencyMetrics.SERVER_COMPLETION_DEFERRED,
          "Results whose storing failed in line and goes on in the background");
      recovered = counter(registry, tags, IdempotencyMetrics.SERVER_COMPLETION_RECOVERED,
          "Deferred results stored after all");
      completionFailed = counter(registry, tags, IdempotencyMetrics.SERVER_COMPLETION_FAILED,
          "Deferred results never stored: a retry of the key runs the work again");
      releaseFailed = counter(registry, tags, IdempotencyMetrics.SERVER_RELEASE_FAILED,
          "Claims whose release failed after the work threw; the key frees when the lease ends");
    }

    private static Counter counter(MeterRegistry registry, Tags tags, String name, String description) {
      return Counter.builder(name).description(description).tags(tags).register(registry);
    }
  }

  private Meters meters(RecordId id) {
    String namespace = id.namespace();
    Meters m = byNamespace.get(namespace);
    if (m != null) return m;
    return byNamespace.computeIfAbsent(namespace, ns -> new Meters(registry, tags.and(NAMESPACE, ns)));
  }

  @Override
  public void callEnded(RecordId id, CallOutcome outcome, Duration elapsed) {
    meters(id).calls[outcome.ordinal()].record(elapsed);
  }

  @Override
  public void leaseLost(RecordId id) {
    meters(id).leaseLost.increment();
  }

  @Override
  public void renewFailed(RecordId id, RuntimeException cause) {
    meters(id).renewalFailed.increment();
  }

  @Override
  public void completeDeferred(RecordId id, RuntimeException cause) {
    meters(id).deferred.increment();
  }

  @Override
  public void completeRecovered(RecordId id) {
    meters(id).recovered.increment();
  }

  @Override
  public void completeFailed(RecordId id, RuntimeException cause) {
    meters(id).completionFailed.increment();
  }

  @Override
  public void releaseFailed(RecordId id, RuntimeException cause) {
    meters(id).releaseFailed.increment();
  }

  @Override
  public String toString() {
    return "GuardMetrics(" + registry.getClass().getSimpleName() + ", namespaces=" + byNamespace.keySet() + ")";
  }
}
