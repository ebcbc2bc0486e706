package dev.idempotency.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.idempotency.contract.Sleeper;
import dev.idempotency.contract.Ticker;
import dev.idempotency.server.store.IdempotencyStore;
import dev.idempotency.server.store.IdempotencyStoreUnavailableException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Predicate;

/**
 * Builds an {@link IdempotencyGuard}. Every setting but the store has a default. Not threadsafe;
 * the guard it builds is.
 */
public final class IdempotencyGuardBuilder {
  IdempotencyStore store;
  String namespace = IdempotencyGuard.DEFAULT_NAMESPACE;
  Duration leaseTtl = IdempotencyGuard.DEFAULT_LEASE_TTL;
  Duration retention = IdempotencyGuard.DEFAULT_RETENTION;
  double renewalFraction = IdempotencyGuard.DEFAULT_RENEWAL_FRACTION;
  InProgressPolicy inProgressPolicy = InProgressPolicy.failFast();
  Predicate<? super Throwable> storeFailuresWhen;
  boolean failOpen;
  IdempotencyListener listener = IdempotencyListener.NONE;
  ObjectMapper objectMapper = JsonResultCodec.defaultObjectMapper();
  Ticker ticker = Ticker.system();
  Sleeper sleeper = Sleeper.system();
  ScheduledExecutorService scheduler;

  IdempotencyGuardBuilder() {}

  /** Where records live. Required. */
  public IdempotencyGuardBuilder store(IdempotencyStore store) {
    this.store = Objects.requireNonNull(store, "store");
    return this;
  }

  /**
   * Separates this service's records from other services sharing the store. Default
   * {@value IdempotencyGuard#DEFAULT_NAMESPACE}.
   */
  public IdempotencyGuardBuilder namespace(String namespace) {
    Objects.requireNonNull(namespace, "namespace");
    if (namespace.isEmpty()) throw new IllegalArgumentException("namespace is empty");
    this.namespace = namespace;
    return this;
  }

  /**
   * How long a claim lives without renewal; it must outlast a stall of the worker (a GC pause)
   * but frees the key of a crashed one. Default {@link IdempotencyGuard#DEFAULT_LEASE_TTL} (30 s).
   */
  public IdempotencyGuardBuilder leaseTtl(Duration leaseTtl) {
    this.leaseTtl = positive(leaseTtl, "leaseTtl");
    return this;
  }

  /** How long a result is replayed. Default {@link IdempotencyGuard#DEFAULT_RETENTION} (24 h). */
  public IdempotencyGuardBuilder retention(Duration retention) {
    this.retention = positive(retention, "retention");
    return this;
  }

  /**
   * Renew a running call's lease every {@code fraction} of the lease TTL, between 0 and 1
   * (exclusive). Default {@link IdempotencyGuard#DEFAULT_RENEWAL_FRACTION} (1/3).
   */
  public IdempotencyGuardBuilder renewalFraction(double fraction) {
    if (!(fraction > 0 && fraction < 1)) {
      throw new IllegalArgumentException("renewal fraction must be in (0, 1): " + fraction);
    }
    this.renewalFraction = fraction;
    return this;
  }

  /** What a repeat does while the first call runs. Default {@link InProgressPolicy#failFast()}. */
  public IdempotencyGuardBuilder inProgressPolicy(InProgressPolicy policy) {
    this.inProgressPolicy = Objects.requireNonNull(policy, "policy");
    return this;
  }

  /**
   * Stores the failures {@code predicate} accepts (deterministic ones: a declined card, a
   * validation error) so that repeats throw {@link IdempotencyStoredFailureException} instead of
   * running again; the first call still gets its own exception. The failure side of every
   * {@link StorePolicy} that sets none of its own, the HTTP layer's included. Default: none;
   * every failure releases the claim, so a retry runs the business code again.
   */
  public IdempotencyGuardBuilder storeFailuresWhen(Predicate<? super Throwable> predicate) {
    this.storeFailuresWhen = Objects.requireNonNull(predicate, "predicate");
    return this;
  }

  /**
   * If true, a claim that the store cannot answer runs the work unguarded (reported to the
   * listener), with fencing token 0; a repeat may then run twice. Default false: fail closed with
   * {@link IdempotencyStoreUnavailableException}, nothing runs.
   */
  public IdempotencyGuardBuilder failOpen(boolean failOpen) {
    this.failOpen = failOpen;
    return this;
  }

  /** Receives the guard's events. Default {@link IdempotencyListener#NONE}. */
  public IdempotencyGuardBuilder listener(IdempotencyListener listener) {
    this.listener = Objects.requireNonNull(listener, "listener");
    return this;
  }

  /**
   * The mapper of the {@code execute(key, Class, supplier)} forms. Default: a plain
   * {@link ObjectMapper} with the Jackson modules found on the class path. Configure it before
   * passing it in.
   */
  public IdempotencyGuardBuilder objectMapper(ObjectMapper objectMapper) {
    this.objectMapper = Objects.requireNonNull(objectMapper, "objectMapper");
    return this;
  }

  /**
   * The time source of leases, renewals, waits and retries. Default {@link Ticker#system()};
   * tests pass one they advance.
   */
  public IdempotencyGuardBuilder ticker(Ticker ticker) {
    this.ticker = Objects.requireNonNull(ticker, "ticker");
    return this;
  }

  /** How the guard pauses (waiting, retrying the store). Default {@link Sleeper#system()}. */
  public IdempotencyGuardBuilder sleeper(Sleeper sleeper) {
    this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
    return this;
  }

  /**
   * Runs lease renewals, and the retries of results not yet stored, on {@code scheduler}, which
   * the guard never shuts down ({@link IdempotencyGuard#close()} cancels the guard's own tasks on it). Default:
   * one daemon thread of the guard's own, shared by all its calls, ended by {@link IdempotencyGuard#close()}.
   */
  public IdempotencyGuardBuilder renewalScheduler(ScheduledExecutorService scheduler) {
    this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    return this;
  }

  /** @throws IllegalStateException if no store was set */
  public IdempotencyGuard build() {
    if (store == null) throw new IllegalStateException("store is required");
    return new IdempotencyGuard(this);
  }

  private static Duration positive(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) throw new IllegalArgumentException(name + " must be positive: " + d);
    return d;
  }
}
