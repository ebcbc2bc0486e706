package dev.idempotency.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What the numbers were measured on: cores, CPU model, memory, JDK, OS. */
record Machine(int cores, String cpu, String memory, String jdk, String os) {

  static Machine detect() {
    return new Machine(
        Runtime.getRuntime().availableProcessors(),
        procField("/proc/cpuinfo", "model name"),
        procField("/proc/meminfo", "MemTotal"),
        System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")
            + " (" + System.getProperty("java.vendor") + ")",
        System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
  }

  private static String procField(String file, String name) {
    try {
      List<String> lines = Files.readAllLines(Path.of(file));
      for (String line : lines) {
        if (line.startsWith(name)) return line.substring(line.indexOf(':') + 1).trim();
      }
    } catch (IOException | RuntimeException e) {
      // not Linux: leave it unknown
    }
    return "unknown";
  }

  String describe() {
    return "machine: " + cores + " cores (nproc), " + cpu + ", " + memory + " RAM, " + jdk + ", " + os;
  }

  Map<String, Object> json(String redisVersion, String postgresVersion) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("nproc", cores);
    m.put("cpu", cpu);
    m.put("memory", memory);
    m.put("jdk", jdk);
    m.put("os", os);
    m.put("redis", redisVersion);
    m.put("postgres", postgresVersion);
    return m;
  }
}
