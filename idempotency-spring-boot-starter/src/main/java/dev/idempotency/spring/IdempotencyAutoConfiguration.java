package dev.idempotency.spring;

import dev.idempotency.server.IdempotencyGuard;
import dev.idempotency.server.IdempotencyListener;
import dev.idempotency.server.http.IdempotencyHttpLayer;
import dev.idempotency.server.jdbc.JdbcIdempotencyStore;
import dev.idempotency.server.redis.RedisIdempotencyStore;
import dev.idempotency.server.store.IdempotencyStore;
import dev.idempotency.server.store.InMemoryIdempotencyStore;
import dev.idempotency.servlet.IdempotencyFilter;
import javax.sql.DataSource;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.core.io.ResourceLoader;
import org.springframework.util.ClassUtils;

/**
 * The guard, its store, the HTTP layer and the servlet filter, from {@link IdempotencyProperties}.
 * Each bean backs off when the application defines its own of that type (the filter's
 * registration: of that name, {@value #FILTER_REGISTRATION}).
 */
@AutoConfiguration(afterName = "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration")
@ConditionalOnClass(IdempotencyGuard.class)
@EnableConfigurationProperties(IdempotencyProperties.class)
@Import({
  IdempotencyAutoConfiguration.MemoryStore.class,
  IdempotencyAutoConfiguration.RedisStore.class,
  IdempotencyAutoConfiguration.NoJedis.class,
  IdempotencyAutoConfiguration.JdbcStore.class,
  IdempotencyAutoConfiguration.Filter.class
})
public class IdempotencyAutoConfiguration {
  /** The bean name of the filter's registration; an application's bean of this name replaces it. */
  public static final String FILTER_REGISTRATION = "idempotencyFilterRegistration";

  /**
   * 0: after Spring Security's filter chain (-100), so that the caller's scope is the principal it
   * authenticated, and after Spring's request filters (character encoding, form content); before
   * the DispatcherServlet, which runs only for a request the guard lets through.
   */
  public static final int FILTER_ORDER = 0;

  /**
   * The guard over the store, with every {@link IdempotencyListener} bean (the application's, and
   * the meters and tracing the starter adds when it can) as one composite listener.
   */
  @Bean
  @ConditionalOnMissingBean
  IdempotencyGuard idempotencyGuard(
      IdempotencyProperties properties, IdempotencyStore store, ObjectProvider<IdempotencyListener> listeners) {
    return IdempotencyGuard.builder()
        .store(store)
        .namespace(properties.getNamespace())
        .leaseTtl(properties.getLease())
        .retention(properties.getRetention())
        .listener(IdempotencyListener.composite(listeners.orderedStream().toArray(IdempotencyListener[]::new)))
        .build();
  }

  /** The contract's HTTP answers over the guard. */
  @Bean
  @ConditionalOnMissingBean
  IdempotencyHttpLayer idempotencyHttpLayer(IdempotencyProperties properties, IdempotencyGuard guard) {
    return IdempotencyHttpLayer.builder(guard)
        .requireKeyFor(properties.getRequireKeyFor())
        .inProgressStatus(properties.getInProgressStatus())
        .maxBodyBytes((int) properties.getMaxBodySize().toBytes())
        .build();
  }

  @Configuration(proxyBeanMethods = false)
  @ConditionalOnProperty(prefix = "idempotency.store", name = "type", havingValue = "memory", matchIfMissing = true)
  static class MemoryStore {
    @Bean
    @ConditionalOnMissingBean(IdempotencyStore.class)
    InMemoryIdempotencyStore idempotencyStore(IdempotencyProperties properties) {
      IdempotencyProperties.Memory memory = properties.getStore().getMemory();
      InMemoryIdempotencyStore.Builder store = InMemoryIdempotencyStore.builder().maximumSize(memory.getMaximumSize());
      if (memory.getMaximumSizePerScope() > 0) {
        if (memory.getMaximumSizePerScope() > memory.getMaximumSize()) {
          throw new IllegalArgumentException("idempotency.store.memory.maximum-size-per-scope ("
              + memory.getMaximumSizePerScope() + ") is above idempotency.store.memory.maximum-size ("
              + memory.getMaximumSize() + ")");
        }
        store.maximumSizePerScope(memory.getMaximumSizePerScope());
      }
      return store.build();
    }
  }

  // RedisClient and RedisClusterClient, which the store and this client use, came with Jedis 7.2.
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "redis.clients.jedis.RedisClient")
  @ConditionalOnProperty(prefix = "idempotency.store", name = "type", havingValue = "redis")
  @ConditionalOnMissingBean(IdempotencyStore.class)
  static class RedisStore {
    @Bean(destroyMethod = "close")
    RedisStoreClient idempotencyRedisClient(IdempotencyProperties properties) {
      IdempotencyProperties.Redis redis = properties.getStore().getRedis();
      return RedisStoreClient.connect(redis.getUrl(), redis.getTimeout());
    }

    @Bean
    RedisIdempotencyStore idempotencyStore(IdempotencyProperties properties, RedisStoreClient idempotencyRedisClient) {
      return RedisIdempotencyStore.builder(idempotencyRedisClient.jedis())
          .keyPrefix(properties.getStore().getRedis().getKeyPrefix())
          .build();
    }
  }

  @Configuration(proxyBeanMethods = false)
  @ConditionalOnMissingClass("redis.clients.jedis.RedisClient")
  @ConditionalOnProperty(prefix = "idempotency.store", name = "type", havingValue = "redis")
  @ConditionalOnMissingBean(IdempotencyStore.class)
  static class NoJedis {
    @Bean
    IdempotencyStore idempotencyStore(ResourceLoader resources) {
      // The application's class loader, as the conditions saw it.
      boolean olderJedis = ClassUtils.isPresent("redis.clients.jedis.UnifiedJedis", resources.getClassLoader());
      throw new IllegalStateException(olderJedis
          ? "idempotency.store.type=redis needs Jedis 7.2 or later (RedisClient), and the class path has an"
              + " older one; Spring Boot 4.0 manages Jedis 7.0: set the version of redis.clients:jedis"
              + " (jedis.version with spring-boot-starter-parent)"
          : "idempotency.store.type=redis needs Jedis 7.2 or later on the class path: add the dependency"
              + " redis.clients:jedis");
    }
  }

  @Configuration(proxyBeanMethods = false)
  @ConditionalOnProperty(prefix = "idempotency.store", name = "type", havingValue = "jdbc")
  static class JdbcStore {
    @Bean
    @ConditionalOnMissingBean(IdempotencyStore.class)
    JdbcIdempotencyStore idempotencyStore(IdempotencyProperties properties, ObjectProvider<DataSource> dataSources) {
      DataSource dataSource = dataSources.getIfUnique();
      if (dataSource == null) {
        throw new IllegalStateException("idempotency.store.type=jdbc keeps the records in the application's"
            + " DataSource, and it has none, or several and none of them @Primary");
      }
      IdempotencyProperties.Jdbc jdbc = properties.getStore().getJdbc();
      return JdbcIdempotencyStore.builder(dataSource)
          .tableName(jdbc.getTableName())
          .createSchemaIfMissing(jdbc.isCreateSchema())
          .build();
    }
  }

  @Configuration(proxyBeanMethods = false)
  @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
  @ConditionalOnClass(name = "jakarta.servlet.Filter")
  static class Filter {
    /**
     * The filter on {@code idempotency.url-patterns}, for requests (not error or async
     * dispatches); the scope of a request is its principal's name, or one anonymous scope.
     */
    @Bean(name = FILTER_REGISTRATION)
    @ConditionalOnMissingBean(name = FILTER_REGISTRATION)
    FilterRegistrationBean<IdempotencyFilter> idempotencyFilterRegistration(
        IdempotencyProperties properties, IdempotencyHttpLayer layer) {
      FilterRegistrationBean<IdempotencyFilter> registration =
          new FilterRegistrationBean<>(new IdempotencyFilter(layer));
      registration.setName("idempotencyFilter");
      registration.addUrlPatterns(properties.getUrlPatterns());
      registration.setOrder(FILTER_ORDER);
      return registration;
    }
  }
}
