package dev.idempotency.examples.demo;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A demo server's {@code --store jdbc:postgresql://HOST[:PORT]/DATABASE[?user=U&password=P&ApplicationName=A]},
 * read strictly: one host, a database, and only those three parameters (values percent-encoded, as
 * pgjdbc reads them). Anything else is refused with a message that names the part at fault and
 * never repeats the URL, which may hold a password; {@link #toString()} leaves the password out.
 *
 * @param host a host name or an IPv4 address, or an IPv6 address in brackets
 * @param port 1 to 65535; 5432 when the URL names none
 * @param database the database
 * @param user the user; null for the driver's default (the operating system's user name)
 * @param password the password; null for none
 * @param applicationName what the server's sessions are called in {@code pg_stat_activity}
 */
record PostgresUrl(String host, int port, String database, String user, String password, String applicationName) {
  static final String PREFIX = "jdbc:postgresql://";
  static final int DEFAULT_PORT = 5432;
  static final String DEFAULT_APPLICATION_NAME = "idempotency-demo";
  private static final List<String> PARAMETERS = List.of("user", "password", "ApplicationName");
  private static final Pattern AUTHORITY = Pattern.compile("([A-Za-z0-9.-]+|\\[[0-9A-Fa-f:.]+])(?::(\\d{1,5}))?");
  // PostgreSQL's identifiers are at most 63 bytes (NAMEDATALEN - 1); the demo keeps to a plain alphabet.
  private static final Pattern DATABASE = Pattern.compile("[A-Za-z0-9_.-]{1,63}");
  // PostgreSQL keeps 63 bytes of an application_name and shows other than printable ASCII as '?'.
  private static final Pattern APPLICATION_NAME = Pattern.compile("[\\x20-\\x7E]{1,63}");

  PostgresUrl {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(database, "database");
    Objects.requireNonNull(applicationName, "applicationName");
  }

  /**
   * Reads {@code url}.
   *
   * @throws IllegalArgumentException if it is not a URL of that form; the message never holds the
   *     password
   */
  static PostgresUrl parse(String url) {
    Objects.requireNonNull(url, "url");
    if (!url.startsWith(PREFIX)) throw bad("it must start with " + PREFIX);
    String rest = url.substring(PREFIX.length());
    int q = rest.indexOf('?');
    String path = q < 0 ? rest : rest.substring(0, q);
    String query = q < 0 ? null : rest.substring(q + 1);
    int slash = path.indexOf('/');
    if (slash < 0) throw bad("it names no database: HOST[:PORT]/DATABASE");
    String authority = path.substring(0, slash);
    if (authority.contains("@")) {
      throw bad("user and password go in the query, ?user=U&password=P, not before the host");
    }
    if (authority.contains(",")) throw bad("it takes one HOST[:PORT]");
    Matcher a = AUTHORITY.matcher(authority);
    if (!a.matches()) throw bad("the host is not HOST[:PORT]: \"" + authority + "\"");
    int port = DEFAULT_PORT;
    if (a.group(2) != null) {
      port = Integer.parseInt(a.group(2));
      if (port < 1 || port > 65535) throw bad("the port is 1 to 65535, not " + port);
    }
    String database = path.substring(slash + 1);
    if (!DATABASE.matcher(database).matches()) {
      throw bad("the database must be 1 to 63 of A-Z a-z 0-9 _ . -, not \"" + database + "\"");
    }
    Map<String, String> parameters = parameters(query);
    String user = parameters.get("user");
    if (user != null && user.isEmpty()) throw bad("user is empty");
    String applicationName = parameters.getOrDefault("ApplicationName", DEFAULT_APPLICATION_NAME);
    if (!APPLICATION_NAME.matcher(applicationName).matches()) {
      throw bad("ApplicationName must be 1 to 63 printable ASCII characters");
    }
    return new PostgresUrl(a.group(1), port, database, user, parameters.get("password"), applicationName);
  }

  private static Map<String, String> parameters(String query) {
    Map<String, String> parameters = new HashMap<>();
    if (query == null || query.isEmpty()) return parameters;
    for (String pair : query.split("&", -1)) {
      int eq = pair.indexOf('=');
      String name = eq < 0 ? pair : pair.substring(0, eq);
      if (!PARAMETERS.contains(name)) {
        // A name is no secret, but a pair without '=' could be a stray password: name it only if known.
        throw bad(eq < 0 ? "a parameter without a value" : "unknown parameter " + quoted(name)
            + "; it takes " + String.join(", ", PARAMETERS));
      }
      if (eq < 0) throw bad(name + " has no value");
      String value;
      try {
        value = URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw bad(name + " is not percent-encoded properly");
      }
      if (parameters.put(name, value) != null) throw bad(name + " is given twice");
    }
    return parameters;
  }

  private static String quoted(String name) {
    return name.chars().allMatch(c -> c > 0x20 && c < 0x7F) && name.length() <= 40 ? "\"" + name + "\"" : "(unreadable)";
  }

  private static IllegalArgumentException bad(String why) {
    return new IllegalArgumentException("--store jdbc:postgresql://HOST[:PORT]/DATABASE[?user=U&password=P"
        + "&ApplicationName=A] is malformed: " + why);
  }

  /** The driver's own data source, one new session per call; the pool goes in front of it. */
  PGSimpleDataSource dataSource(int connectTimeoutSeconds, int socketTimeoutSeconds) {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setServerNames(new String[] {host.startsWith("[") ? host.substring(1, host.length() - 1) : host});
    ds.setPortNumbers(new int[] {port});
    ds.setDatabaseName(database);
    if (user != null) ds.setUser(user);
    if (password != null) ds.setPassword(password);
    ds.setApplicationName(applicationName);
    ds.setConnectTimeout(connectTimeoutSeconds);
    ds.setSocketTimeout(socketTimeoutSeconds);
    return ds;
  }

  /** {@code PostgreSQL HOST:PORT/DATABASE as USER}: what a log line may show, never the password. */
  @Override
  public String toString() {
    return "PostgreSQL " + host + ":" + port + "/" + database + (user == null ? "" : " as " + user);
  }
}
