package dev.idempotency.spring;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.idempotency.contract.ReadmeSnippets;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * README.md's "Spring Boot in three steps" shows the fresh application of src/it/payments-app as it
 * is: its dependency on the starter, its application.properties and its controller; and its table
 * names every property of the configuration metadata.
 */
class SpringBootReadmeTest {
  private static final Path README = Path.of("../README.md");
  private static final Path APP = Path.of("src/it/payments-app");

  @Test
  void theThreeStepsAreTheFreshApplications() throws IOException {
    String readme = Files.readString(README);
    assertThat(readme).contains("```xml\n" + dependency() + "\n```");
    assertThat(readme).contains("```properties\n" + Files.readString(APP.resolve("src/main/resources/application.properties")) + "```");
    assertThat(ReadmeSnippets.assertReadmeShows(
            APP.resolve("src/main/java/example/payments/PaymentsApplication.java"), README))
        .containsExactly("controller");
  }

  @Test
  void theTableNamesEveryProperty() throws IOException {
    String readme = Files.readString(README);
    JsonNode metadata;
    try (InputStream in = getClass().getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
      metadata = new ObjectMapper().readTree(in);
    }
    for (JsonNode p : metadata.get("properties")) {
      String name = p.get("name").asText().substring("idempotency.".length());
      assertThat(readme).as(name).contains("| `" + name + "` |");
    }
  }

  /** The starter's dependency as the application declares it, at this build's version. */
  private static String dependency() throws IOException {
    List<String> lines = Files.readAllLines(APP.resolve("pom.xml"));
    List<String> block = new ArrayList<>();
    boolean in = false;
    for (String line : lines) {
      if (line.strip().equals("<!-- README: end -->")) in = false;
      if (in) block.add(line.substring(4));
      if (line.strip().equals("<!-- README: dependency -->")) in = true;
    }
    assertThat(block).isNotEmpty();
    Matcher version = Pattern.compile("<parent>.*?<version>([^<]+)</version>", Pattern.DOTALL)
        .matcher(Files.readString(Path.of("pom.xml")));
    assertThat(version.find()).isTrue();
    return String.join("\n", block).replace("@project.version@", version.group(1));
  }
}
