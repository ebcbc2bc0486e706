package dev.idempotency.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Objects;

/**
 * A guard's JSON codecs, one per result class, built once: a codec holds an ObjectReader and an
 * ObjectWriter, and building them on every call cost about a tenth of a memory-store call.
 *
 * <p>The codec of the first class asked for, which most guards serve alone, sits in a field: one
 * comparison, where the ClassValue lookup was about 2% of a memory-store call. The field is
 * written once (never replaced, so calls of several classes do not write its line in turn); a
 * racy first write is harmless, each pair being whole. This class is threadsafe.
 */
final class JsonCodecCache {
  private final ClassValue<ResultCodec<?>> codecs;
  private TypedCodec first;

  JsonCodecCache(ObjectMapper mapper) {
    this.codecs = new ClassValue<>() {
      @Override
      protected ResultCodec<?> computeValue(Class<?> type) {
        return JsonResultCodec.of(type, mapper);
      }
    };
  }

  @SuppressWarnings("unchecked") // codecs maps each class to a codec of that class
  <T> ResultCodec<T> of(Class<T> type) {
    TypedCodec f = first;
    if (f != null && f.type == type) return (ResultCodec<T>) f.codec;
    ResultCodec<?> codec = codecs.get(Objects.requireNonNull(type, "type"));
    if (f == null) first = new TypedCodec(type, codec);
    return (ResultCodec<T>) codec;
  }

  /** A result class and its JSON codec (final fields: a racy read sees both). */
  private record TypedCodec(Class<?> type, ResultCodec<?> codec) {}
}
