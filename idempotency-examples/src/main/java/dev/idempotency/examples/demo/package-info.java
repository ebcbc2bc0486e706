/**
 * The runnable demo: {@code java -jar idempotency-demo.jar [demo|server|client]}.
 *
 * <p>{@link dev.idempotency.examples.demo.DemoServer} is a payments API on the JDK HttpServer
 * behind {@link dev.idempotency.jdkhttp.IdempotentExchangeHandler}, with faults to
 * inject (503 before the payment, the answer lost after it). The demo client runs payment
 * actions through the Java client, one key per action, and the demo checks the server's ledger:
 * every action paid exactly once. {@link dev.idempotency.examples.demo.Main} is the command line.
 */
package dev.idempotency.examples.demo;
