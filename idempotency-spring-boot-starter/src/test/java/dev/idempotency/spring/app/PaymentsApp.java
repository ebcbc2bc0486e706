package dev.idempotency.spring.app;

import dev.idempotency.server.IdempotencyListener;
import dev.idempotency.server.store.RecordId;
import java.security.Principal;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.http.ResponseEntity;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configurers.AbstractHttpConfigurer;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

/**
 * A Spring MVC payments service with nothing of idempotency in it but the starter on its class
 * path: the filter guards its POST and PATCH. Spring Security authenticates (HTTP Basic, alice and
 * bob) but lets anonymous callers in too, so both scopes are exercised.
 */
@SpringBootApplication
public class PaymentsApp {

  /** The business effect, counted: one per payment that ran. */
  public static final class Effects {
    private final AtomicInteger payments = new AtomicInteger();

    int record() {
      return payments.incrementAndGet();
    }

    public int count() {
      return payments.get();
    }
  }

  /** Holds a payment that asks for it (X-Hold) until the test opens the gate. */
  public static final class Gate {
    private volatile CountDownLatch entered = new CountDownLatch(1);
    private volatile CountDownLatch open = new CountDownLatch(1);

    public void arm() {
      entered = new CountDownLatch(1);
      open = new CountDownLatch(1);
    }

    public void awaitEntered() throws InterruptedException {
      if (!entered.await(10, TimeUnit.SECONDS)) throw new AssertionError("the held payment never started");
    }

    public void open() {
      open.countDown();
    }

    void hold() throws InterruptedException {
      entered.countDown();
      if (!open.await(10, TimeUnit.SECONDS)) throw new IllegalStateException("the gate was never opened");
    }
  }

  /** A listener of the application's own: the guard hears it beside the starter's meters. */
  public static final class ExecutedEvents implements IdempotencyListener {
    private final AtomicInteger executed = new AtomicInteger();

    @Override
    public void executed(RecordId id) {
      executed.incrementAndGet();
    }

    public int count() {
      return executed.get();
    }
  }

  @Bean
  Effects effects() {
    return new Effects();
  }

  @Bean
  Gate gate() {
    return new Gate();
  }

  @Bean
  ExecutedEvents executedEvents() {
    return new ExecutedEvents();
  }

  @Bean
  SecurityFilterChain security(HttpSecurity http) throws Exception {
    return http
        .authorizeHttpRequests(requests -> requests.anyRequest().permitAll())
        .httpBasic(Customizer.withDefaults())
        .csrf(AbstractHttpConfigurer::disable)
        .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
        .build();
  }

  @Bean
  UserDetailsService users() {
    return new InMemoryUserDetailsManager(
        User.withUsername("alice").password("{noop}alice-pw").roles("USER").build(),
        User.withUsername("bob").password("{noop}bob-pw").roles("USER").build());
  }

  @RestController
  static class PaymentsController {
    private final Effects effects;
    private final Gate gate;

    PaymentsController(Effects effects, Gate gate) {
      this.effects = effects;
      this.gate = gate;
    }

    @PostMapping("/payments")
    ResponseEntity<Map<String, Object>> pay(
        @RequestBody String order, @RequestHeader(name = "X-Hold", required = false) String hold, Principal payer)
        throws InterruptedException {
      if (hold != null) gate.hold();
      int id = effects.record();
      return ResponseEntity.status(201)
          .header("Location", "/payments/" + id)
          .body(Map.of("payment", id, "payer", payer == null ? "anonymous" : payer.getName(), "order", order));
    }

    @PatchMapping("/payments/{id}")
    Map<String, Object> amend(@PathVariable int id, @RequestBody String change) {
      return Map.of("payment", id, "amended", effects.record());
    }

    @GetMapping("/payments/count")
    Map<String, Object> count() {
      return Map.of("payments", effects.count());
    }
  }
}
