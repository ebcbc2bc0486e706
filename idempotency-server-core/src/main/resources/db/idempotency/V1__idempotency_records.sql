-- The table of JdbcIdempotencyStore (idempotency-server-core), schema version 1, PostgreSQL.
--
-- Flyway: add classpath:db/idempotency to its locations. Liquibase: a change set with
-- <sqlFile path="db/idempotency/V1__idempotency_records.sql"/>. The store's
-- createSchemaIfMissing(true) runs this same file, with the configured table name in place of
-- idempotency_records (the sequence and the index are named after the table).
--
-- Never edited once released (Flyway checksums every applied file): a change of the schema is a
-- new file, V2__..., and createSchemaIfMissing must run it after this one.
--
-- One row per record. No character a client sent is in it: id is a digest, and so are the
-- fingerprint and the owner token. Time is the database's (clock_timestamp()).

-- Fencing tokens: strictly increasing across the successive owners of a record. A sequence of its
-- own, not owned by the table, so a table dropped and created again never hands out a token twice.
CREATE SEQUENCE IF NOT EXISTS idempotency_records_fence_seq;

CREATE TABLE IF NOT EXISTS idempotency_records (
  -- SHA-256 of the length-prefixed namespace, scope and key (the Redis store's record digest)
  id          bytea       NOT NULL PRIMARY KEY CHECK (octet_length(id) = 32),
  -- SHA-256 of the request's fingerprint (UTF-16BE); the same for every request without one
  fingerprint bytea       NOT NULL CHECK (octet_length(fingerprint) = 32),
  -- 'p' in progress (a lease), 'c' completed (the stored answer, for the retention)
  state       char(1)     NOT NULL CHECK (state IN ('p', 'c')),
  -- SHA-256 of the owner token (UTF-16BE) while in progress; null once completed
  owner_token bytea       CHECK ((owner_token IS NOT NULL) = (state = 'p')),
  -- the fencing token of the claim that made this row's owner
  fence       bigint      NOT NULL,
  -- the stored answer, byte for byte, once completed
  result      bytea       CHECK ((result IS NOT NULL) = (state = 'c')),
  -- the end of the lease or of the retention; a row past it is absent to the store
  expires_at  timestamptz NOT NULL
);

-- Keeps the sweep of expired rows (oldest first, in bounded batches) an index range scan.
CREATE INDEX IF NOT EXISTS idempotency_records_expires_at ON idempotency_records (expires_at);
