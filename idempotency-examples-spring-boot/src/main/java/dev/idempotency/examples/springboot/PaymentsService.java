package dev.idempotency.examples.springboot;

import dev.idempotency.servlet.IdempotencyFilter;
import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * A payments service on Spring Boot with the starter: {@code POST /payments} charges once per
 * Idempotency-Key (the starter's filter answers repeats, conflicts and missing keys), {@code GET
 * /payments} lists what was charged. Run it with {@code java -jar
 * idempotency-examples-spring-boot/target/idempotency-payments-spring-boot.jar}, then:
 *
 * <pre>
 * curl -i -X POST localhost:8080/payments -H 'Content-Type: application/json' \
 *      -H 'Idempotency-Key: 5f0c6f2e-3b1a-4c8e-9d2f-7a6b5c4d3e2f' -d '{"orderId":"o-1","amountCents":1250}'
 * </pre>
 */
@SpringBootApplication
public class PaymentsService {
  public static void main(String[] args) {
    SpringApplication.run(PaymentsService.class, args);
  }

  record PaymentRequest(String orderId, long amountCents) {}

  /** A charge, with the fencing token of the claim that made it. */
  record Payment(String id, String orderId, long amountCents, long fencingToken) {}

  @RestController
  static class Payments {
    private final Map<String, Payment> payments = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();

    @PostMapping("/payments")
    ResponseEntity<?> pay(@RequestBody PaymentRequest request, HttpServletRequest http) {
      if (request.orderId() == null || request.amountCents() <= 0) {
        // A 4xx is stored too: a repeat of this request gets the same refusal.
        return ResponseEntity.unprocessableEntity().body(Map.of("error", "orderId and a positive amountCents"));
      }
      // The claim this request won; a resource that refuses older tokens would take it.
      long fencingToken = IdempotencyFilter.claim(http).fencingToken();
      Payment payment = new Payment(
          "pay-" + ids.incrementAndGet(), request.orderId(), request.amountCents(), fencingToken);
      payments.put(payment.id(), payment);
      return ResponseEntity.created(URI.create("/payments/" + payment.id())).body(payment);
    }

    @GetMapping("/payments")
    Collection<Payment> list() {
      return payments.values();
    }
  }
}
