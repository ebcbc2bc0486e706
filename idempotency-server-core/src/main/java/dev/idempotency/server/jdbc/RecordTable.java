package dev.idempotency.server.jdbc;

import dev.idempotency.server.store.ClaimResult;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLNonTransientException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One table of records in PostgreSQL and every statement on it, each one statement for one
 * transition, run on the connection it is given: autocommit for {@link JdbcIdempotencyStore}, the
 * caller's transaction for a transactional mode. Time is always the database's
 * {@code clock_timestamp()} (the time the statement reads it, not the transaction's start), so
 * the clocks of the server instances play no part. Ids, fingerprints and tokens come in as their
 * {@link RecordDigest digests}. This class is immutable and threadsafe.
 */
final class RecordTable {
  static final String DEFAULT_NAME = "idempotency_records";

  /** The schema file, on the class path; Flyway and Liquibase take it as it is. */
  static final String SCHEMA_RESOURCE = "db/idempotency/V1__idempotency_records.sql";

  // PostgreSQL truncates identifiers past 63 bytes (NAMEDATALEN - 1). The table's name leaves room
  // for the longest suffix of the objects named after it, "_expires_at".
  private static final int MAX_IDENTIFIER_LENGTH = 63;
  private static final String SEQUENCE_SUFFIX = "_fence_seq";
  private static final String INDEX_SUFFIX = "_expires_at";
  private static final int MAX_TABLE_LENGTH = MAX_IDENTIFIER_LENGTH - INDEX_SUFFIX.length();
  // Letters, digits and underscores, not starting with a digit: always quoted, so reserved words
  // and upper case are taken as written, and quoting never needs an escape.
  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  // The names in the schema file that createIfMissing replaces with the configured ones.
  private static final Pattern DEFAULT_NAMES =
      Pattern.compile("\\b" + DEFAULT_NAME + "(" + SEQUENCE_SUFFIX + "|" + INDEX_SUFFIX + ")?\\b");

  private final String name;
  private final String schema; // null: the connection's search_path decides
  private final String table;
  private final String sequence;
  private final String index;
  private final String claimSql;
  private final String completeSql;
  private final String renewSql;
  private final String releaseSql;
  private final String deleteExpiredSql;
  private final String lookupSql;
  private final String claimInTransactionSql;
  private final String completeInTransactionSql;
  private final String releaseInTransactionSql;

  private RecordTable(String name, String schema, String table) {
    this.name = name;
    this.schema = schema;
    this.table = qualified(schema, table);
    this.sequence = qualified(schema, table + SEQUENCE_SUFFIX);
    this.index = quote(table + INDEX_SUFFIX); // an index lives in its table's schema
    this.claimSql = claimSql(this.table, this.sequence, false);
    this.claimInTransactionSql = claimSql(this.table, this.sequence, true);
    this.lookupSql = "SELECT state, fingerprint = ? AS same, result FROM " + this.table
        + " WHERE id = ? AND expires_at > clock_timestamp()";
    // In the caller's transaction the claim's row is not committed: no other claim can take it
    // over (it waits on the row), so its lease is not checked; each statement gives the
    // transaction back the lock_timeout the claim found.
    this.completeInTransactionSql = "UPDATE " + this.table
        + " SET state = 'c', owner_token = NULL, result = ?,"
        + " expires_at = clock_timestamp() + ?::bigint * interval '1 millisecond'"
        + " WHERE id = ? AND state = 'p' AND owner_token = ?"
        + " RETURNING set_config('lock_timeout', ?, true)";
    this.releaseInTransactionSql = "DELETE FROM " + this.table
        + " WHERE id = ? AND state = 'p' AND owner_token = ?"
        + " RETURNING set_config('lock_timeout', ?, true)";
    this.completeSql = "UPDATE " + this.table
        + " SET state = 'c', owner_token = NULL, result = ?,"
        + " expires_at = clock_timestamp() + ?::bigint * interval '1 millisecond'"
        + " WHERE id = ? AND state = 'p' AND owner_token = ? AND expires_at > clock_timestamp()";
    this.renewSql = "UPDATE " + this.table
        + " SET expires_at = clock_timestamp() + ?::bigint * interval '1 millisecond'"
        + " WHERE id = ? AND state = 'p' AND owner_token = ? AND expires_at > clock_timestamp()";
    this.releaseSql = "DELETE FROM " + this.table
        + " WHERE id = ? AND state = 'p' AND owner_token = ? AND expires_at > clock_timestamp()";
    // Oldest first through the index on expires_at; SKIP LOCKED passes over a row a claim is taking
    // over right now (and that claim's ON CONFLICT waits for a row this sweep locked, then inserts
    // afresh). FOR UPDATE re-checks expires_at on the newest version of each row it locks, so a row
    // renewed or taken over since the snapshot is left alone. "= ANY (ARRAY(...))" makes the batch
    // one value for the primary key's index; "IN (SELECT ...)" let the planner hash-join it
    // against a scan of the whole table. The time is read once, in a subquery: a volatile function
    // is no index condition, so "expires_at <= clock_timestamp()" was a filter on a scan of the
    // whole index in expiry order, every row of the table read by a sweep that found nothing
    // expired (9 ms at 50,000 rows, one claim in 16); "<= (SELECT clock_timestamp())" is a range
    // scan that ends at the first live row. Rows that expire while it runs wait for the next sweep.
    this.deleteExpiredSql = "DELETE FROM " + this.table + " WHERE id = ANY (ARRAY(SELECT id FROM " + this.table
        + " WHERE expires_at <= (SELECT clock_timestamp()) ORDER BY expires_at LIMIT ? FOR UPDATE SKIP LOCKED))";
  }

  /**
   * The table {@code name}: {@code table} or {@code schema.table}, each part letters, digits and
   * underscores, not starting with a digit, at most 63 characters (the table's, 52: its sequence
   * and index are named after it).
   *
   * @throws IllegalArgumentException if the name is not one
   */
  static RecordTable named(String name) {
    Objects.requireNonNull(name, "tableName");
    int dot = name.indexOf('.');
    String schema = dot < 0 ? null : name.substring(0, dot);
    String table = dot < 0 ? name : name.substring(dot + 1);
    if (schema != null && (!IDENTIFIER.matcher(schema).matches() || schema.length() > MAX_IDENTIFIER_LENGTH)) {
      throw new IllegalArgumentException("tableName's schema must be letters, digits and underscores, "
          + "not starting with a digit, at most " + MAX_IDENTIFIER_LENGTH + " characters: " + name);
    }
    if (!IDENTIFIER.matcher(table).matches() || table.length() > MAX_TABLE_LENGTH) {
      throw new IllegalArgumentException("tableName must be [schema.]table, letters, digits and "
          + "underscores, not starting with a digit, the table at most " + MAX_TABLE_LENGTH
          + " characters: " + name);
    }
    return new RecordTable(name, schema, table);
  }

  /** The sweep's statement; its one parameter is the batch size. */
  String deleteExpiredSql() {
    return deleteExpiredSql;
  }

  /** The name as configured. */
  String name() {
    return name;
  }

  /** The schema as configured; null when the name has none. */
  String schema() {
    return schema;
  }

  /**
   * The claim, one statement that answers all four cases atomically.
   *
   * <p>{@code live} reads the record if it is unexpired; only when it read nothing does
   * {@code acquired} insert a claim, or take over the row that is there if that row has expired
   * (the conflict's {@code WHERE}). The result is either the acquired row (its fencing token) or
   * the live row (the answer for a repeat), never both: a repeat of a live record is a plain index
   * read that takes no lock, writes nothing and draws no fencing token.
   *
   * <p>Concurrency, under READ COMMITTED: {@code live} reads the statement's snapshot, while the
   * INSERT's conflict check and its {@code WHERE} see the newest committed row (and wait for an
   * uncommitted one). The unique primary key makes exactly one of concurrent claims of an absent
   * record insert; the others wait for it, find the conflict, and lock the row. The WHERE, judged
   * on that newest row under its lock, lets exactly one claim take over an expired row; a live row
   * is taken by nobody. So at most one claim acquires, whatever the interleaving. The one thing
   * the snapshot cannot show is a row committed after the statement began, or renewed past an
   * expiry the snapshot still shows: then {@code live} read nothing and {@code acquired} took
   * nothing, and the statement answers no row. The caller runs it again; a new statement has a new
   * snapshot that shows the row. Under REPEATABLE READ or SERIALIZABLE that case is a
   * serialization failure (40001) instead, also to be run again.
   *
   * <p>Parameters: id, fingerprint digest, owner token digest, lease in milliseconds. Columns:
   * outcome ('a' acquired, 'c' completed, 'p' in progress, 'm' mismatch), fence (acquired), result
   * (completed, same fingerprint), lease left in microseconds (the live row's).
   */
  private static String claimSql(String table, String sequence, boolean inTransaction) {
    // In a transaction, the claim also bounds how long it waits for another transaction's
    // uncommitted claim of the record (lock_timeout, set for the transaction before the INSERT
    // can wait: the INSERT reads p first), and returns the value it replaced.
    String p = inTransaction
        ? "WITH prev AS (SELECT current_setting('lock_timeout') AS lock_timeout),"
            + " p AS (SELECT ?::bytea AS id, ?::bytea AS fingerprint, ?::bytea AS owner_token,"
            + " ?::bigint AS lease_ms, set_config('lock_timeout', ?, true) AS lock_timeout FROM prev),"
        : "WITH p AS (SELECT ?::bytea AS id, ?::bytea AS fingerprint, ?::bytea AS owner_token,"
            + " ?::bigint AS lease_ms),";
    String prev = inTransaction ? ", (SELECT lock_timeout FROM prev)" : ", NULL::text";
    return p
        + " live AS (SELECT r.fingerprint, r.state, r.result, r.expires_at FROM " + table + " r, p"
        + " WHERE r.id = p.id AND r.expires_at > clock_timestamp()),"
        + " acquired AS (INSERT INTO " + table + " AS r"
        + " (id, fingerprint, state, owner_token, fence, result, expires_at)"
        + " SELECT p.id, p.fingerprint, 'p', p.owner_token, nextval('" + sequence + "'), NULL,"
        + " clock_timestamp() + p.lease_ms * interval '1 millisecond'"
        + " FROM p WHERE NOT EXISTS (SELECT 1 FROM live)"
        + " ON CONFLICT (id) DO UPDATE SET fingerprint = excluded.fingerprint, state = 'p',"
        + " owner_token = excluded.owner_token, fence = excluded.fence, result = NULL,"
        + " expires_at = excluded.expires_at"
        + " WHERE r.expires_at <= clock_timestamp()"
        + " RETURNING r.fence)"
        + " SELECT 'a' AS outcome, a.fence, NULL::bytea AS result, NULL::bigint AS lease_left_us" + prev
        + " FROM acquired a"
        + " UNION ALL"
        + " SELECT CASE WHEN l.fingerprint <> p.fingerprint THEN 'm' WHEN l.state = 'c' THEN 'c' ELSE 'p' END,"
        + " NULL::bigint,"
        + " CASE WHEN l.fingerprint = p.fingerprint AND l.state = 'c' THEN l.result END,"
        + " floor(extract(epoch FROM l.expires_at - clock_timestamp()) * 1000000)::bigint" + prev
        + " FROM live l, p";
  }

  /**
   * Runs the claim once: its answer, or null when this statement's snapshot could not see the row
   * that stopped it (see {@link #claimSql}); run it again then.
   */
  ClaimResult claim(Connection c, int timeoutSeconds, byte[] id, byte[] fingerprint, byte[] ownerToken,
      String token, long leaseMillis) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(claimSql)) {
      ps.setQueryTimeout(timeoutSeconds);
      ps.setBytes(1, id);
      ps.setBytes(2, fingerprint);
      ps.setBytes(3, ownerToken);
      ps.setLong(4, leaseMillis);
      try (ResultSet rs = ps.executeQuery()) {
        return claimAnswer(rs, token);
      }
    }
  }

  /** A claim's answer in the caller's transaction, and the lock_timeout it replaced. */
  record TransactionClaim(ClaimResult result, String lockTimeoutBefore) {}

  /**
   * The claim in the caller's transaction: as {@link #claim}, waiting at most {@code lockTimeout}
   * (a PostgreSQL interval, e.g. {@code 2000ms}) for another transaction's claim of the record;
   * past it the statement fails with SQLState 55P03. Null as {@link #claim}'s null.
   */
  TransactionClaim claimInTransaction(Connection c, int timeoutSeconds, byte[] id, byte[] fingerprint,
      byte[] ownerToken, String token, long leaseMillis, String lockTimeout) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(claimInTransactionSql)) {
      ps.setQueryTimeout(timeoutSeconds);
      ps.setBytes(1, id);
      ps.setBytes(2, fingerprint);
      ps.setBytes(3, ownerToken);
      ps.setLong(4, leaseMillis);
      ps.setString(5, lockTimeout);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) return null;
        String before = rs.getString(5);
        ClaimResult answer = readClaim(rs, token);
        if (rs.next()) throw new SQLNonTransientException("the claim answered more than one row");
        return new TransactionClaim(answer, before);
      }
    }
  }

  /**
   * A completed record's answer, without a transaction: {@code null} if the record is absent, in
   * progress, or of another fingerprint (a claim then says which); one index read, no lock.
   */
  byte[] lookupCompleted(Connection c, int timeoutSeconds, byte[] id, byte[] fingerprint) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(lookupSql)) {
      ps.setQueryTimeout(timeoutSeconds);
      ps.setBytes(1, fingerprint);
      ps.setBytes(2, id);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next() || !"c".equals(rs.getString(1)) || !rs.getBoolean(2)) return null;
        return notNull(rs.getBytes(3), "result");
      }
    }
  }

  /** Completes the claim in the caller's transaction, giving it back {@code lockTimeout}. */
  boolean completeInTransaction(Connection c, int timeoutSeconds, byte[] id, byte[] ownerToken, byte[] result,
      long retentionMillis, String lockTimeout) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(completeInTransactionSql)) {
      ps.setQueryTimeout(timeoutSeconds);
      ps.setBytes(1, result);
      ps.setLong(2, retentionMillis);
      ps.setBytes(3, id);
      ps.setBytes(4, ownerToken);
      ps.setString(5, lockTimeout);
      return oneRowOrNone(ps);
    }
  }

  /** Deletes the claim in the caller's transaction, giving it back {@code lockTimeout}. */
  boolean releaseInTransaction(Connection c, int timeoutSeconds, byte[] id, byte[] ownerToken,
      String lockTimeout) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(releaseInTransactionSql)) {
      ps.setQueryTimeout(timeoutSeconds);
      ps.setBytes(1, id);
      ps.setBytes(2, ownerToken);
      ps.setString(3, lockTimeout);
      return oneRowOrNone(ps);
    }
  }

  private static boolean oneRowOrNone(PreparedStatement ps) throws SQLException {
    try (ResultSet rs = ps.executeQuery()) {
      if (!rs.next()) return false;
      if (rs.next()) throw new SQLNonTransientException("one record's statement changed several rows");
      return true;
    }
  }

  private static ClaimResult claimAnswer(ResultSet rs, String token) throws SQLException {
    if (!rs.next()) return null;
    ClaimResult answer = readClaim(rs, token);
    if (rs.next()) throw new SQLNonTransientException("the claim answered more than one row");
    return answer;
  }

  private static ClaimResult readClaim(ResultSet rs, String token) throws SQLException {
    String outcome = rs.getString(1);
    return switch (outcome == null ? "" : outcome) {
      case "a" -> new ClaimResult.Acquired(token, rs.getLong(2));
      case "c" -> new ClaimResult.Completed(notNull(rs.getBytes(3), "result"));
      case "p" -> new ClaimResult.InProgress(Duration.ofNanos(Math.max(0, rs.getLong(4)) * 1_000));
      case "m" -> new ClaimResult.FingerprintMismatch();
      default -> throw new SQLNonTransientException("the claim answered outcome " + outcome);
    };
  }

  boolean complete(Connection c, int timeoutSeconds, byte[] id, byte[] ownerToken, byte[] result,
      long retentionMillis) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(completeSql)) {
      ps.setQueryTimeout(timeoutSeconds);
      ps.setBytes(1, result);
      ps.setLong(2, retentionMillis);
      ps.setBytes(3, id);
      ps.setBytes(4, ownerToken);
      return oneOrNone(ps.executeUpdate());
    }
  }

  boolean renew(Connection c, int timeoutSeconds, byte[] id, byte[] ownerToken, long leaseMillis)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(renewSql)) {
      ps.setQueryTimeout(timeoutSeconds);
      ps.setLong(1, leaseMillis);
      ps.setBytes(2, id);
      ps.setBytes(3, ownerToken);
      return oneOrNone(ps.executeUpdate());
    }
  }

  boolean release(Connection c, int timeoutSeconds, byte[] id, byte[] ownerToken) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(releaseSql)) {
      ps.setQueryTimeout(timeoutSeconds);
      ps.setBytes(1, id);
      ps.setBytes(2, ownerToken);
      return oneOrNone(ps.executeUpdate());
    }
  }

  /** Deletes up to {@code limit} expired rows, oldest first; the number deleted. */
  int deleteExpired(Connection c, int timeoutSeconds, int limit) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(deleteExpiredSql)) {
      ps.setQueryTimeout(timeoutSeconds);
      ps.setInt(1, limit);
      return ps.executeUpdate();
    }
  }

  /**
   * Runs the schema file with this table's names, in one transaction of its own, under an advisory
   * lock on the table's name: instances starting together do not race {@code CREATE ... IF NOT
   * EXISTS}, which PostgreSQL does not make safe on its own. Leaves the connection in autocommit.
   */
  void createIfMissing(Connection c, int timeoutSeconds) throws SQLException {
    c.setAutoCommit(false);
    try (Statement st = c.createStatement();
        PreparedStatement lock = c.prepareStatement("SELECT pg_advisory_xact_lock(hashtext(?))")) {
      st.setQueryTimeout(timeoutSeconds);
      lock.setQueryTimeout(timeoutSeconds);
      lock.setString(1, "dev.idempotency " + table);
      lock.execute();
      if (schema != null) st.execute("CREATE SCHEMA IF NOT EXISTS " + quote(schema));
      st.execute(ddl());
      c.commit();
    } catch (SQLException | RuntimeException e) {
      try {
        c.rollback();
      } catch (SQLException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    } finally {
      c.setAutoCommit(true);
    }
  }

  /** The schema file with this table's names in place of the defaults, its comments left out. */
  String ddl() {
    StringBuilder sql = new StringBuilder();
    for (String line : schemaFile().split("\n")) {
      if (!line.strip().startsWith("--")) sql.append(line).append('\n');
    }
    Matcher m = DEFAULT_NAMES.matcher(sql);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String suffix = m.group(1);
      String replacement = suffix == null ? table : suffix.equals(SEQUENCE_SUFFIX) ? sequence : index;
      m.appendReplacement(out, Matcher.quoteReplacement(replacement));
    }
    m.appendTail(out);
    return out.toString();
  }

  /** The schema file as shipped. */
  static String schemaFile() {
    try (InputStream in = RecordTable.class.getClassLoader().getResourceAsStream(SCHEMA_RESOURCE)) {
      if (in == null) throw new IllegalStateException("missing from the class path: " + SCHEMA_RESOURCE);
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + SCHEMA_RESOURCE, e);
    }
  }

  private static boolean oneOrNone(int rows) throws SQLException {
    if (rows == 0 || rows == 1) return rows == 1;
    throw new SQLNonTransientException("one record's statement changed " + rows + " rows");
  }

  private static byte[] notNull(byte[] value, String column) throws SQLException {
    if (value == null) throw new SQLNonTransientException("the claim answered no " + column);
    return value;
  }

  private static String qualified(String schema, String name) {
    return schema == null ? quote(name) : quote(schema) + "." + quote(name);
  }

  private static String quote(String identifier) {
    return '"' + identifier + '"';
  }

  @Override
  public String toString() {
    return table;
  }
}
