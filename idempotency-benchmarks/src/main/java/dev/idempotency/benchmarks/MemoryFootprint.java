package dev.idempotency.benchmarks;

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

  public static void main(String[] args) {
    int entries = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    long baseline = bytesPerEntry(entries, MemoryFootprint::fillMap);
    System.out.printf(Locale.ROOT, "RESULT entries=%d mapBytesPerEntry=%d%n", entries, baseline);
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
    return Math.round((after - before) / (double) entries);
  }

  /** Heap in use after full collections, repeated until two readings agree (at most 10 times). */
  static long usedAfterGc() {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    long last = Long.MAX_VALUE;
    for (int i = 0; i < 10; i++) {
      System.gc();
      long used = memory.getHeapMemoryUsage().getUsed();
      if (Math.abs(used - last) < 1024) return used;
      last = used;
    }
    return last;
  }
}
