package dev.idempotency.spring;

import dev.idempotency.opentelemetry.GuardTracing;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * The guard's outcomes on the current OpenTelemetry span ({@link GuardTracing}), when
 * opentelemetry-api is on the class path: a listener the guard hears with the others.
 */
@AutoConfiguration(before = IdempotencyAutoConfiguration.class)
@ConditionalOnClass(name = "io.opentelemetry.api.trace.Span")
public class IdempotencyTracingAutoConfiguration {
  @Bean
  @ConditionalOnMissingBean
  GuardTracing idempotencyGuardTracing() {
    return GuardTracing.create();
  }
}
