/**
 * A payments service on embedded Jetty 12 behind {@code idempotency-servlet}'s
 * {@link dev.idempotency.servlet.IdempotencyFilter}: one file to copy and change.
 */
package dev.idempotency.examples.jetty;
