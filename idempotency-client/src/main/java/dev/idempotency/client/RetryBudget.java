package dev.idempotency.client;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A token bucket in the manner of the AWS SDK standard retry mode: a retry takes tokens, a
 * success puts some back, and when the bucket is empty calls stop retrying. One per interceptor,
 * shared by all its calls. This class is threadsafe.
 */
final class RetryBudget {
  private final int capacity;
  private final AtomicInteger tokens;

  RetryBudget(int capacity) {
    if (capacity < 0) throw new IllegalArgumentException("capacity < 0: " + capacity);
    this.capacity = capacity;
    this.tokens = new AtomicInteger(capacity);
  }

  /** Takes {@code cost} tokens if there are that many; returns false (taking none) otherwise. */
  boolean tryAcquire(int cost) {
    while (true) {
      int now = tokens.get();
      if (now < cost) return false;
      if (tokens.compareAndSet(now, now - cost)) return true;
    }
  }

  /** Puts back {@code amount} tokens, never beyond the capacity. */
  void refund(int amount) {
    // Most successes find the bucket full: a read, and no write to a line every call shares.
    while (true) {
      int now = tokens.get();
      if (now >= capacity || amount == 0) return;
      if (tokens.compareAndSet(now, (int) Math.min(capacity, (long) now + amount))) return;
    }
  }

  /** The tokens left. */
  int available() {
    return tokens.get();
  }
}
