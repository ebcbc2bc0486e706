package dev.idempotency.examples.demo;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/** Serves the web page: the files under {@code web/} on the class path, {@code /} as {@code web/index.html}. */
final class StaticFiles implements HttpHandler {
  private static final String ROOT = "web/";
  // Plain file names with an extension in plain folders: no "..", no empty segment, no
  // backslash, and never a bare folder name (a class path folder reads as a listing).
  private static final Pattern SAFE_PATH =
      Pattern.compile("([A-Za-z0-9_-][A-Za-z0-9._-]*/)*[A-Za-z0-9_-][A-Za-z0-9._-]*\\.[A-Za-z0-9]+");
  private static final Map<String, String> TYPES = Map.of(
      "html", "text/html; charset=utf-8",
      "js", "text/javascript; charset=utf-8",
      "mjs", "text/javascript; charset=utf-8",
      "css", "text/css; charset=utf-8",
      "json", "application/json",
      "svg", "image/svg+xml",
      "png", "image/png",
      "ico", "image/x-icon",
      "txt", "text/plain; charset=utf-8");
  private static final byte[] PLACEHOLDER = (
      "<!doctype html><html><head><meta charset=\"utf-8\"><title>idempotency demo</title></head>"
          + "<body><h1>idempotency demo</h1><p>The payments API is here: POST /payments,"
          + " GET /accounts/{account}/payments, GET /health. The web page (web/index.html) is not"
          + " in this build.</p></body></html>").getBytes(StandardCharsets.UTF_8);

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      if (!"GET".equals(method) && !"HEAD".equals(method)) {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        Http.sendProblem(exchange, 405, "Method Not Allowed", "only GET and HEAD are served here");
        return;
      }
      String path = exchange.getRequestURI().getPath();
      String name = "/".equals(path) ? "index.html" : path.substring(1);
      if (!SAFE_PATH.matcher(name).matches()) {
        Http.sendProblem(exchange, 404, "Not Found", "no such file");
        return;
      }
      byte[] body = read(ROOT + name);
      if (body == null && "index.html".equals(name)) body = PLACEHOLDER;
      if (body == null) {
        Http.sendProblem(exchange, 404, "Not Found", "no such file: " + path);
        return;
      }
      // The page is part of the demo, not a cacheable asset: a reload always gets this build's.
      exchange.getResponseHeaders().set("Cache-Control", "no-store");
      Http.send(exchange, 200, contentType(name), body);
    }
  }

  private static byte[] read(String resource) throws IOException {
    try (InputStream in = StaticFiles.class.getClassLoader().getResourceAsStream(resource)) {
      return in == null ? null : in.readAllBytes();
    }
  }

  private static String contentType(String name) {
    int dot = name.lastIndexOf('.');
    String ext = dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
    return TYPES.getOrDefault(ext, "application/octet-stream");
  }
}
