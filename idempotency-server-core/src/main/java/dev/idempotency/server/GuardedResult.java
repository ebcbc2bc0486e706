package dev.idempotency.server;

/**
 * The value of a guarded call and whether it was replayed from the store (the business code did
 * not run for this call).
 */
public record GuardedResult<T>(T value, boolean replayed) {}
