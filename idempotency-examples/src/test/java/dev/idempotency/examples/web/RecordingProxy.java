package dev.idempotency.examples.web;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy on 127.0.0.1 between the browser and the demo server. It passes bytes on unchanged
 * and keeps a copy of what the browser sent, so a test can see each {@code POST /payments} that
 * reached the server and the {@code Idempotency-Key} it carried. It can also cut answers off, as a
 * network does: {@link #loseAnswers(int)}.
 *
 * <p>A request counts once its head has been handed to the server's socket, whatever happens to
 * the browser afterwards: a page reloaded in the middle of a payment closes its connection, the
 * proxy then half-closes its own to the server, and the server runs the request to the end as it
 * would behind any network.
 *
 * <p>This class is threadsafe.
 */
final class RecordingProxy implements AutoCloseable {
  private static final String POST_PAYMENTS = "POST /payments ";
  private static final String KEY_HEADER = "idempotency-key:";
  private static final String END_OF_HEAD = "\r\n\r\n";

  private final ServerSocket listener;
  private final int targetPort;
  private final ExecutorService threads;
  private final List<Connection> connections = new CopyOnWriteArrayList<>();
  private final AtomicInteger answersToLose = new AtomicInteger();
  private volatile CountDownLatch hold; // while set and closed, no answer goes back

  RecordingProxy(int targetPort) throws IOException {
    this.targetPort = targetPort;
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    AtomicInteger n = new AtomicInteger();
    this.threads = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "recording-proxy-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    threads.execute(this::accept);
  }

  /** {@code http://127.0.0.1:PORT/}: where the browser goes instead of the server. */
  URI uri() {
    return URI.create("http://127.0.0.1:" + listener.getLocalPort() + "/");
  }

  /**
   * The answers to the next {@code count} payment requests are lost: the server gets the
   * request and answers it; the proxy passes on the answer's status line and headers, not its
   * body, and closes the browser's connection.
   */
  void loseAnswers(int count) {
    answersToLose.set(count);
  }

  /**
   * From now on no byte of any answer goes back to the browser until {@link #releaseAnswers()}:
   * the server has answered, the browser still waits, as behind a slow network.
   */
  void holdAnswers() {
    hold = new CountDownLatch(1);
  }

  /** Lets the answers held by {@link #holdAnswers()} go on, and those after them. */
  void releaseAnswers() {
    CountDownLatch h = hold;
    hold = null;
    if (h != null) h.countDown();
  }

  /**
   * The {@code Idempotency-Key} of every {@code POST /payments} forwarded to the server so far,
   * connection by connection ({@code ""} for a request without one).
   */
  List<String> paymentKeys() {
    List<String> keys = new ArrayList<>();
    for (Connection c : connections) {
      for (String head : c.paymentHeads(true)) keys.add(keyIn(head));
    }
    return keys;
  }

  private static String keyIn(String head) {
    for (String line : head.split("\r\n")) {
      if (line.toLowerCase(Locale.ROOT).startsWith(KEY_HEADER)) {
        return line.substring(KEY_HEADER.length()).trim();
      }
    }
    return "";
  }

  private void accept() {
    while (!listener.isClosed()) {
      try {
        Socket browser = listener.accept();
        Connection c = new Connection(browser, new Socket(InetAddress.getLoopbackAddress(), targetPort));
        connections.add(c);
        threads.execute(c::browserToServer);
        threads.execute(c::serverToBrowser);
      } catch (IOException e) {
        // The listener was closed, or the server is gone: nothing more to forward.
      }
    }
  }

  @Override
  public void close() {
    releaseAnswers();
    try {
      listener.close();
    } catch (IOException e) {
      // closing anyway
    }
    connections.forEach(Connection::close);
    threads.shutdownNow();
  }

  /** One browser connection and its connection to the server. */
  private final class Connection {
    private final Socket browser;
    private final Socket server;
    private final ByteArrayOutputStream received = new ByteArrayOutputStream(); // guarded by itself
    private final AtomicInteger openDirections = new AtomicInteger(2);
    private int forwarded; // bytes of `received` handed to the server; guarded by `received`
    private int paymentsSeen; // guarded by `received`
    private volatile boolean loseNextAnswer;

    Connection(Socket browser, Socket server) {
      this.browser = browser;
      this.server = server;
    }

    /** Heads of the payment requests in the bytes received (or only those forwarded). */
    List<String> paymentHeads(boolean forwardedOnly) {
      String text;
      synchronized (received) {
        byte[] bytes = received.toByteArray();
        text = new String(bytes, 0, forwardedOnly ? forwarded : bytes.length, StandardCharsets.ISO_8859_1);
      }
      List<String> heads = new ArrayList<>();
      for (int at = text.indexOf(POST_PAYMENTS); at >= 0; at = text.indexOf(POST_PAYMENTS, at + 1)) {
        int end = text.indexOf(END_OF_HEAD, at);
        if (end >= 0) heads.add(text.substring(at, end)); // else the head is not all through yet
      }
      return heads;
    }

    void browserToServer() {
      byte[] buffer = new byte[8192];
      try {
        InputStream in = browser.getInputStream();
        OutputStream out = server.getOutputStream();
        for (int n; (n = in.read(buffer)) >= 0; ) {
          synchronized (received) {
            received.write(buffer, 0, n);
          }
          // Decided before the request goes on, so its answer cannot come back first.
          int payments = paymentHeads(false).size();
          synchronized (received) {
            for (; paymentsSeen < payments; paymentsSeen++) {
              if (answersToLose.getAndUpdate(left -> Math.max(0, left - 1)) > 0) loseNextAnswer = true;
            }
          }
          out.write(buffer, 0, n);
          out.flush();
          synchronized (received) {
            forwarded = received.size();
          }
        }
        server.shutdownOutput();
        if (openDirections.decrementAndGet() == 0) close();
      } catch (IOException e) {
        close();
      }
    }

    void serverToBrowser() {
      byte[] buffer = new byte[8192];
      try {
        InputStream in = server.getInputStream();
        OutputStream out = browser.getOutputStream();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        for (int n; (n = in.read(buffer)) >= 0; ) {
          CountDownLatch h = hold;
          if (h != null) h.await();
          if (!loseNextAnswer) {
            out.write(buffer, 0, n);
            out.flush();
            continue;
          }
          // The status line and headers go through, then the connection ends: the browser has
          // begun to receive the answer, so it cannot resend the request by itself, and the page
          // reads a network error where the body should be.
          head.write(buffer, 0, n);
          String text = head.toString(StandardCharsets.ISO_8859_1);
          int end = text.indexOf(END_OF_HEAD);
          if (end >= 0) {
            out.write(head.toByteArray(), 0, end + END_OF_HEAD.length());
            out.flush();
            close();
            return;
          }
        }
        browser.shutdownOutput();
        if (openDirections.decrementAndGet() == 0) close();
      } catch (IOException e) {
        close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        close();
      }
    }

    void close() {
      closeQuietly(browser);
      closeQuietly(server);
    }

    private void closeQuietly(Socket socket) {
      try {
        socket.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
  }
}
