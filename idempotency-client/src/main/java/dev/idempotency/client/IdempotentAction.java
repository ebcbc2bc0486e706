package dev.idempotency.client;

import java.util.Objects;

/**
 * Names one business action, such as {@code "checkout:cart-42"}: the thing that must happen at
 * most once, however many HTTP attempts and manual retries it takes. Attach it to a request as a
 * tag and the {@link IdempotencyInterceptor} sends the action's key from its
 * {@link IdempotencyKeyRegistry}:
 *
 * <pre>{@code
 * Request request = new Request.Builder()
 *     .url(url)
 *     .post(body)
 *     .tag(IdempotentAction.class, IdempotentAction.of("checkout:cart-42"))
 *     .build();
 * }</pre>
 *
 * <p>Name the action after what the user asked for (one click of "pay", one cart checkout), never
 * after a field another user could share: two users can submit the same order number. Equality is
 * by name. This class is threadsafe.
 *
 * @param name the action's name; not blank
 */
public record IdempotentAction(String name) {
  /**
   * @throws NullPointerException if {@code name} is null
   * @throws IllegalArgumentException if {@code name} is blank
   */
  public IdempotentAction {
    Objects.requireNonNull(name, "name");
    if (name.isBlank()) throw new IllegalArgumentException("name is blank");
  }

  /** Returns the action named {@code name}. */
  public static IdempotentAction of(String name) {
    return new IdempotentAction(name);
  }
}
