package dev.idempotency.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.function.Supplier;

/**
 * The business result every benchmark guards: a payment receipt whose JSON form is about 200
 * bytes ({@link #JSON_BYTES}), the size of a typical answer to a "create payment" call.
 */
public record Receipt(
    String paymentId,
    String orderId,
    long amountMinor,
    String currency,
    String status,
    String customerId,
    String createdAt,
    String description) {

  /** One Jackson mapper for the baselines, as a service would configure it: the defaults. */
  static final ObjectMapper MAPPER = new ObjectMapper();
  static final ObjectWriter WRITER = MAPPER.writerFor(Receipt.class);
  static final ObjectReader READER = MAPPER.readerFor(Receipt.class);

  /** The business code: builds a fresh receipt from constants, nothing else. */
  static final Supplier<Receipt> CHARGE = Receipt::charge;

  /** A business code that must never run: for replay benchmarks. */
  static final Supplier<Receipt> MUST_NOT_RUN = () -> {
    throw new IllegalStateException("a replay ran the business code");
  };

  static final int JSON_BYTES = encode(charge()).length;

  static Receipt charge() {
    return new Receipt(
        "pay_7Hq2XbQ9kLmN3pRs",
        "ord_000123",
        129_900,
        "EUR",
        "captured",
        "cus_Z8yWv6Ut",
        "2026-11-27T06:00:00Z",
        "Annual plan");
  }

  static byte[] encode(Receipt receipt) {
    try {
      return WRITER.writeValueAsBytes(receipt);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Receipt decode(byte[] json) {
    try {
      return READER.readValue(json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
