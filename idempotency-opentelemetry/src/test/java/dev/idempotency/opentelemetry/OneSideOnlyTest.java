package dev.idempotency.opentelemetry;

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
 * side's jars (and less these tests), reflects over the classes that side uses and calls its
 * listener: the absent side's classes are never needed.
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

  /** The listener {@code listenerClass}'s {@code create} returns, after reflecting over the classes a side uses. */
  static Object listener(ClassLoader loader, String listenerClass) throws Exception {
    for (String name : List.of("dev.idempotency.opentelemetry.IdempotencyTracing", listenerClass)) {
      Class.forName(name, true, loader).getMethods();
    }
    return Class.forName(listenerClass, true, loader).getMethod("create").invoke(null);
  }

  interface Body {
    void run(ClassLoader loader) throws Exception;
  }

  /**
   * Runs {@code body} with {@code loader} as the thread's context class loader: OpenTelemetry's
   * context finds its storage with the ServiceLoader, which looks there.
   */
  static void in(URLClassLoader loader, Body body) throws Exception {
    Thread thread = Thread.currentThread();
    ClassLoader before = thread.getContextClassLoader();
    thread.setContextClassLoader(loader);
    try (loader) {
      body.run(loader);
    } finally {
      thread.setContextClassLoader(before);
    }
  }

  @Test
  void aClientWithoutTheServerCoreGetsItsListener() throws Exception {
    in(without(dev.idempotency.server.IdempotencyListener.class), loader -> {
      assertThatThrownBy(() -> Class.forName("dev.idempotency.server.IdempotencyListener", false, loader))
          .isInstanceOf(ClassNotFoundException.class);

      Object listener = listener(loader, "dev.idempotency.opentelemetry.ClientTracing");
      Class<?> request = Class.forName("okhttp3.Request", true, loader);
      Class<?> outcome = Class.forName("dev.idempotency.client.IdempotencyOutcome", true, loader);
      listener.getClass().getMethod("callEnded", request, outcome).invoke(listener, null, null); // no span: returns

      assertThat(Arrays.stream(listener.getClass().getInterfaces()).map(Class::getName))
          .containsExactly("dev.idempotency.client.IdempotencyListener");
    });
  }

  @Test
  void aGuardWithoutTheClientGetsItsListener() throws Exception {
    in(without(dev.idempotency.client.IdempotencyListener.class, okhttp3.Request.class), loader -> {
      assertThatThrownBy(() -> Class.forName("dev.idempotency.client.IdempotencyListener", false, loader))
          .isInstanceOf(ClassNotFoundException.class);
      assertThatThrownBy(() -> Class.forName("okhttp3.Request", false, loader))
          .as("OkHttp comes with the client only").isInstanceOf(ClassNotFoundException.class);

      Object listener = listener(loader, "dev.idempotency.opentelemetry.GuardTracing");
      Class<?> recordId = Class.forName("dev.idempotency.server.store.RecordId", true, loader);
      Object id = recordId.getConstructor(String.class, String.class, String.class).newInstance("payments", "", "k");
      @SuppressWarnings({"unchecked", "rawtypes"})
      Class<Enum> outcomes = (Class<Enum>) Class.forName("dev.idempotency.server.CallOutcome", true, loader);
      listener.getClass().getMethod("callEnded", recordId, outcomes, java.time.Duration.class)
          .invoke(listener, id, Enum.valueOf(outcomes, "EXECUTED"), java.time.Duration.ZERO); // no span: returns

      assertThat(Arrays.stream(listener.getClass().getInterfaces()).map(Class::getName))
          .containsExactly("dev.idempotency.server.IdempotencyListener");
    });
  }
}
