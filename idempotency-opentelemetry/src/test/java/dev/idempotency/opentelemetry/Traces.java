package dev.idempotency.opentelemetry;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.ArrayList;
import java.util.List;

/** The OpenTelemetry SDK with an in-memory exporter: spans the tests make current, then read. */
final class Traces implements AutoCloseable {
  final InMemorySpanExporter exporter = InMemorySpanExporter.create();
  final SdkTracerProvider provider =
      SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(exporter)).build();
  final Tracer tracer = provider.get("idempotency-test");

  interface Body {
    void run() throws Exception;
  }

  /** Runs {@code body} with a new span named {@code name} current, ends it, and returns what was exported. */
  SpanData inSpan(String name, Body body) throws Exception {
    Span span = tracer.spanBuilder(name).startSpan();
    try (Scope ignored = span.makeCurrent()) {
      body.run();
    } finally {
      span.end();
    }
    return finished(name);
  }

  SpanData finished(String name) {
    List<SpanData> named = new ArrayList<>();
    for (SpanData s : exporter.getFinishedSpanItems()) if (s.getName().equals(name)) named.add(s);
    if (named.size() != 1) throw new AssertionError("one span named " + name + ", not " + named);
    return named.get(0);
  }

  /** Every attribute value of every finished span and of its events, as text. */
  List<String> everyValue() {
    List<String> values = new ArrayList<>();
    for (SpanData s : exporter.getFinishedSpanItems()) {
      s.getAttributes().forEach((k, v) -> values.add(String.valueOf(v)));
      s.getEvents().forEach(e -> e.getAttributes().forEach((k, v) -> values.add(String.valueOf(v))));
    }
    return values;
  }

  @Override
  public void close() {
    provider.close();
  }
}
