/**
 * A payments service on the JDK's {@code HttpServer} behind {@code idempotency-jdkhttp}'s
 * {@link dev.idempotency.jdkhttp.IdempotentExchangeHandler}: one file to copy and change.
 */
package dev.idempotency.examples.jdkhttp;
