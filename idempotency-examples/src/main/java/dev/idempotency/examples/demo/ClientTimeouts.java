package dev.idempotency.examples.demo;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpPrincipal;
import com.sun.net.httpserver.HttpServer;
import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Deadlines for the clients of a JDK {@link HttpServer}, so that a slow or stalled client cannot
 * hold one of its threads for as long as it likes.
 *
 * <p>The server's dispatcher hands a connection to the executor once its first bytes are readable;
 * the executor's thread then reads the request line and headers, blocking, and the handler reads
 * the body and writes the answer on that thread too. The JDK has no per-server timeout for any of
 * it ({@code sun.net.httpserver.maxReqTime} is off by default, counts whole seconds and is read
 * once per JVM). Here a request's line, headers and body must arrive within the timeout of its
 * first byte, and each step of the answer that waits on the client (sending the status line,
 * writing, closing, which drains up to 64 KiB of an unread body) gets the timeout afresh. A thread
 * still waiting at a deadline is interrupted: a {@code SocketChannel} is interruptible, so the
 * connection closes and the wait ends in an IOException. Only those waits are ever interrupted,
 * never a handler's own work (a payment, a store call). Deadlines are checked by one sweep every
 * quarter of the timeout (at most a second), so a wait costs two field writes, not a timer task;
 * a late client is cut within that much after its deadline.
 *
 * <p>Use: the server's executor is {@link #executor(Executor)} and every context has {@link
 * #filter()} first. This class is threadsafe.
 */
final class ClientTimeouts implements AutoCloseable {
  // Often enough that a deadline is kept to within a quarter of the timeout; a second at most, as
  // the JDK server's own request timer (sun.net.httpserver.timerMillis) sweeps.
  private static final long MAX_SWEEP_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final long timeoutNanos;
  private final ScheduledThreadPoolExecutor sweeper;
  private final Set<Request> requests = ConcurrentHashMap.newKeySet();
  private final ThreadLocal<Request> current = new ThreadLocal<>();
  private final AtomicInteger readingHeads = new AtomicInteger();
  private final AtomicLong cut = new AtomicLong();
  private final Filter filter = new Filter() {
    @Override
    public void doFilter(HttpExchange exchange, Chain chain) throws IOException {
      Request request = current.get();
      if (request == null) {
        // Run by another executor: no deadline to keep.
        chain.doFilter(exchange);
      } else if (request.headRead()) {
        chain.doFilter(new TimedExchange(exchange, request));
      } else {
        // Too late: the connection is closed already, or closes here.
        exchange.close();
      }
    }

    @Override
    public String description() {
      return "client deadlines";
    }
  };

  /** @param timeout how long the server waits for a client (see the class documentation) */
  ClientTimeouts(Duration timeout) {
    this.timeoutNanos = timeout.toNanos();
    this.sweeper = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "demo-client-deadlines");
      t.setDaemon(true);
      return t;
    });
    long every = Math.max(1, Math.min(timeoutNanos / 4, MAX_SWEEP_NANOS));
    sweeper.scheduleWithFixedDelay(this::sweep, every, every, TimeUnit.NANOSECONDS);
  }

  /** An executor for the server: runs each exchange on {@code pool} under its deadlines. */
  Executor executor(Executor pool) {
    return task -> pool.execute(() -> run(task));
  }

  /** The filter every context puts first: the handler sees an exchange whose waits are timed. */
  Filter filter() {
    return filter;
  }

  /** How many waits on a client ran out, each closing its connection. */
  long cut() {
    return cut.get();
  }

  /** How many requests are having their line and headers read now, a thread each. */
  int readingHeads() {
    return readingHeads.get();
  }

  @Override
  public void close() {
    sweeper.shutdownNow();
  }

  private void run(Runnable exchange) {
    Request request = new Request(Thread.currentThread(), System.nanoTime() + timeoutNanos);
    current.set(request);
    requests.add(request);
    try {
      request.readHead();
      exchange.run();
    } finally {
      request.end();
      requests.remove(request);
      current.remove();
    }
  }

  private void sweep() {
    long now = System.nanoTime();
    for (Request request : requests) request.cutIfLate(now);
  }

  /** One exchange on one thread, and the wait it is in, if any. */
  private final class Request {
    private final Thread thread;
    private final long arriveBy;
    // Guarded by this: the sweep interrupts the thread only while it waits on the client.
    private boolean waiting;
    private long waitUntil;
    private boolean head;
    private boolean late;
    private boolean interrupted;

    Request(Thread thread, long arriveBy) {
      this.thread = thread;
      this.arriveBy = arriveBy;
    }

    synchronized void readHead() {
      head = true;
      readingHeads.incrementAndGet();
      await(arriveBy);
    }

    /** The line and headers are in; false if they came too late. */
    synchronized boolean headRead() {
      endHead();
      stopWaiting();
      return !late;
    }

    /** A wait for more of the request: the deadline is its first byte's. */
    synchronized void awaitRequest() throws IOException {
      if (late) throw new IOException("the client sent its request too slowly; the connection is closed");
      await(arriveBy);
    }

    /** A wait while answering: the client gets the whole timeout again. */
    synchronized void awaitAnswer() {
      await(System.nanoTime() + timeoutNanos);
    }

    synchronized void stopWaiting() {
      waiting = false;
      // The sweep's interrupt has done its work (the channel is closed) or came as the wait ended:
      // either way it must not reach the code that runs next on this thread.
      if (interrupted) {
        Thread.interrupted();
        interrupted = false;
      }
    }

    synchronized void end() {
      endHead();
      stopWaiting();
    }

    private void endHead() {
      if (head) {
        head = false;
        readingHeads.decrementAndGet();
      }
    }

    private void await(long until) {
      stopWaiting();
      waiting = true;
      waitUntil = until;
    }

    synchronized void cutIfLate(long now) {
      if (!waiting || now - waitUntil < 0) return;
      waiting = false;
      late = true;
      interrupted = true;
      cut.incrementAndGet();
      thread.interrupt();
    }
  }

  /** The exchange a handler sees: the original, with every wait on the client timed. */
  private static final class TimedExchange extends HttpExchange {
    private final HttpExchange original;
    private final Request request;
    private InputStream requestBody;
    private OutputStream responseBody;

    TimedExchange(HttpExchange original, Request request) {
      this.original = original;
      this.request = request;
    }

    @Override
    public InputStream getRequestBody() {
      if (requestBody == null) {
        requestBody = new FilterInputStream(original.getRequestBody()) {
          @Override
          public int read() throws IOException {
            request.awaitRequest();
            try {
              return super.read();
            } finally {
              request.stopWaiting();
            }
          }

          @Override
          public int read(byte[] b, int off, int len) throws IOException {
            request.awaitRequest();
            try {
              return super.read(b, off, len);
            } finally {
              request.stopWaiting();
            }
          }

          @Override
          public long skip(long n) throws IOException {
            request.awaitRequest();
            try {
              return super.skip(n);
            } finally {
              request.stopWaiting();
            }
          }

          @Override
          public void close() throws IOException {
            // Closing drains up to 64 KiB of what is left, as closing the answer does.
            request.awaitAnswer();
            try {
              super.close();
            } finally {
              request.stopWaiting();
            }
          }
        };
      }
      return requestBody;
    }

    @Override
    public OutputStream getResponseBody() {
      if (responseBody == null) {
        responseBody = new FilterOutputStream(original.getResponseBody()) {
          @Override
          public void write(int b) throws IOException {
            request.awaitAnswer();
            try {
              out.write(b);
            } finally {
              request.stopWaiting();
            }
          }

          @Override
          public void write(byte[] b, int off, int len) throws IOException {
            request.awaitAnswer();
            try {
              out.write(b, off, len);
            } finally {
              request.stopWaiting();
            }
          }

          @Override
          public void flush() throws IOException {
            request.awaitAnswer();
            try {
              out.flush();
            } finally {
              request.stopWaiting();
            }
          }

          @Override
          public void close() throws IOException {
            // Closing the answer flushes it, then drains what the handler left of the request.
            request.awaitAnswer();
            try {
              out.close();
            } finally {
              request.stopWaiting();
            }
          }
        };
      }
      return responseBody;
    }

    @Override
    public void sendResponseHeaders(int rCode, long responseLength) throws IOException {
      // With no body to send (-1) the JDK closes the exchange here, draining the request.
      request.awaitAnswer();
      try {
        original.sendResponseHeaders(rCode, responseLength);
      } finally {
        request.stopWaiting();
      }
    }

    @Override
    public void close() {
      request.awaitAnswer();
      try {
        original.close();
      } finally {
        request.stopWaiting();
      }
    }

    @Override
    public void setStreams(InputStream i, OutputStream o) {
      original.setStreams(i, o);
      if (i != null) requestBody = null;
      if (o != null) responseBody = null;
    }

    @Override
    public Headers getRequestHeaders() {
      return original.getRequestHeaders();
    }

    @Override
    public Headers getResponseHeaders() {
      return original.getResponseHeaders();
    }

    @Override
    public URI getRequestURI() {
      return original.getRequestURI();
    }

    @Override
    public String getRequestMethod() {
      return original.getRequestMethod();
    }

    @Override
    public HttpContext getHttpContext() {
      return original.getHttpContext();
    }

    @Override
    public InetSocketAddress getRemoteAddress() {
      return original.getRemoteAddress();
    }

    @Override
    public int getResponseCode() {
      return original.getResponseCode();
    }

    @Override
    public InetSocketAddress getLocalAddress() {
      return original.getLocalAddress();
    }

    @Override
    public String getProtocol() {
      return original.getProtocol();
    }

    @Override
    public Object getAttribute(String name) {
      return original.getAttribute(name);
    }

    @Override
    public void setAttribute(String name, Object value) {
      original.setAttribute(name, value);
    }

    @Override
    public HttpPrincipal getPrincipal() {
      return original.getPrincipal();
    }
  }
}
