package dev.idempotency.spring;

import dev.idempotency.micrometer.GuardMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * The guard's meters ({@link GuardMetrics}) in the application's {@link MeterRegistry}, when it
 * has one (Actuator's metrics): a listener the guard hears with the others.
 */
@AutoConfiguration(
    before = IdempotencyAutoConfiguration.class,
    afterName = "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration")
@ConditionalOnClass(name = "io.micrometer.core.instrument.MeterRegistry")
@ConditionalOnBean(type = "io.micrometer.core.instrument.MeterRegistry")
public class IdempotencyMetricsAutoConfiguration {
  @Bean
  @ConditionalOnMissingBean
  GuardMetrics idempotencyGuardMetrics(MeterRegistry registry) {
    return GuardMetrics.of(registry);
  }
}
