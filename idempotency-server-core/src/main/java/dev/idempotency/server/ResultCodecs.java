package dev.idempotency.server;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** The plain codecs of {@link ResultCodec}; each is immutable and threadsafe. */
final class ResultCodecs {
  private ResultCodecs() {}

  static final ResultCodec<byte[]> BYTES =
      new ResultCodec<>() {
        @Override
        public byte[] encode(byte[] value) {
          return value.clone();
        }

        @Override
        public byte[] decode(byte[] bytes) {
          return bytes.clone();
        }

        @Override
        public byte[] decode(byte[] bytes, int offset, int length) {
          return Arrays.copyOfRange(bytes, offset, offset + length);
        }

        @Override
        public String toString() {
          return "ResultCodec.bytes()";
        }
      };

  static final ResultCodec<String> UTF8 =
      new ResultCodec<>() {
        @Override
        public byte[] encode(String value) {
          return value.getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public String decode(byte[] bytes) {
          return new String(bytes, StandardCharsets.UTF_8);
        }

        @Override
        public String decode(byte[] bytes, int offset, int length) {
          return new String(bytes, offset, length, StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
          return "ResultCodec.utf8()";
        }
      };

  static final ResultCodec<Void> NONE =
      new ResultCodec<>() {
        @Override
        public byte[] encode(Void value) {
          return new byte[0];
        }

        @Override
        public Void decode(byte[] bytes) {
          return null;
        }

        @Override
        public Void decode(byte[] bytes, int offset, int length) {
          return null;
        }

        @Override
        public String toString() {
          return "ResultCodec.none()";
        }
      };
}
