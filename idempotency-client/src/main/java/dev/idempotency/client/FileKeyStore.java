package dev.idempotency.client;

import dev.idempotency.contract.IdempotencyKey;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;

/**
 * An {@link IdempotencyKeyStore} that keeps one small file per action in a directory, so the
 * keys of unfinished actions survive a restart of the application: a payment cut short by a crash
 * is retried with its first key, and the server replays the first answer instead of charging
 * twice.
 *
 * <h2>Layout</h2>
 * Each action's file is named by the SHA-256 of the action's name (64 hex digits plus
 * {@code .key}), so any name maps to a safe file name and one action never touches another's
 * file. A file is a {@link Properties} text file in UTF-8:
 * <pre>
 * version=1
 * action=checkout\:cart-42
 * key=0b9f6a7e-3c1d-4b8e-9a35-1f2e3d4c5b6a
 * created=2026-11-27T06\:00\:00Z
 * </pre>
 *
 * <h2>Writes are atomic</h2>
 * A write goes to a temporary file in the same directory (named {@code .<digest>.*.tmp}), which
 * is forced to disk and then moved over the action's file with {@code ATOMIC_MOVE} (and the
 * directory forced too, where the platform allows): a reader sees the old file or the new one,
 * never half a file. A crash can leave a temporary file behind; it is
 * never read and can be deleted at any time.
 *
 * <h2>Errors</h2>
 * A file that cannot be read, or whose content is not a valid entry for the action (a missing or
 * malformed field, another action's name), makes {@link #load} throw an
 * {@link IdempotencyKeyStoreException} that names the file. The file is left in place for an
 * operator to inspect: silently replacing it would send a new key and might run the action twice.
 * Deleting the file, or {@link IdempotencyKeyRegistry#forget forgetting} the action, clears the
 * error. Every other action's file is unaffected.
 *
 * <p>One directory belongs to one registry in one process. This class is threadsafe.
 */
public final class FileKeyStore implements IdempotencyKeyStore {
  private static final String SUFFIX = ".key";
  private static final String TEMP_SUFFIX = ".tmp";
  private static final String FORMAT_VERSION = "1";

  private final Path directory;

  private FileKeyStore(Path directory) {
    this.directory = directory;
  }

  /**
   * Returns a store in {@code directory}, creating the directory if needed.
   *
   * @throws NullPointerException if {@code directory} is null
   * @throws IdempotencyKeyStoreException if the directory cannot be created
   */
  public static FileKeyStore open(Path directory) {
    Objects.requireNonNull(directory, "directory");
    try {
      Files.createDirectories(directory);
    } catch (IOException e) {
      throw new IdempotencyKeyStoreException("cannot create key directory " + directory, e);
    }
    return new FileKeyStore(directory);
  }

  /** The directory the files are in. */
  public Path directory() {
    return directory;
  }

  /** The file that holds {@code action}'s key (which may not exist). */
  public Path fileFor(String action) {
    return directory.resolve(digest(Objects.requireNonNull(action, "action")) + SUFFIX);
  }

  @Override
  public Optional<Entry> load(String action) {
    Path file = fileFor(action);
    Properties p;
    try {
      p = read(file);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException | IllegalArgumentException e) {
      // IllegalArgumentException: Properties.load on a malformed \\uXXXX escape.
      throw new IdempotencyKeyStoreException(
          "cannot read the key file " + file + " of action '" + action + "': " + e, e);
    }
    Entry entry = parse(file, p);
    if (!entry.action().equals(action)) {
      throw corrupt(file, "it holds the key of action '" + entry.action() + "', not '" + action + "'");
    }
    return Optional.of(entry);
  }

  @Override
  public void save(Entry entry) {
    Objects.requireNonNull(entry, "entry");
    Path file = fileFor(entry.action());
    Properties p = new Properties();
    p.setProperty("version", FORMAT_VERSION);
    p.setProperty("action", entry.action());
    p.setProperty("key", entry.key().value());
    p.setProperty("created", entry.createdAt().toString());
    Path temp = null;
    try {
      temp = Files.createTempFile(directory, "." + file.getFileName() + ".", TEMP_SUFFIX);
      try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE,
              StandardOpenOption.TRUNCATE_EXISTING);
          OutputStream out = Channels.newOutputStream(channel);
          Writer writer = new OutputStreamWriter(out, StandardCharsets.UTF_8)) {
        p.store(writer, "Idempotency-Key of one business action, kept until it ends");
        writer.flush();
        channel.force(true);
      }
      move(temp, file);
      temp = null;
      forceDirectory();
    } catch (IOException e) {
      throw new IdempotencyKeyStoreException(
          "cannot write the key file " + file + " of action '" + entry.action() + "': " + e, e);
    } finally {
      if (temp != null) {
        try {
          Files.deleteIfExists(temp);
        } catch (IOException ignored) {
          // a leftover temporary file is harmless: it is never read
        }
      }
    }
  }

  @Override
  public void delete(String action) {
    Path file = fileFor(action);
    try {
      if (Files.deleteIfExists(file)) forceDirectory();
    } catch (IOException e) {
      throw new IdempotencyKeyStoreException(
          "cannot delete the key file " + file + " of action '" + action + "': " + e, e);
    }
  }

  @Override
  public List<Entry> loadAll() {
    List<Entry> entries = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, "*" + SUFFIX)) {
      for (Path file : files) {
        if (file.getFileName().toString().startsWith(".")) continue;
        try {
          entries.add(parse(file, read(file)));
        } catch (IOException | RuntimeException unreadable) {
          // left in place; load() reports it for its action
        }
      }
    } catch (IOException e) {
      throw new IdempotencyKeyStoreException("cannot list the key directory " + directory, e);
    }
    return entries;
  }

  @Override
  public String toString() {
    return "FileKeyStore(" + directory + ")";
  }

  private static Properties read(Path file) throws IOException {
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(file)) {
      p.load(new java.io.InputStreamReader(in, StandardCharsets.UTF_8));
    }
    return p;
  }

  private static Entry parse(Path file, Properties p) {
    String version = p.getProperty("version");
    if (!FORMAT_VERSION.equals(version)) {
      throw corrupt(file, version == null ? "no version field" : "unknown version " + version);
    }
    String action = p.getProperty("action");
    if (action == null || action.isBlank()) throw corrupt(file, "no action field");
    String key = p.getProperty("key");
    if (!IdempotencyKey.isValid(key)) throw corrupt(file, "no valid key field");
    String created = p.getProperty("created");
    if (created == null) throw corrupt(file, "no created field");
    Instant createdAt;
    try {
      createdAt = Instant.parse(created);
    } catch (DateTimeParseException e) {
      throw corrupt(file, "malformed created field '" + created + "'");
    }
    return new Entry(action, IdempotencyKey.of(key), createdAt);
  }

  private static IdempotencyKeyStoreException corrupt(Path file, String what) {
    return new IdempotencyKeyStoreException("corrupt key file " + file + ": " + what
        + "; it is left in place; delete it (or forget the action) to start the action afresh");
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException("the file system of " + to.getParent()
          + " cannot rename atomically, so a crash could leave half a key file", e);
    }
  }

  /**
   * Forces the directory entry of the rename to disk, so a power loss right after a save cannot
   * bring back the old file. Best effort: some platforms (Windows) cannot open a directory.
   */
  private void forceDirectory() {
    try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
      dir.force(true);
    } catch (IOException | UnsupportedOperationException notSupported) {
      // the rename itself is still atomic; only its durability across a power loss is weaker
    }
  }

  private static String digest(String action) {
    try {
      MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(sha256.digest(action.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("every Java platform has SHA-256", e);
    }
  }
}
