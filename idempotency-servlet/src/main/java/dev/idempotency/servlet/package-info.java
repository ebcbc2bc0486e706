/**
 * The Idempotency-Key contract for Jakarta Servlet containers (Jetty, Tomcat, Spring Boot): copy
 * {@link dev.idempotency.servlet.IdempotencyFilter} into your service and map it in
 * front of the servlets that change state. The README shows the Jetty and Spring Boot lines.
 */
package dev.idempotency.servlet;
