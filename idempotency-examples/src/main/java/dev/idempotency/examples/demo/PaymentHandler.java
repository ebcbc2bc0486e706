package dev.idempotency.examples.demo;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.idempotency.contract.IdempotencyHeaders;
import dev.idempotency.contract.IdempotencyKey;
import dev.idempotency.jdkhttp.IdempotentExchangeHandler;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The business code of {@code POST /payments}: validates the payment, takes its processing time,
 * records it in the ledger under its claim's fencing token and answers 201 with the payment. It
 * knows nothing of retries; the {@link IdempotentExchangeHandler} in front of it makes sure it runs
 * once per action, and the ledger refuses the late write of a claim that was taken over: that
 * attempt is answered 503, "lost its claim", and its retry gets the newer owner's answer.
 */
final class PaymentHandler implements HttpHandler {
  // Accounts appear in URLs and Redis keys: a small safe alphabet keeps both simple.
  static final Pattern ACCOUNT = Pattern.compile("[A-Za-z0-9._-]{1,64}");
  // ISO 4217 alphabetic codes are three upper-case letters.
  private static final Pattern CURRENCY = Pattern.compile("[A-Z]{3}");
  // A trillion cents: far above any demo payment, far below where a long or a JS number strains.
  private static final long MAX_AMOUNT_CENTS = 1_000_000_000_000L;
  // The newer owner of a lost claim is running or done: a second is time enough for a demo payment.
  private static final String STALE_RETRY_AFTER = "1";

  private final ObjectMapper json;
  private final Ledger ledger;
  private final Duration processingDelay;
  private final Function<HttpExchange, String> scope;
  private final AtomicLong executions = new AtomicLong();
  private final AtomicLong accepted = new AtomicLong();
  private final AtomicLong refusedStale = new AtomicLong();
  private final AtomicLong refusedRepeat = new AtomicLong();
  private final AtomicInteger running = new AtomicInteger();

  /** A handler whose ledger scopes callers as {@link IdempotentExchangeHandler} does by default. */
  PaymentHandler(ObjectMapper json, Ledger ledger, Duration processingDelay) {
    this(json, ledger, processingDelay, IdempotentExchangeHandler::credentialScope);
  }

  /**
   * @param scope the caller's scope: the function the idempotency layer in front uses, so that the
   *     ledger's (caller, key) is the record's
   */
  PaymentHandler(ObjectMapper json, Ledger ledger, Duration processingDelay, Function<HttpExchange, String> scope) {
    this.json = json;
    this.ledger = ledger;
    this.processingDelay = processingDelay;
    this.scope = scope;
  }

  /** Runs of the payment code that reached the ledger and got its answer, whichever it was. */
  long executions() {
    return executions.get();
  }

  /** Payments the ledger recorded. */
  long ledgerAccepted() {
    return accepted.get();
  }

  /** Writes the ledger refused for a fencing token lower than one it had seen for the action. */
  long staleRefused() {
    return refusedStale.get();
  }

  /** Writes the ledger refused because the action had a payment already (its unique key). */
  long repeatsRefused() {
    return refusedRepeat.get();
  }

  /** Payments in the payment code now: from a valid request until the ledger's answer. */
  int running() {
    return running.get();
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    if (!"POST".equals(exchange.getRequestMethod())) {
      exchange.getResponseHeaders().set("Allow", "POST");
      Http.sendProblem(exchange, 405, "Method Not Allowed", "use POST to make a payment");
      return;
    }
    byte[] body = exchange.getRequestBody().readAllBytes();
    Object parsed = parse(body);
    if (parsed instanceof String problem) {
      Http.sendProblem(exchange, 400, "Bad Request", problem);
      return;
    }
    Payment request = (Payment) parsed;

    Ledger.Outcome outcome;
    running.incrementAndGet();
    try {
      pause(processingDelay);
      Payment payment = new Payment(
          UUID.randomUUID().toString(), request.account(), request.amountCents(), request.currency());
      String key = IdempotencyKey.parseHeader(
          exchange.getRequestHeaders().getFirst(IdempotencyHeaders.IDEMPOTENCY_KEY)).value();
      // The claim's fencing token goes with the write: the ledger refuses it if a newer claim wrote.
      outcome = ledger.record(scope.apply(exchange), key, IdempotentExchangeHandler.claim(exchange), payment);
    } finally {
      running.decrementAndGet();
    }
    executions.incrementAndGet();
    if (outcome instanceof Ledger.Outcome.Accepted accepted) {
      this.accepted.incrementAndGet();
      Http.sendJson(exchange, 201, json.writeValueAsBytes(accepted.payment()));
    } else if (outcome instanceof Ledger.Outcome.RefusedRepeat repeat) {
      // The action is paid already: answer with that payment, as a payments table with a unique
      // key on the action would.
      refusedRepeat.incrementAndGet();
      Http.sendJson(exchange, 201, json.writeValueAsBytes(repeat.first()));
    } else {
      // This claim was taken over: a newer owner paid, or will. 5xx, so the layer stores nothing,
      // and the retry finds the newer owner's answer (or its claim in progress).
      refusedStale.incrementAndGet();
      exchange.getResponseHeaders().set("Retry-After", STALE_RETRY_AFTER);
      Http.sendProblem(exchange, 503, "Service Unavailable", "this attempt lost its claim to a newer one;"
          + " retry with the same key to get that one's answer");
    }
  }

  /** The payment asked for (its id empty), or a String saying what is wrong with the body. */
  private Object parse(byte[] body) {
    JsonNode node;
    try {
      node = json.readTree(body);
    } catch (JsonProcessingException e) {
      return "the body is not JSON: " + e.getOriginalMessage();
    } catch (IOException e) {
      return "the body cannot be read as JSON";
    }
    if (node == null || !node.isObject()) {
      return "the body must be a JSON object like {\"account\":\"acc-1\",\"amountCents\":1250,\"currency\":\"EUR\"}";
    }
    JsonNode account = node.get("account");
    if (account == null || !account.isTextual()) return "account is missing or not a string";
    if (!ACCOUNT.matcher(account.textValue()).matches()) {
      return "account must be 1 to 64 of A-Z a-z 0-9 . _ -";
    }
    JsonNode amount = node.get("amountCents");
    if (amount == null || !amount.isIntegralNumber() || !amount.canConvertToLong()) {
      return "amountCents is missing or not a whole number";
    }
    if (amount.longValue() <= 0) return "amountCents must be positive, not " + amount.longValue();
    if (amount.longValue() > MAX_AMOUNT_CENTS) return "amountCents is at most " + MAX_AMOUNT_CENTS;
    JsonNode currency = node.get("currency");
    if (currency == null || !currency.isTextual()) return "currency is missing or not a string";
    if (!CURRENCY.matcher(currency.textValue()).matches()) {
      return "currency must be an ISO 4217 code of three upper-case letters, like EUR";
    }
    return new Payment("", account.textValue(), amount.longValue(), currency.textValue());
  }

  private static void pause(Duration delay) throws IOException {
    if (delay.isZero()) return;
    try {
      Thread.sleep(delay.toMillis(), delay.toNanosPart() % 1_000_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while processing the payment");
    }
  }
}
