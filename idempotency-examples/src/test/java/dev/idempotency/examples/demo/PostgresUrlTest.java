package dev.idempotency.examples.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code --store jdbc:postgresql://...}: read strictly, and the password never shown. */
class PostgresUrlTest {
  private static final String SECRET = "s3cr3t-Pa55";

  @Test
  void readsHostPortDatabaseAndTheThreeParameters() {
    PostgresUrl url = PostgresUrl.parse(
        "jdbc:postgresql://db.example:6543/payments?user=app&password=" + SECRET + "&ApplicationName=demo-a");

    assertThat(url.host()).isEqualTo("db.example");
    assertThat(url.port()).isEqualTo(6543);
    assertThat(url.database()).isEqualTo("payments");
    assertThat(url.user()).isEqualTo("app");
    assertThat(url.password()).isEqualTo(SECRET);
    assertThat(url.applicationName()).isEqualTo("demo-a");
    assertThat(url.toString()).isEqualTo("PostgreSQL db.example:6543/payments as app").doesNotContain(SECRET);
    assertThat(StoreSpec.parse("jdbc:postgresql://db.example:6543/payments?password=" + SECRET).toString())
        .doesNotContain(SECRET);
  }

  @Test
  void defaultsAndPercentEncodedValues() {
    PostgresUrl url = PostgresUrl.parse("jdbc:postgresql://127.0.0.1/db_1?password=p%26q%3Dr%25");

    assertThat(url.port()).isEqualTo(5432);
    assertThat(url.user()).isNull();
    assertThat(url.password()).isEqualTo("p&q=r%");
    assertThat(url.applicationName()).isEqualTo("idempotency-demo");
    assertThat(PostgresUrl.parse("jdbc:postgresql://[::1]:5433/db").host()).isEqualTo("[::1]");
    assertThat(PostgresUrl.parse("jdbc:postgresql://[::1]:5433/db").dataSource(1, 1).getServerNames())
        .containsExactly("::1");
  }

  @Test
  void aMalformedUrlIsRefusedWithAMessageThatNamesThePartButNotThePassword() {
    for (String url : List.of(
        "jdbc:postgresql://host:5432?password=" + SECRET, // no database
        "jdbc:postgresql://user:" + SECRET + "@host:5432/db", // credentials before the host
        "jdbc:postgresql://h1:5432,h2:5432/db?password=" + SECRET, // two hosts
        "jdbc:postgresql://host:99999/db?password=" + SECRET,
        "jdbc:postgresql://host:port/db?password=" + SECRET,
        "jdbc:postgresql://host/db;drop?password=" + SECRET,
        "jdbc:postgresql://host/db?password=" + SECRET + "&sslmode=disable", // not one of the three
        "jdbc:postgresql://host/db?password=" + SECRET + "&password=" + SECRET,
        "jdbc:postgresql://host/db?" + SECRET, // a stray value
        "jdbc:postgresql://host/db?user=&password=" + SECRET,
        "jdbc:postgresql://host/db?password=%zz" + SECRET,
        "jdbc:postgresql://host/db?ApplicationName=&password=" + SECRET,
        "jdbc:postgres://host/db?password=" + SECRET)) {
      assertThatThrownBy(() -> StoreSpec.parse(url)).as(url)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("jdbc:postgresql://HOST[:PORT]/DATABASE")
          .hasMessageNotContaining(SECRET);
    }
    assertThatThrownBy(() -> PostgresUrl.parse("jdbc:postgresql://host/db?sslmode=disable"))
        .hasMessageContaining("unknown parameter \"sslmode\"").hasMessageContaining("user, password, ApplicationName");
    assertThatThrownBy(() -> PostgresUrl.parse("jdbc:postgresql://host:0/db")).hasMessageContaining("1 to 65535");
    assertThatThrownBy(() -> PostgresUrl.parse("jdbc:postgresql://h1,h2/db")).hasMessageContaining("one HOST[:PORT]");
  }

  @Test
  void anUnknownStoreRepeatsOnlyItsScheme() {
    assertThatThrownBy(() -> StoreSpec.parse("mysql://root:" + SECRET + "@db/x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("jdbc:postgresql://")
        .hasMessageContaining("(mysql:...)")
        .hasMessageNotContaining(SECRET);
  }
}
