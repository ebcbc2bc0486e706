package dev.idempotency.server.jdbc;

import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * The least a connection pool does, for tests that make thousands of calls: a closed connection
 * goes back to an idle list (rolled back and in autocommit, as a pool resets it) instead of
 * ending its server process, and the next {@code getConnection()} takes it from there. Without
 * it, every call would fork a PostgreSQL backend, some 20 ms on a loaded 2-core machine. It does
 * not check connections, so it is for tests without outages; those use the driver's data source.
 * Threadsafe.
 */
final class SimplePool implements DataSource, AutoCloseable {
  private final DataSource connections;
  private final ConcurrentLinkedDeque<Connection> idle = new ConcurrentLinkedDeque<>();

  SimplePool(DataSource connections) {
    this.connections = connections;
  }

  @Override
  public Connection getConnection() throws SQLException {
    Connection real = idle.pollFirst();
    if (real == null) real = connections.getConnection();
    Connection pooled = real;
    boolean[] closed = {false};
    return (Connection) Proxy.newProxyInstance(SimplePool.class.getClassLoader(), new Class<?>[] {Connection.class},
        (proxy, method, args) -> {
          switch (method.getName()) {
            case "close":
              if (!closed[0]) {
                closed[0] = true;
                giveBack(pooled);
              }
              return null;
            case "isClosed":
              return closed[0] || pooled.isClosed();
            case "equals":
              return proxy == args[0];
            case "hashCode":
              return System.identityHashCode(proxy);
            default:
              if (closed[0]) throw new SQLException("connection closed");
              try {
                return method.invoke(pooled, args);
              } catch (InvocationTargetException e) {
                throw e.getCause();
              }
          }
        });
  }

  private void giveBack(Connection real) throws SQLException {
    if (real.isClosed()) return;
    if (!real.getAutoCommit()) {
      real.rollback();
      real.setAutoCommit(true);
    }
    idle.addFirst(real);
  }

  /** Closes the idle connections. */
  @Override
  public void close() {
    for (Connection c; (c = idle.pollFirst()) != null; ) {
      try {
        c.close();
      } catch (SQLException ignored) {
        // closing anyway
      }
    }
  }

  @Override
  public Connection getConnection(String user, String password) {
    throw new UnsupportedOperationException("the pool's user is its data source's");
  }

  @Override
  public PrintWriter getLogWriter() {
    return null;
  }

  @Override
  public void setLogWriter(PrintWriter out) {}

  @Override
  public void setLoginTimeout(int seconds) {}

  @Override
  public int getLoginTimeout() {
    return 0;
  }

  @Override
  public Logger getParentLogger() throws SQLFeatureNotSupportedException {
    throw new SQLFeatureNotSupportedException();
  }

  @Override
  public <T> T unwrap(Class<T> iface) throws SQLException {
    throw new SQLException("not a wrapper");
  }

  @Override
  public boolean isWrapperFor(Class<?> iface) {
    return false;
  }
}
