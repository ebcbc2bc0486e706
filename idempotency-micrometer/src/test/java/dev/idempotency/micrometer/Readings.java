package dev.idempotency.micrometer;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Timer;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

/** Reads a registry as the tests assert it: every meter's count, by name and tags. */
final class Readings {
  private Readings() {}

  /** "name{k=v,...}" of a meter, tags sorted by key. */
  static String id(String name, String... tags) {
    TreeMap<String, String> sorted = new TreeMap<>();
    for (int i = 0; i < tags.length; i += 2) sorted.put(tags[i], tags[i + 1]);
    return name + sorted.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
        .collect(Collectors.joining(",", "{", "}"));
  }

  static String id(Meter meter) {
    List<Tag> tags = meter.getId().getTags();
    String[] flat = new String[tags.size() * 2];
    for (int i = 0; i < tags.size(); i++) {
      flat[2 * i] = tags.get(i).getKey();
      flat[2 * i + 1] = tags.get(i).getValue();
    }
    return id(meter.getId().getName(), flat);
  }

  /** Every meter's count: a counter's value, a timer's number of events. */
  static Map<String, Double> counts(MeterRegistry registry) {
    Map<String, Double> counts = new TreeMap<>();
    for (Meter m : registry.getMeters()) {
      if (m instanceof Timer t) counts.put(id(m), (double) t.count());
      else if (m instanceof Counter c) counts.put(id(m), c.count());
      else throw new AssertionError("a meter of an unexpected kind: " + m.getId());
    }
    return counts;
  }

  /** Every timer's total time in nanoseconds. */
  static Map<String, Double> totalNanos(MeterRegistry registry) {
    Map<String, Double> totals = new TreeMap<>();
    for (Meter m : registry.getMeters()) {
      if (m instanceof Timer t) totals.put(id(m), t.totalTime(TimeUnit.NANOSECONDS));
    }
    return totals;
  }

  /** Every tag value of every meter. */
  static List<String> tagValues(MeterRegistry registry) {
    return registry.getMeters().stream()
        .flatMap(m -> m.getId().getTags().stream())
        .map(Tag::getValue)
        .toList();
  }

  /** Waits for a condition another thread makes true; bounded so a bug cannot hang the build. */
  static void awaitTrue(BooleanSupplier condition) {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - end > 0) throw new AssertionError("condition not met in 30 s");
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1)); // polls; moves no time
    }
  }
}
