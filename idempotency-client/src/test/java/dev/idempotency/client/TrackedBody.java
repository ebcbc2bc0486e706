package dev.idempotency.client;

import okhttp3.MediaType;
import okhttp3.ResponseBody;
import okio.BufferedSource;
import okio.ForwardingSource;
import okio.Okio;

/** A response body that remembers whether it was closed. */
final class TrackedBody extends ResponseBody {
  private final ResponseBody delegate;
  private final BufferedSource source;
  volatile boolean closed;

  TrackedBody(ResponseBody delegate) {
    this.delegate = delegate;
    this.source = Okio.buffer(new ForwardingSource(delegate.source()) {
      @Override
      public void close() throws java.io.IOException {
        closed = true;
        super.close();
      }
    });
  }

  @Override
  public MediaType contentType() {
    return delegate.contentType();
  }

  @Override
  public long contentLength() {
    return delegate.contentLength();
  }

  @Override
  public BufferedSource source() {
    return source;
  }
}
