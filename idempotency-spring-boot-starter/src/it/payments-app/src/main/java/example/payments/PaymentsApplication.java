package example.payments;

import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

@SpringBootApplication
public class PaymentsApplication {
  public static void main(String[] args) {
    SpringApplication.run(PaymentsApplication.class, args);
  }

  // README: controller
  @RestController
  static class PaymentsController {
    private final AtomicInteger charges = new AtomicInteger();

    @PostMapping("/payments")
    @ResponseStatus(HttpStatus.CREATED)
    Map<String, Object> pay(@RequestBody Map<String, Object> order) {
      // Runs once per Idempotency-Key: a repeat gets this answer again, replayed.
      return Map.of("charge", charges.incrementAndGet(), "amountCents", order.get("amountCents"));
    }
  }
  // README: end
}
