package dev.idempotency.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.File;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The server core and the client are optional dependencies: an application has one of them, or
 * both. Each test loads this module in a class loader of its own, on the test class path less one
 * side's jar (and less these tests), and uses the other side's listener: the absent side's
 * classes are never needed, by the JVM's verifier or otherwise.
 */
class OneSideOnlyTest {
  /** A loader over the test class path without the code sources of {@code absent} and of these tests. */
  static URLClassLoader without(Class<?>... absent) throws Exception {
    List<Path> left = new ArrayList<>();
    for (Class<?> type : absent) left.add(codeSource(type));
    left.add(codeSource(OneSideOnlyTest.class));
    String[] classPath = System.getProperty("java.class.path").split(File.pathSeparator);
    List<URL> urls = new ArrayList<>();
    for (String entry : classPath) {
      Path path = Path.of(entry).toAbsolutePath().normalize();
      if (!left.contains(path)) urls.add(url(path));
    }
    assertThat(urls).as("every code source left out was on the class path").hasSize(classPath.length - left.size());
    return new URLClassLoader(urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader());
  }

  static Path codeSource(Class<?> type) throws Exception {
    return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toAbsolutePath().normalize();
  }

  static URL url(Path path) {
    try {
      return path.toUri().toURL();
    } catch (MalformedURLException e) {
      throw new AssertionError(e);
    }
  }

  /**
   * Makes a SimpleMeterRegistry in {@code loader} and the listener {@code listenerClass}'s
   * {@code of} returns for it, having reflected over every public class of this module that the
   * side needs (as a framework scanning them would).
   */
  static Object[] listenerAndRegistry(ClassLoader loader, String listenerClass) throws Exception {
    for (String name : List.of("dev.idempotency.micrometer.IdempotencyMetrics", listenerClass)) {
      Class.forName(name, true, loader).getMethods();
    }
    Class<?> registryType = Class.forName("io.micrometer.core.instrument.MeterRegistry", true, loader);
    Object registry = Class.forName("io.micrometer.core.instrument.simple.SimpleMeterRegistry", true, loader)
        .getConstructor().newInstance();
    Object listener = Class.forName(listenerClass, true, loader).getMethod("of", registryType).invoke(null, registry);
    return new Object[] {listener, registry};
  }

  static String metersOf(Object registry) throws Exception {
    return (String) registry.getClass().getMethod("getMetersAsString").invoke(registry);
  }

  @Test
  void aClientWithoutTheServerCoreGetsItsMeters() throws Exception {
    try (URLClassLoader loader = without(dev.idempotency.server.IdempotencyListener.class)) {
      assertThatThrownBy(() -> Class.forName("dev.idempotency.server.IdempotencyListener", false, loader))
          .isInstanceOf(ClassNotFoundException.class);

      Object[] made = listenerAndRegistry(loader, "dev.idempotency.micrometer.ClientMetrics");
      Class<?> request = Class.forName("okhttp3.Request", true, loader);
      Class<?> key = Class.forName("dev.idempotency.contract.IdempotencyKey", true, loader);
      made[0].getClass().getMethod("attemptStarted", request, key, int.class).invoke(made[0], null, null, 1);

      assertThat(Arrays.stream(made[0].getClass().getInterfaces()).map(Class::getName))
          .containsExactly("dev.idempotency.client.IdempotencyListener");
      assertThat(metersOf(made[1])).contains("idempotency.client.attempts").contains("1.0")
          .doesNotContain("idempotency.server");
    }
  }

  @Test
  void aGuardWithoutTheClientGetsItsMeters() throws Exception {
    try (URLClassLoader loader = without(dev.idempotency.client.IdempotencyListener.class, okhttp3.Request.class)) {
      assertThatThrownBy(() -> Class.forName("dev.idempotency.client.IdempotencyListener", false, loader))
          .isInstanceOf(ClassNotFoundException.class);
      assertThatThrownBy(() -> Class.forName("okhttp3.Request", false, loader))
          .as("OkHttp comes with the client only").isInstanceOf(ClassNotFoundException.class);

      Object[] made = listenerAndRegistry(loader, "dev.idempotency.micrometer.GuardMetrics");
      Class<?> recordId = Class.forName("dev.idempotency.server.store.RecordId", true, loader);
      Object id = recordId.getConstructor(String.class, String.class, String.class).newInstance("payments", "", "k");
      made[0].getClass().getMethod("leaseLost", recordId).invoke(made[0], id);

      assertThat(metersOf(made[1])).contains("idempotency.server.lease.lost").contains("1.0")
          .doesNotContain("idempotency.client");
    }
  }
}
