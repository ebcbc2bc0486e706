package dev.idempotency.server;

import dev.idempotency.server.store.IdempotencyStoreUnavailableException;
import java.nio.charset.StandardCharsets;

/**
 * The bytes a guard stores for a record: one tag byte, then either the codec's bytes (a result) or
 * the class name and message of a stored failure. The tag lets one store serve guards with and
 * without a failure policy. Public for the guards of other packages (the transactional guard of
 * {@code dev.idempotency.server.jdbc}), so that every guard over one store reads the others'
 * records. This class is threadsafe.
 */
public final class StoredOutcome {
  private static final byte VALUE = 1;
  private static final byte FAILURE = 2;
  private static final byte FAILURE_WITHOUT_MESSAGE = 3;
  // Messages can be long (stack-like dumps); a replay needs the gist, the store need not hold more.
  static final int MAX_MESSAGE_CHARS = 1_000;

  private StoredOutcome() {}

  /** The stored form of a result: {@code codec}'s bytes after the tag, in one array for JSON. */
  public static <T> byte[] value(ResultCodec<T> codec, T value) {
    if (codec instanceof JsonResultCodec<T> json) return json.encodeWithPrefix(value, VALUE);
    return value(codec.encode(value));
  }

  static byte[] value(byte[] encoded) {
    byte[] out = new byte[encoded.length + 1];
    out[0] = VALUE;
    System.arraycopy(encoded, 0, out, 1, encoded.length);
    return out;
  }

  /** The stored form of a failure: its class name and (shortened) message. */
  public static byte[] failure(Throwable t) {
    String message = t.getMessage();
    byte[] name = t.getClass().getName().getBytes(StandardCharsets.UTF_8);
    if (message == null) {
      byte[] out = new byte[name.length + 1];
      out[0] = FAILURE_WITHOUT_MESSAGE;
      System.arraycopy(name, 0, out, 1, name.length);
      return out;
    }
    if (message.length() > MAX_MESSAGE_CHARS) message = message.substring(0, MAX_MESSAGE_CHARS);
    byte[] text = message.getBytes(StandardCharsets.UTF_8);
    byte[] out = new byte[1 + name.length + 1 + text.length];
    out[0] = FAILURE;
    System.arraycopy(name, 0, out, 1, name.length);
    out[1 + name.length] = 0; // a class name never holds NUL
    System.arraycopy(text, 0, out, 2 + name.length, text.length);
    return out;
  }

  /**
   * The value of a stored result, decoded in place by {@code codec}.
   *
   * @throws IdempotencyStoredFailureException if the record holds a stored failure
   * @throws IdempotencyStoreUnavailableException if no guard wrote these bytes
   */
  public static <T> T decode(byte[] stored, ResultCodec<T> codec) {
    int offset = valueOffset(stored);
    return codec.decode(stored, offset, stored.length - offset);
  }

  /**
   * Where the codec's bytes of a stored result start (they run to the end of the array); throws
   * the stored failure, or rejects foreign bytes.
   */
  static int valueOffset(byte[] stored) {
    if (stored.length == 0) throw foreign();
    switch (stored[0]) {
      case VALUE:
        return 1;
      case FAILURE_WITHOUT_MESSAGE:
        throw new IdempotencyStoredFailureException(
            new String(stored, 1, stored.length - 1, StandardCharsets.UTF_8), null);
      case FAILURE:
        int nul = 1;
        while (nul < stored.length && stored[nul] != 0) nul++;
        if (nul == stored.length) throw foreign();
        throw new IdempotencyStoredFailureException(
            new String(stored, 1, nul - 1, StandardCharsets.UTF_8),
            new String(stored, nul + 1, stored.length - nul - 1, StandardCharsets.UTF_8));
      default:
        throw foreign();
    }
  }

  private static IdempotencyStoreUnavailableException foreign() {
    return new IdempotencyStoreUnavailableException(
        "the store answered a record this guard did not write (shared namespace?)");
  }
}
