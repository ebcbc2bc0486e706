package dev.idempotency.spring;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.idempotency.micrometer.GuardMetrics;
import dev.idempotency.micrometer.IdempotencyMetrics;
import dev.idempotency.opentelemetry.GuardTracing;
import dev.idempotency.server.IdempotencyGuard;
import dev.idempotency.server.IdempotencyListener;
import dev.idempotency.server.http.IdempotencyHttpLayer;
import dev.idempotency.server.store.IdempotencyStore;
import dev.idempotency.server.store.InMemoryIdempotencyStore;
import dev.idempotency.server.store.RecordId;
import dev.idempotency.servlet.IdempotencyFilter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.ApplicationContext;

/**
 * The properties as bound, the beans that back off for the application's own, and the start that
 * fails with a clear message: contexts without a web server, milliseconds each.
 */
class IdempotencyAutoConfigurationTest {
  private static final AutoConfigurations STARTER = AutoConfigurations.of(
      IdempotencyTracingAutoConfiguration.class, IdempotencyMetricsAutoConfiguration.class,
      IdempotencyAutoConfiguration.class, IdempotencyHealthAutoConfiguration.class);

  private final WebApplicationContextRunner web = new WebApplicationContextRunner().withConfiguration(STARTER);
  private final ApplicationContextRunner plain = new ApplicationContextRunner().withConfiguration(STARTER);

  @Test
  void theDefaultsAreTheCoresAndTheFilterGuardsEveryPath() {
    web.run(context -> {
      IdempotencyGuard guard = context.getBean(IdempotencyGuard.class);
      assertThat(guard.namespace()).isEqualTo(IdempotencyGuard.DEFAULT_NAMESPACE);
      assertThat(guard.leaseTtl()).isEqualTo(IdempotencyGuard.DEFAULT_LEASE_TTL);
      assertThat(guard.retention()).isEqualTo(IdempotencyGuard.DEFAULT_RETENTION);
      assertThat(context.getBean(IdempotencyStore.class)).isInstanceOf(InMemoryIdempotencyStore.class);
      IdempotencyHttpLayer layer = context.getBean(IdempotencyHttpLayer.class);
      assertThat(layer.maxBodyBytes()).isEqualTo(IdempotencyHttpLayer.DEFAULT_MAX_BODY_BYTES);
      assertThat(layer.guards("POST")).isTrue();
      assertThat(layer.guards("PATCH")).isTrue();
      assertThat(layer.guards("PUT")).isFalse();
      FilterRegistrationBean<?> filter = registration(context);
      assertThat(filter.getFilter()).isInstanceOf(IdempotencyFilter.class);
      assertThat(filter.getUrlPatterns()).containsExactly("/*");
      assertThat(filter.getOrder()).isEqualTo(IdempotencyAutoConfiguration.FILTER_ORDER);
    });
  }

  @Test
  void everyPropertyIsBoundAsDocumented() {
    web.withPropertyValues(
            "idempotency.namespace=orders",
            "idempotency.lease=5s",
            "idempotency.retention=2h",
            "idempotency.require-key-for=POST,PUT",
            "idempotency.max-body-size=2KB",
            "idempotency.url-patterns=/orders/*,/refunds/*",
            "idempotency.in-progress-status=425")
        .run(context -> {
          IdempotencyGuard guard = context.getBean(IdempotencyGuard.class);
          assertThat(guard.namespace()).isEqualTo("orders");
          assertThat(guard.leaseTtl()).isEqualTo(Duration.ofSeconds(5));
          assertThat(guard.retention()).isEqualTo(Duration.ofHours(2));
          IdempotencyHttpLayer layer = context.getBean(IdempotencyHttpLayer.class);
          assertThat(layer.maxBodyBytes()).isEqualTo(2048);
          assertThat(layer.guards("PUT")).isTrue();
          assertThat(layer.guards("PATCH")).isFalse();
          assertThat(registration(context).getUrlPatterns()).containsExactly("/orders/*", "/refunds/*");
          assertThat(context.getBean(IdempotencyProperties.class).getInProgressStatus()).isEqualTo(425);
        });
  }

  @Test
  void theMemoryStoresBoundAndShareAreBoundAsDocumented() {
    web.run(context -> {
      InMemoryIdempotencyStore store = context.getBean(InMemoryIdempotencyStore.class);
      assertThat(store.maximumSize()).isEqualTo(InMemoryIdempotencyStore.DEFAULT_MAXIMUM_SIZE);
      assertThat(store.maximumSizePerScope()).isEqualTo(InMemoryIdempotencyStore.DEFAULT_MAXIMUM_SIZE / 10);
    });
    web.withPropertyValues("idempotency.store.memory.maximum-size=5000")
        .run(context -> assertThat(context.getBean(InMemoryIdempotencyStore.class).maximumSizePerScope()).isEqualTo(500));
    // An application without login: one scope for every caller, so no share.
    web.withPropertyValues("idempotency.store.memory.maximum-size=5000", "idempotency.store.memory.maximum-size-per-scope=5000")
        .run(context -> assertThat(context.getBean(InMemoryIdempotencyStore.class).maximumSizePerScope()).isEqualTo(5000));
    web.withPropertyValues("idempotency.store.memory.maximum-size=5000", "idempotency.store.memory.maximum-size-per-scope=6000")
        .run(context -> assertThat(failure(context))
            .contains("idempotency.store.memory.maximum-size-per-scope (6000) is above idempotency.store.memory.maximum-size (5000)"));
    web.withPropertyValues("idempotency.store.memory.maximum-size=0")
        .run(context -> assertThat(failure(context)).contains("idempotency.store.memory.maximum-size must be at least 1, not 0"));
  }

  @Test
  void anInProgressStatusOtherThan409Or425FailsTheStart() {
    web.withPropertyValues("idempotency.in-progress-status=500")
        .run(context -> assertThat(failure(context)).contains("idempotency.in-progress-status is 409 or 425, not 500"));
  }

  @Test
  void aMiscasedMethodAndAnUnknownStoreTypeFailTheStart() {
    web.withPropertyValues("idempotency.require-key-for=post")
        .run(context -> assertThat(failure(context)).contains("\"post\" is not POST"));
    web.withPropertyValues("idempotency.store.type=mongo")
        .run(context -> assertThat(failure(context)).contains("idempotency.store.type").contains("mongo"));
  }

  @Test
  void aMalformedRedisUrlFailsTheStartWithoutItsPassword() {
    web.withPropertyValues("idempotency.store.type=redis", "idempotency.store.redis.url=redis://app:s3cret@cache.internal")
        .run(context -> assertThat(failure(context))
            .contains("idempotency.store.redis.url \"redis://app:****@cache.internal\" is malformed")
            .doesNotContain("s3cret"));
    web.withPropertyValues("idempotency.store.type=redis")
        .run(context -> assertThat(failure(context)).contains("idempotency.store.redis.url is required"));
  }

  @Test
  void aRefusedRedisUrlFailsTheStartWithoutItsPassword() throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    web.withPropertyValues("idempotency.store.type=redis",
            "idempotency.store.redis.url=redis://:s3cret@127.0.0.1:" + port, "idempotency.store.redis.timeout=500ms")
        .run(context -> assertThat(failure(context))
            .contains("Redis at idempotency.store.redis.url \"redis://:****@127.0.0.1:" + port + "\" does not answer")
            .doesNotContain("s3cret"));
  }

  @Test
  void redisWithoutJedisOnTheClassPathSaysWhatToAdd() {
    web.withClassLoader(new FilteredClassLoader("redis.clients.jedis"))
        .withPropertyValues("idempotency.store.type=redis", "idempotency.store.redis.url=redis://127.0.0.1:6379")
        .run(context -> assertThat(failure(context)).contains("add the dependency redis.clients:jedis"));
    // Jedis before 7.2 (Spring Boot 4.0.7 manages 7.0.0) has UnifiedJedis but no RedisClient.
    web.withClassLoader(new FilteredClassLoader("redis.clients.jedis.RedisClient", "redis.clients.jedis.RedisClusterClient"))
        .withPropertyValues("idempotency.store.type=redis", "idempotency.store.redis.url=redis://127.0.0.1:6379")
        .run(context -> assertThat(failure(context))
            .contains("needs Jedis 7.2 or later (RedisClient), and the class path has an older one"));
  }

  @Test
  void jdbcWithoutADataSourceSaysSo() {
    web.withPropertyValues("idempotency.store.type=jdbc")
        .run(context -> assertThat(failure(context)).contains("the application's DataSource, and it has none"));
  }

  @Test
  void theApplicationsStoreAndGuardWin() {
    InMemoryIdempotencyStore own = InMemoryIdempotencyStore.builder().maximumSize(10).build();
    web.withBean(IdempotencyStore.class, () -> own).run(context -> {
      assertThat(context.getBeansOfType(IdempotencyStore.class)).hasSize(1).containsValue(own);
      assertThat(context.getBean(IdempotencyGuard.class).namespace()).isEqualTo("default");
    });
    web.withBean("ownGuard", IdempotencyGuard.class,
            () -> IdempotencyGuard.builder().store(own).namespace("own").build())
        .run(context -> {
          assertThat(context.getBeansOfType(IdempotencyGuard.class)).containsOnlyKeys("ownGuard");
          assertThat(context).hasSingleBean(IdempotencyHttpLayer.class);
        });
    IdempotencyHttpLayer ownLayer =
        IdempotencyHttpLayer.builder(IdempotencyGuard.builder().store(own).build()).requireUuidKeys(true).build();
    FilterRegistrationBean<IdempotencyFilter> ownFilter = new FilterRegistrationBean<>(new IdempotencyFilter(ownLayer));
    web.withBean(IdempotencyHttpLayer.class, () -> ownLayer)
        .withBean(IdempotencyAutoConfiguration.FILTER_REGISTRATION, FilterRegistrationBean.class, () -> ownFilter)
        .run(context -> {
          assertThat(context.getBean(IdempotencyHttpLayer.class)).isSameAs(ownLayer);
          assertThat(registration(context)).isSameAs(ownFilter);
        });
  }

  @Test
  void theApplicationsListenersTheMetersAndTracingAllHearTheGuard() {
    AtomicInteger executed = new AtomicInteger();
    IdempotencyListener own = new IdempotencyListener() {
      @Override
      public void executed(RecordId id) {
        executed.incrementAndGet();
      }
    };
    web.withBean(MeterRegistry.class, SimpleMeterRegistry::new)
        .withBean("ownListener", IdempotencyListener.class, () -> own)
        .run(context -> {
          assertThat(context).hasSingleBean(GuardMetrics.class).hasSingleBean(GuardTracing.class);
          IdempotencyGuard guard = context.getBean(IdempotencyGuard.class);
          assertThat(guard.execute("k-1", String.class, () -> "paid")).isEqualTo("paid");
          assertThat(executed).hasValue(1);
          assertThat(context.getBean(MeterRegistry.class).get(IdempotencyMetrics.SERVER_CALLS)
              .tag(IdempotencyMetrics.OUTCOME, "executed").timer().count()).isEqualTo(1);
        });
    // Without a registry, no meters; without opentelemetry-api, no tracing.
    web.withClassLoader(new FilteredClassLoader("io.opentelemetry"))
        .run(context -> assertThat(context).doesNotHaveBean(GuardMetrics.class).doesNotHaveBean(GuardTracing.class));
  }

  @Test
  void theHealthIndicatorIsUpForAStoreThatAnswersAndCanBeTurnedOff() {
    web.run(context -> {
      Health health = context.getBean("idempotencyHealthIndicator", HealthIndicator.class).health(true);
      assertThat(health.getStatus()).isEqualTo(Status.UP);
      assertThat(health.getDetails()).containsEntry("store", "InMemoryIdempotencyStore");
    });
    web.withPropertyValues("management.health.idempotency.enabled=false")
        .run(context -> assertThat(context).doesNotHaveBean("idempotencyHealthIndicator"));
  }

  @Test
  void outsideAServletApplicationThereIsNoFilter() {
    plain.run(context -> {
      assertThat(context).hasSingleBean(IdempotencyGuard.class);
      assertThat(context).doesNotHaveBean(IdempotencyAutoConfiguration.FILTER_REGISTRATION);
    });
  }

  @Test
  void theMetadataDocumentsEveryPropertyWithItsDefault() throws Exception {
    JsonNode metadata;
    try (InputStream in = getClass().getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
      metadata = new ObjectMapper().readTree(in);
    }
    Map<String, String> defaults = new HashMap<>();
    for (JsonNode p : metadata.get("properties")) {
      String name = p.get("name").asText();
      assertThat(p.path("description").asText()).as(name).isNotBlank();
      defaults.put(name, p.has("defaultValue") ? p.get("defaultValue").toString() : null);
    }
    assertThat(defaults).containsEntry("idempotency.namespace", "\"" + IdempotencyGuard.DEFAULT_NAMESPACE + "\"")
        .containsEntry("idempotency.store.type", "\"memory\"")
        .containsEntry("idempotency.store.redis.url", null)
        .containsEntry("idempotency.url-patterns", "[\"/*\"]")
        .containsEntry("idempotency.require-key-for", "[\"POST\",\"PATCH\"]")
        .containsEntry("idempotency.lease", "\"30s\"")
        .containsEntry("idempotency.retention", "\"24h\"")
        .containsEntry("idempotency.in-progress-status", "409")
        .containsEntry("idempotency.max-body-size", "\"1MB\"")
        .containsEntry("idempotency.store.redis.key-prefix", "\"idem:\"")
        .containsEntry("idempotency.store.jdbc.table-name", "\"idempotency_records\"")
        .containsEntry("idempotency.store.jdbc.create-schema", "false")
        .containsEntry("idempotency.store.memory.maximum-size", "100000")
        .containsEntry("idempotency.store.memory.maximum-size-per-scope", "0");
    assertThat(100_000).isEqualTo(InMemoryIdempotencyStore.DEFAULT_MAXIMUM_SIZE);
    // The documented defaults are the core's own.
    assertThat(Duration.parse("PT30S")).isEqualTo(IdempotencyGuard.DEFAULT_LEASE_TTL);
    assertThat(Duration.parse("PT24H")).isEqualTo(IdempotencyGuard.DEFAULT_RETENTION);
    assertThat(1024 * 1024).isEqualTo(IdempotencyHttpLayer.DEFAULT_MAX_BODY_BYTES);
    assertThat(defaults.keySet()).allMatch(n -> n.startsWith("idempotency."));
  }

  private static FilterRegistrationBean<?> registration(ApplicationContext context) {
    return context.getBean(IdempotencyAutoConfiguration.FILTER_REGISTRATION, FilterRegistrationBean.class);
  }

  /** The start's failure with all its causes, as the log would show it. */
  private static String failure(org.springframework.boot.test.context.assertj.ApplicationContextAssertProvider<?> context) {
    assertThat(context).hasFailed();
    StringWriter trace = new StringWriter();
    context.getStartupFailure().printStackTrace(new PrintWriter(trace));
    return trace.toString();
  }
}
