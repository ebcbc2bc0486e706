package dev.idempotency.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Objects;

/**
 * A {@link ResultCodec} that stores results as JSON with Jackson. Records, beans and collections
 * work as Jackson maps them; {@code null} is stored as JSON {@code null}.
 *
 * <p>Jackson's exceptions do not leak: a result that cannot be written or read throws
 * {@link IllegalArgumentException} with Jackson's exception as the cause.
 *
 * <p>This class is immutable and threadsafe.
 */
public final class JsonResultCodec<T> implements ResultCodec<T> {
  // findAndRegisterModules: java.time and the other modules on the class path work out of the box.
  private static final ObjectMapper DEFAULT_MAPPER = new ObjectMapper().findAndRegisterModules();

  private final JavaType type;
  private final ObjectReader reader;
  private final ObjectWriter writer;

  private JsonResultCodec(ObjectMapper mapper, JavaType type) {
    this.type = type;
    this.reader = mapper.readerFor(type);
    this.writer = mapper.writerFor(type);
  }

  /** The default mapper, shared and never handed out: callers could reconfigure it for everyone. */
  static ObjectMapper defaultObjectMapper() {
    return DEFAULT_MAPPER;
  }

  /** JSON for {@code type} with a plain {@link ObjectMapper} and the modules on the class path. */
  public static <T> JsonResultCodec<T> of(Class<T> type) {
    return of(type, DEFAULT_MAPPER);
  }

  public static <T> JsonResultCodec<T> of(Class<T> type, ObjectMapper mapper) {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(mapper, "mapper");
    return new JsonResultCodec<>(mapper, mapper.constructType(type));
  }

  /** For generic results: {@code JsonResultCodec.of(new TypeReference<List<Receipt>>() {})}. */
  public static <T> JsonResultCodec<T> of(TypeReference<T> type) {
    return of(type, DEFAULT_MAPPER);
  }

  public static <T> JsonResultCodec<T> of(TypeReference<T> type, ObjectMapper mapper) {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(mapper, "mapper");
    return new JsonResultCodec<>(mapper, mapper.constructType(type));
  }

  @Override
  public byte[] encode(T value) {
    try {
      return writer.writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot write a " + type + " as JSON: " + e.getOriginalMessage(), e);
    }
  }

  /**
   * Encodes {@code value} after one {@code prefix} byte, in one array: Jackson writes into its
   * recycled buffer and hands it over once, so the framed result costs the one copy that
   * {@link #encode} makes, not a second one to put the byte in front.
   */
  byte[] encodeWithPrefix(T value, byte prefix) {
    PrefixedBytes out = new PrefixedBytes(prefix);
    try {
      writer.writeValue(out, value);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot write a " + type + " as JSON: " + e.getOriginalMessage(), e);
    } catch (IOException e) { // PrefixedBytes never throws
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  @Override
  public T decode(byte[] bytes) {
    Objects.requireNonNull(bytes, "bytes");
    return decode(bytes, 0, bytes.length);
  }

  @Override
  public T decode(byte[] bytes, int offset, int length) {
    Objects.checkFromIndexSize(offset, length, bytes.length);
    try {
      return reader.readValue(bytes, offset, length);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read a stored " + type + " from JSON: " + e.getMessage(), e);
    }
  }

  /**
   * An output stream that starts with one byte and sizes its array to the first write: Jackson
   * flushes a value of up to its buffer's size (8,000 bytes) in one write on close, so the array is
   * allocated once, exactly, and handed out without a copy.
   */
  private static final class PrefixedBytes extends OutputStream {
    private final byte prefix;
    private byte[] bytes;
    private int count;

    PrefixedBytes(byte prefix) {
      this.prefix = prefix;
    }

    @Override
    public void write(int b) {
      ensure(1);
      bytes[count++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      Objects.checkFromIndexSize(off, len, b.length);
      ensure(len);
      System.arraycopy(b, off, bytes, count, len);
      count += len;
    }

    private void ensure(int more) {
      if (bytes == null) {
        bytes = new byte[1 + more];
        bytes[0] = prefix;
        count = 1;
      } else if (bytes.length - count < more) {
        bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, count + more));
      }
    }

    byte[] toByteArray() {
      if (bytes == null) return new byte[] {prefix};
      return count == bytes.length ? bytes : Arrays.copyOf(bytes, count);
    }
  }

  @Override
  public String toString() {
    return "JsonResultCodec(" + type + ")";
  }
}
