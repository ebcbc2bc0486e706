package dev.idempotency.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idempotency.server.store.InMemoryIdempotencyStore;
import dev.idempotency.server.store.RecordId;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class CompositeListenerTest {
  /** Every event method of the interface, found by reflection so a new one cannot be missed. */
  static List<Method> events() {
    return Arrays.stream(IdempotencyListener.class.getMethods())
        .filter(m -> !Modifier.isStatic(m.getModifiers()))
        .toList();
  }

  static Object argument(Class<?> type) {
    if (type == RecordId.class) return new RecordId("payments", "alice", "order-42");
    if (type == CallOutcome.class) return CallOutcome.EXECUTED;
    if (type == Duration.class) return Duration.ofMillis(7);
    if (type == boolean.class) return true;
    if (type == RuntimeException.class || type == Throwable.class) return new IllegalStateException("x");
    throw new AssertionError("no argument for " + type);
  }

  /** A listener that records "name:tag" per event and, if {@code fail}, then throws. */
  static IdempotencyListener recording(String tag, List<String> heard, boolean fail) {
    return (IdempotencyListener) Proxy.newProxyInstance(
        IdempotencyListener.class.getClassLoader(), new Class<?>[] {IdempotencyListener.class},
        (proxy, method, args) -> {
          if (method.getDeclaringClass() == Object.class) return method.invoke(tag, args);
          heard.add(method.getName() + ":" + tag);
          if (fail) throw new IllegalStateException("listener " + tag + " fails");
          return null;
        });
  }

  @Test
  void everyEventReachesEveryListenerInOrderEvenAfterOneThrows() throws Exception {
    List<String> heard = new CopyOnWriteArrayList<>();
    IdempotencyListener both = IdempotencyListener.composite(
        recording("first", heard, true), recording("second", heard, false));

    List<String> expected = new ArrayList<>();
    for (Method event : events()) {
      Object[] args = Arrays.stream(event.getParameterTypes()).map(CompositeListenerTest::argument).toArray();
      event.invoke(both, args); // would throw if the composite let the first listener's failure out
      expected.add(event.getName() + ":first");
      expected.add(event.getName() + ":second");
    }

    assertThat(events()).hasSize(14);
    assertThat(heard).containsExactlyElementsOf(expected);
  }

  @Test
  void noneOrOneListenerIsNotWrapped() {
    IdempotencyListener one = new IdempotencyListener() {};
    assertThat(IdempotencyListener.composite()).isSameAs(IdempotencyListener.NONE);
    assertThat(IdempotencyListener.composite(one)).isSameAs(one);
  }

  @Test
  void nullListenersAreRefusedByName() {
    assertThatThrownBy(() -> IdempotencyListener.composite((IdempotencyListener[]) null))
        .isInstanceOf(NullPointerException.class).hasMessage("listeners");
    assertThatThrownBy(() -> IdempotencyListener.composite(IdempotencyListener.NONE, null))
        .isInstanceOf(NullPointerException.class).hasMessage("listeners[1]");
  }

  @Test
  void aGuardFeedsBothListenersOfAComposite() {
    RecordingListener a = new RecordingListener();
    RecordingListener b = new RecordingListener();
    try (IdempotencyGuard guard = IdempotencyGuard.builder()
        .store(new InMemoryIdempotencyStore())
        .listener(IdempotencyListener.composite(a, b))
        .build()) {
      guard.execute("k", String.class, () -> "v");
      guard.execute("k", String.class, () -> "v");
    }
    assertThat(a.calls).containsExactly(CallOutcome.EXECUTED, CallOutcome.REPLAYED);
    assertThat(b.calls).containsExactly(CallOutcome.EXECUTED, CallOutcome.REPLAYED);
    assertThat(b.events).isEqualTo(a.events).contains("executed", "replayed");
  }
}
