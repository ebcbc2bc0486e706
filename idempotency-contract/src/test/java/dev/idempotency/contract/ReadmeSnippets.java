package dev.idempotency.contract;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Keeps the README's code true: a test holds each snippet between {@code // README: <name>} and
 * {@code // README: end} lines, compiles and runs it, and {@link #assertReadmeShows} checks that
 * README.md shows every such snippet verbatim (less its indentation) in a {@code ```java} block.
 * For the test-jar of the contract module, shared by every module's README tests.
 */
public final class ReadmeSnippets {
  private static final String START = "// README: ";
  private static final String END = "// README: end";

  private ReadmeSnippets() {}

  /**
   * Asserts that {@code readme} shows each snippet of the test source {@code source}, and returns
   * their names (so a test can check it found the ones it expects).
   */
  public static List<String> assertReadmeShows(Path source, Path readme) {
    List<String> names = new ArrayList<>();
    try {
      String text = Files.readString(readme);
      List<String> lines = Files.readAllLines(source);
      for (int i = 0; i < lines.size(); i++) {
        String line = lines.get(i).strip();
        if (!line.startsWith(START) || line.equals(END)) continue;
        String name = line.substring(START.length());
        List<String> snippet = new ArrayList<>();
        int indent = lines.get(i).indexOf(START);
        for (i++; !lines.get(i).strip().equals(END); i++) {
          String l = lines.get(i);
          snippet.add(l.length() >= indent ? l.substring(indent) : l.strip());
        }
        assertThat(text).as("README.md shows the snippet \"%s\" of %s", name, source.getFileName())
            .contains("```java\n" + String.join("\n", snippet) + "\n```");
        names.add(name);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return names;
  }
}
