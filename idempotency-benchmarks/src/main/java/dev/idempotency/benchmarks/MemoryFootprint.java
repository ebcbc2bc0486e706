package dev.idempotency.benchmarks;

import dev.idempotency.server.IdempotencyGuard;
import dev.idempotency.server.IdempotentCall;
import dev.idempotency.server.ResultCodec;
import dev.idempotency.server.store.InMemoryIdempotencyStore;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.ref.Reference;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Bytes per entry of the in-memory store at its default maximum size, each entry holding a
 * 200-byte answer, next to a bare {@code ConcurrentHashMap<String, byte[]>} holding the same
 * keys and answers. Heap in use after full collections, before and after filling, divided by
 * the number of entries.
 *
 * <p>Run in a JVM of its own (the driver starts one with {@code -XX:+UseSerialGC}, whose full
 * collection leaves exactly the live objects); prints one line starting with {@code RESULT}.
 */
public final class MemoryFootprint {
  static final int ANSWER_BYTES = 200;

  private MemoryFootprint() {}

  /** The variants, each measured in a JVM of its own: {@code store}, {@code fingerprinted}, {@code map}. */
  public static void main(String[] args) {
    String variant = args[0];
    int entries = InMemoryIdempotencyStore.DEFAULT_MAXIMUM_SIZE;
    Filler filler = switch (variant) {
      case "store" -> n -> fillGuard(n, false);
      case "fingerprinted" -> n -> fillGuard(n, true);
      case "map" -> MemoryFootprint::fillMap;
      default -> throw new IllegalArgumentException("unknown variant " + variant);
    };
    // Once small first, so that classes loaded on first use are not counted.
    close(filler.fill(1000));
    System.out.printf(Locale.ROOT, "RESULT entries=%d %s=%d%n", entries, variant, bytesPerEntry(entries, filler));
  }

  /** A fingerprint as the HTTP layer gives it, one per request: 64 lowercase hex digits. */
  static String fingerprint(int i) {
    return String.format(Locale.ROOT, "%064x", i);
  }

  /** The answer stored as it is: exactly {@link #ANSWER_BYTES} bytes in the store. */
  static final ResultCodec<byte[]> AS_IS = new ResultCodec<>() {
    @Override
    public byte[] encode(byte[] value) {
      return value;
    }

    @Override
    public byte[] decode(byte[] bytes) {
      return bytes;
    }
  };

  /** A default store filled through a guard, every entry completed with a 200-byte answer. */
  static Object fillGuard(int entries, boolean fingerprinted) {
    InMemoryIdempotencyStore store = MemoryGuardBenchmarks.newStore();
    IdempotencyGuard guard = MemoryGuardBenchmarks.newGuard(store);
    Keys keys = new Keys();
    for (int i = 0; i < entries; i++) {
      byte[] answer = answer(i);
      IdempotentCall call = IdempotentCall.of(keys.next());
      if (fingerprinted) call = call.withFingerprint(fingerprint(i));
      guard.execute(call, AS_IS, () -> answer);
    }
    if (store.size() != entries) {
      throw new IllegalStateException("the store holds " + store.size() + " records, not " + entries);
    }
    return guard;
  }

  interface Filler {
    Object fill(int entries);
  }

  static Object fillMap(int entries) {
    ConcurrentHashMap<String, byte[]> map = new ConcurrentHashMap<>();
    Keys keys = new Keys();
    for (int i = 0; i < entries; i++) map.put(keys.next(), answer(i));
    return map;
  }

  static byte[] answer(int i) {
    byte[] answer = new byte[ANSWER_BYTES];
    answer[0] = (byte) i;
    return answer;
  }

  static long bytesPerEntry(int entries, Filler filler) {
    long before = usedAfterGc();
    Object held = filler.fill(entries);
    long after = usedAfterGc();
    // The filled structure must stay reachable until the second reading is taken.
    Reference.reachabilityFence(held);
    close(held);
    return Math.round((after - before) / (double) entries);
  }

  private static void close(Object filled) {
    if (filled instanceof AutoCloseable closeable) {
      try {
        closeable.close();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
  }

  /** Heap in use after full collections: the lowest of five readings. */
  static long usedAfterGc() {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    long least = Long.MAX_VALUE;
    for (int i = 0; i < 5; i++) {
      System.gc();
      least = Math.min(least, memory.getHeapMemoryUsage().getUsed());
    }
    return least;
  }
}
