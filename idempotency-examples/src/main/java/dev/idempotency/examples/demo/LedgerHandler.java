package dev.idempotency.examples.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code GET /accounts/{account}/payments}: the ledger of an account, as a JSON array. */
final class LedgerHandler implements HttpHandler {
  private static final Pattern PATH = Pattern.compile("/accounts/([^/]+)/payments");

  private final ObjectMapper json;
  private final Ledger ledger;

  LedgerHandler(ObjectMapper json, Ledger ledger) {
    this.json = json;
    this.ledger = ledger;
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      Matcher m = PATH.matcher(exchange.getRequestURI().getPath());
      if (!m.matches() || !PaymentHandler.ACCOUNT.matcher(m.group(1)).matches()) {
        Http.sendProblem(exchange, 404, "Not Found", "the ledger is at /accounts/{account}/payments");
        return;
      }
      if (!"GET".equals(exchange.getRequestMethod()) && !"HEAD".equals(exchange.getRequestMethod())) {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        Http.sendProblem(exchange, 405, "Method Not Allowed", "the ledger is read with GET");
        return;
      }
      byte[] body;
      try {
        body = json.writeValueAsBytes(ledger.payments(m.group(1)));
      } catch (RuntimeException e) {
        // A Redis ledger that cannot be reached: say so rather than drop the connection.
        Http.sendProblem(exchange, 503, "Service Unavailable", "the ledger cannot be read now; retry");
        return;
      }
      Http.sendJson(exchange, 200, body);
    }
  }
}
