package dev.idempotency.examples.demo;

import dev.idempotency.server.Claim;
import dev.idempotency.server.jdbc.TransactionalClaim;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * A {@link Ledger} in a PostgreSQL table next to the idempotency records, shared by every server
 * process that uses the database. A payment is inserted on the connection of its claim's
 * transaction ({@link TransactionalClaim#connection(Claim)}): the ledger row and the idempotency
 * record commit together or not at all, so no fencing is needed (a paused owner keeps its row
 * lock, and a crash rolls back both). The unique key on the action refuses a second payment all
 * the same; in transactional mode it never should.
 *
 * <p>Each row also holds the id of its action's idempotency record (the digest that is the
 * primary key of {@code idempotency_records}), so the two tables join: every completed record
 * has its payment, every payment its record.
 */
final class JdbcLedger implements Ledger {
  /** The ledger's table. */
  static final String TABLE = "demo_ledger";

  // One transaction, under an advisory lock: servers that start together do not race CREATE ...
  // IF NOT EXISTS, which PostgreSQL does not make safe on its own.
  private static final String DDL = String.join("\n",
      "CREATE TABLE IF NOT EXISTS " + TABLE + " (",
      "  seq           bigserial   PRIMARY KEY,",
      "  action        text        NOT NULL UNIQUE,", // Ledger.actionId: the unique key per action
      "  record_id     bytea       NOT NULL,", // idempotency_records.id of the action's record
      "  fencing_token bigint      NOT NULL,",
      "  payment_id    text        NOT NULL,",
      "  account       text        NOT NULL,",
      "  amount_cents  bigint      NOT NULL,",
      "  currency      text        NOT NULL,",
      "  paid_at       timestamptz NOT NULL DEFAULT clock_timestamp()",
      ");",
      "CREATE INDEX IF NOT EXISTS " + TABLE + "_account ON " + TABLE + " (account, seq);");
  private static final String INSERT = "INSERT INTO " + TABLE
      + " (action, record_id, fencing_token, payment_id, account, amount_cents, currency)"
      + " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (action) DO NOTHING";
  private static final String FIRST = "SELECT payment_id, account, amount_cents, currency FROM " + TABLE
      + " WHERE action = ?";
  private static final String PAYMENTS = "SELECT payment_id, account, amount_cents, currency FROM " + TABLE
      + " WHERE account = ? ORDER BY seq";
  // A ledger statement touches one row or one account's rows; past this the database is in trouble.
  private static final int TIMEOUT_SECONDS = 5;

  private final DataSource dataSource;
  private final String namespace;

  /**
   * A ledger in {@code dataSource}'s database, its table created if missing.
   *
   * @param namespace the namespace of the idempotency records, for their ids
   * @throws SQLException if the table cannot be created
   */
  JdbcLedger(DataSource dataSource, String namespace) throws SQLException {
    this.dataSource = dataSource;
    this.namespace = namespace;
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      try (Statement st = c.createStatement()) {
        st.setQueryTimeout(TIMEOUT_SECONDS);
        st.execute("SELECT pg_advisory_xact_lock(hashtext('dev.idempotency.examples " + TABLE + "'))");
        st.execute(DDL);
        c.commit();
      } catch (SQLException e) {
        c.rollback();
        throw e;
      } finally {
        c.setAutoCommit(true);
      }
    }
  }

  @Override
  public Outcome record(String scope, String key, Claim claim, Payment payment) {
    try {
      if (claim instanceof TransactionalClaim) return record(TransactionalClaim.connection(claim), scope, key, claim, payment);
      // Not in a transaction of the guard's: the benchmarks' unguarded baseline. A write of its own.
      try (Connection c = dataSource.getConnection()) {
        return record(c, scope, key, claim, payment);
      }
    } catch (SQLException e) {
      throw new LedgerException("the ledger could not record the payment (SQLState " + e.getSQLState() + ")", e);
    }
  }

  private Outcome record(Connection c, String scope, String key, Claim claim, Payment payment) throws SQLException {
    String action = Ledger.actionId(scope, key);
    try (PreparedStatement insert = c.prepareStatement(INSERT)) {
      insert.setQueryTimeout(TIMEOUT_SECONDS);
      insert.setString(1, action);
      insert.setBytes(2, recordId(namespace, scope, key));
      insert.setLong(3, claim.fencingToken());
      insert.setString(4, payment.id());
      insert.setString(5, payment.account());
      insert.setLong(6, payment.amountCents());
      insert.setString(7, payment.currency());
      if (insert.executeUpdate() == 1) return new Outcome.Accepted(payment);
    }
    try (PreparedStatement first = c.prepareStatement(FIRST)) {
      first.setQueryTimeout(TIMEOUT_SECONDS);
      first.setString(1, action);
      try (ResultSet rs = first.executeQuery()) {
        if (!rs.next()) throw new SQLException("a conflicting payment of the action vanished");
        return new Outcome.RefusedRepeat(payment(rs));
      }
    }
  }

  @Override
  public List<Payment> payments(String account) {
    try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(PAYMENTS)) {
      ps.setQueryTimeout(TIMEOUT_SECONDS);
      ps.setString(1, account);
      List<Payment> payments = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) payments.add(payment(rs));
      }
      return payments;
    } catch (SQLException e) {
      throw new LedgerException("the ledger could not be read (SQLState " + e.getSQLState() + ")", e);
    }
  }

  private static Payment payment(ResultSet rs) throws SQLException {
    return new Payment(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getString(4));
  }

  @Override
  public void close() {
    // The data source belongs to the server, which closes it.
  }

  /**
   * The id of the idempotency record of (namespace, scope, key), as the JDBC store keys it (the
   * record digest of the README's "Key layout"): for each part its length in UTF-16 code units as
   * a 4-byte big-endian integer, then its code units big-endian, all through SHA-256.
   */
  static byte[] recordId(String namespace, String scope, String key) {
    MessageDigest sha256;
    try {
      sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
    for (String part : List.of(namespace, scope, key)) {
      int n = part.length();
      sha256.update(new byte[] {(byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n});
      byte[] units = new byte[2 * n];
      for (int i = 0; i < n; i++) {
        units[2 * i] = (byte) (part.charAt(i) >>> 8);
        units[2 * i + 1] = (byte) part.charAt(i);
      }
      sha256.update(units);
    }
    return sha256.digest();
  }

  /** The ledger's database failed; the cause says how. */
  static final class LedgerException extends RuntimeException {
    LedgerException(String message, SQLException cause) {
      super(message, cause);
    }
  }
}
