/**
 * {@link dev.idempotency.server.jdbc.JdbcIdempotencyStore}: the idempotency store in a PostgreSQL
 * table, for several server instances that share one database.
 *
 * <p>The store needs only {@code java.sql} from the JDK: the application brings the PostgreSQL
 * driver ({@code org.postgresql:postgresql}) and a {@link javax.sql.DataSource}, usually its pool.
 * The table comes from the schema file {@code db/idempotency/V1__idempotency_records.sql} on the
 * class path (a Flyway location, or a Liquibase {@code sqlFile}), or from
 * {@code createSchemaIfMissing(true)}.
 *
 * <pre>{@code
 * IdempotencyGuard guard = IdempotencyGuard.builder()
 *     .store(JdbcIdempotencyStore.builder(dataSource).build())
 *     .namespace("payments")
 *     .build();
 * }</pre>
 */
package dev.idempotency.server.jdbc;
