package dev.idempotency.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import java.io.IOException;
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

  @Override
  public T decode(byte[] bytes) {
    Objects.requireNonNull(bytes, "bytes");
    try {
      return reader.readValue(bytes);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read a stored " + type + " from JSON: " + e.getMessage(), e);
    }
  }

  @Override
  public String toString() {
    return "JsonResultCodec(" + type + ")";
  }
}
