package dev.idempotency.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idempotency.contract.IdempotencyKey;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CopyOnWriteArrayList;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.Test;

class CompositeListenerTest extends InterceptorFixture {
  static final IdempotencyKey KEY = IdempotencyKey.of("k-1");

  /** Every event method of the interface, found by reflection so a new one cannot be missed. */
  static List<Method> events() {
    return Arrays.stream(IdempotencyListener.class.getMethods())
        .filter(m -> !Modifier.isStatic(m.getModifiers()))
        .toList();
  }

  static Object argument(Class<?> type) {
    if (type == IdempotentAction.class) return PAY;
    if (type == IdempotencyKey.class) return KEY;
    if (type == Request.class) return new Request.Builder().url("http://127.0.0.1/pay").build();
    if (type == int.class) return 2;
    if (type == Duration.class) return Duration.ofMillis(7);
    if (type == IdempotencyOutcome.class || type == IdempotencyOutcome.Unknown.class) {
      return new IdempotencyOutcome.Unknown(KEY, 3, IdempotencyOutcome.GiveUpReason.MAX_ATTEMPTS,
          OptionalInt.of(503), Optional.empty());
    }
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

    assertThat(events()).hasSize(7);
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
  void anInterceptorFeedsBothListenersOfAComposite() throws IOException {
    RecordingListener other = new RecordingListener();
    server.enqueue(status(503));
    server.enqueue(status(201));
    IdempotencyInterceptor interceptor =
        interceptor().listener(IdempotencyListener.composite(listener, other)).build();

    try (Response response = call(interceptor, payRequest())) {
      assertThat(response.code()).isEqualTo(201);
    }

    assertThat(listener.events).startsWith("keyCreated pay:order-42", "attempt 1")
        .contains("attempt 2", "ended Succeeded");
    assertThat(other.events).isEqualTo(listener.events);
  }
}
