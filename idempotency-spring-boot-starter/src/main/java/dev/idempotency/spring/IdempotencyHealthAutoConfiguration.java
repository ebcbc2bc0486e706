package dev.idempotency.spring;

import dev.idempotency.server.store.IdempotencyStore;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * The store's health, {@code idempotency} in Actuator's health endpoint, when Actuator's health
 * model is on the class path; {@code management.health.idempotency.enabled=false} turns it off.
 */
@AutoConfiguration(after = IdempotencyAutoConfiguration.class)
@ConditionalOnClass(name = "org.springframework.boot.health.contributor.HealthIndicator")
@ConditionalOnBean(IdempotencyStore.class)
@ConditionalOnEnabledHealthIndicator("idempotency")
public class IdempotencyHealthAutoConfiguration {
  @Bean
  @ConditionalOnMissingBean(name = "idempotencyHealthIndicator")
  IdempotencyStoreHealthIndicator idempotencyHealthIndicator(IdempotencyStore store) {
    return new IdempotencyStoreHealthIndicator(store);
  }
}
