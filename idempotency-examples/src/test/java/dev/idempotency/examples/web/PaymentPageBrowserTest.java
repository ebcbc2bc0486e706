package dev.idempotency.examples.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.idempotency.examples.demo.DemoServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.WindowType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.FluentWait;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The demo's web page in a real headless Chromium: whatever the user or the network does, one
 * payment action leaves exactly one payment in the ledger.
 *
 * <p>Uses Debian's {@code chromium} and {@code chromedriver} ({@code apt-get install chromium
 * chromium-driver}); nothing is downloaded. Without them the test is skipped, unless {@code
 * CI=true}, where it fails. Other paths: {@code -Didem.chromium=...} and {@code
 * -Didem.chromedriver=...}.
 *
 * <p>The browser reaches the server through a {@link RecordingProxy}, which shows the test each
 * payment request and its {@code Idempotency-Key}; the ledger ({@code GET
 * /accounts/{account}/payments}) shows what really executed.
 */
class PaymentPageBrowserTest {
  private static final Path CHROMIUM = Path.of(System.getProperty("idem.chromium", "/usr/bin/chromium"));
  private static final Path CHROMEDRIVER =
      Path.of(System.getProperty("idem.chromedriver", "/usr/bin/chromedriver"));
  // Generous for 2 shared cores; the page ends in a few seconds, and the wait returns then.
  private static final Duration OUTCOME_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration POLL = Duration.ofMillis(25);
  // The states after which the page does nothing more by itself.
  private static final Set<String> FINAL_STATES = Set.of("success", "failed", "unknown", "invalid");
  private static final ObjectMapper JSON = new ObjectMapper();
  // Selenium looks for a DevTools binding matching this Chromium's version and warns that there
  // is none; this test uses WebDriver only. Held here so the setting is not garbage collected.
  private static final Logger CDP_VERSION_FINDER = quiet("org.openqa.selenium.devtools.CdpVersionFinder");
  // new Random(4102) draws 0.098, 0.126, 0.840: with failBefore(0.5) the first two payment
  // requests are answered 503 and the third runs. (Small seeds all start near 0.73.)
  private static final long TWO_FAILURES_SEED = 4102;
  // Where idempotency.js keeps the key of the page's one action, "payment" (its README).
  private static final String KEPT_PAYMENT = "idempotency:payment";
  // The module-only page pays this many actions; the "done" run.
  private static final int BATCH_ACTIONS = 50;
  // Four at a time: fewer than Chromium's six connections per host, so none waits for one.
  private static final int BATCH_CONCURRENCY = 4;
  // Fifty payments under faults take a few seconds; this is for a loaded machine.
  private static final Duration BATCH_TIMEOUT = Duration.ofSeconds(120);

  private static Path profile;
  private static ChromeDriverService service;
  private static WebDriver browser;

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final List<AutoCloseable> toClose = new ArrayList<>();

  @BeforeAll
  static void startBrowser() throws IOException {
    boolean ci = "true".equalsIgnoreCase(System.getenv("CI"));
    boolean present = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
    String missing = "the browser test needs " + CHROMIUM + " and " + CHROMEDRIVER
        + " (Debian: apt-get install chromium chromium-driver)";
    if (!present && ci) fail(missing + "; CI=true, so this is a failure, not a skip");
    assumeTrue(present, missing + "; skipped");

    profile = Files.createTempDirectory("idem-chromium-");
    ChromeOptions options = new ChromeOptions();
    // With the browser binary and the driver executable given, Selenium Manager does not run.
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--no-default-browser-check",
        // No connections beyond 127.0.0.1: the page needs none, and a closed network refuses them.
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        // And no host name resolves: the page is reached at 127.0.0.1 only.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        "--window-size=900,1000",
        "--user-data-dir=" + profile);
    service = new ChromeDriverService.Builder()
        .usingDriverExecutable(CHROMEDRIVER.toFile())
        .usingAnyFreePort()
        .build();
    browser = new ChromeDriver(service, options);
  }

  @AfterAll
  static void stopBrowser() throws IOException {
    if (browser != null) browser.quit();
    if (service != null) service.stop();
    if (profile != null) {
      try (Stream<Path> files = Files.walk(profile)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  @AfterEach
  void closeServers() throws Exception {
    for (AutoCloseable c : toClose) c.close();
  }

  @Test
  void aRapidTripleClickMakesOnePayment() throws Exception {
    DemoServer server = start(DemoServer.Options.builder().port(0).processingDelay(Duration.ofMillis(800)));
    RecordingProxy proxy = proxy(server);
    String account = freshAccount("triple");
    openPage(proxy, account);

    // Three clicks in one task, as fast as the browser dispatches them. The button is enabled
    // again before each, as when clicks land before a disabled button is repainted: what must
    // hold is the page's own guard, not the disabled attribute.
    js("const pay = document.getElementById('pay');"
        + "for (let i = 0; i < 3; i++) { pay.disabled = false; pay.click(); }");

    assertThat(awaitOutcome()).as(pageText()).isEqualTo("success");
    assertExactlyOnePayment(server, account);
    List<String> keys = proxy.paymentKeys();
    assertThat(keys).as("one action, one request: the second and third clicks send nothing").hasSize(1);
    assertThat(keys.get(0)).isEqualTo(text("action-key"));
    assertThat(logLines()).filteredOn(line -> line.contains("click ignored")).hasSize(2);
    assertThat(isShown("replayed")).as("a first answer, not a replay").isFalse();
    assertThat(status("data-replayed")).isEqualTo("false");
  }

  @Test
  void aReloadDuringASlowPaymentResumesWithTheSameKey() throws Exception {
    DemoServer server = start(DemoServer.Options.builder().port(0).processingDelay(Duration.ofMillis(1500)));
    RecordingProxy proxy = proxy(server);
    String account = freshAccount("reload");
    openPage(proxy, account);

    browser.findElement(By.id("pay")).click();
    // Reload once the payment request has reached the server, while the server still works on it.
    new FluentWait<>(proxy).withTimeout(OUTCOME_TIMEOUT).pollingEvery(POLL)
        .withMessage("the page sent no payment request")
        .until(p -> p.paymentKeys().size() >= 1);
    String key = proxy.paymentKeys().get(0);
    browser.navigate().refresh();

    assertThat(awaitOutcome()).as(pageText()).isEqualTo("success");
    assertExactlyOnePayment(server, account);
    assertThat(isShown("resumed")).as("the page says it resumed the payment after the reload").isTrue();
    // The answer came from the stored result of the first request: the payment ran once, before.
    assertThat(isShown("replayed")).as("the answer after the reload is a replay").isTrue();
    assertThat(status("data-replayed")).isEqualTo("true");
    List<String> keys = proxy.paymentKeys();
    assertThat(keys).as("the request before the reload and at least one after it").hasSizeGreaterThanOrEqualTo(2);
    assertThat(new HashSet<>(keys)).as("every request of the action carried its one key").containsExactly(key);
    assertThat(text("action-key")).isEqualTo(key);
    assertThat(keptPayment()).as("the key is forgotten after success").isNull();
  }

  @Test
  void failuresBeforeThePaymentAreRetriedWithTheSameKey() throws Exception {
    // Seeded so that the run is the same every time: two 503s, then the payment.
    DemoServer server = start(
        DemoServer.Options.builder().port(0).failBefore(0.5).random(new Random(TWO_FAILURES_SEED)));
    RecordingProxy proxy = proxy(server);
    String account = freshAccount("retry");
    openPage(proxy, account);

    browser.findElement(By.id("pay")).click();

    assertThat(awaitOutcome()).as(pageText()).isEqualTo("success");
    assertExactlyOnePayment(server, account);
    List<String> keys = proxy.paymentKeys();
    assertThat(keys).as("503s, then the retry that got through").hasSizeGreaterThanOrEqualTo(2);
    assertThat(new HashSet<>(keys)).containsExactly(text("action-key"));
    assertThat(logLines()).filteredOn(line -> line.contains(": 503")).hasSizeGreaterThanOrEqualTo(1);
  }

  @Test
  void lostAnswersAreRetriedWithTheSameKeyAndReplayed() throws Exception {
    DemoServer server = start(DemoServer.Options.builder().port(0));
    RecordingProxy proxy = proxy(server);
    String account = freshAccount("lost");
    openPage(proxy, account);
    // The payment runs; its answer, and the answer to the first retry, are cut off on the way
    // back after their headers. (A connection that closes before any byte of an answer is
    // different: Chromium resends the request itself, with the same key, and the page never
    // sees the failure.)
    proxy.loseAnswers(2);

    browser.findElement(By.id("pay")).click();

    assertThat(awaitOutcome()).as(pageText()).isEqualTo("success");
    assertExactlyOnePayment(server, account);
    assertThat(isShown("replayed")).as("the retry got the stored answer").isTrue();
    assertThat(status("data-replayed")).isEqualTo("true");
    assertThat(logLines()).filteredOn(line -> line.contains("network error")).hasSize(2);
    List<String> keys = proxy.paymentKeys();
    assertThat(keys).as("two answers lost, the third read").hasSize(3);
    assertThat(new HashSet<>(keys)).containsExactly(text("action-key"));
  }

  @Test
  void aKeyReusedForAnotherPaymentIsADefinitiveFailure() throws Exception {
    DemoServer server = start(DemoServer.Options.builder().port(0));
    RecordingProxy proxy = proxy(server);
    String account = freshAccount("reused");
    openPage(proxy, account);
    browser.findElement(By.id("pay")).click();
    assertThat(awaitOutcome()).as(pageText()).isEqualTo("success");
    String key = text("action-key");
    String paymentId = text("payment-id");

    // A kept payment with that key but another amount, as a buggy page might leave behind:
    // the server answers 422, and the page shows the problem and the module forgets the key.
    js("localStorage.setItem(arguments[0], JSON.stringify({key: arguments[1], createdAt: Date.now(),"
        + " data: {account: arguments[2], amountCents: 999, currency: 'EUR'}}));",
        KEPT_PAYMENT, key, account);
    browser.navigate().refresh();

    assertThat(awaitOutcome()).as(pageText()).isEqualTo("failed");
    assertThat(text("status")).contains("different request");
    assertThat(keptPayment()).as("a definitive failure forgets the key").isNull();
    assertThat(proxy.paymentKeys()).containsExactly(key, key);
    assertExactlyOnePayment(server, account, paymentId);
  }

  @Test
  void twoWindowsPayingTheSameActionAtOnceSendOneKey() throws Exception {
    DemoServer server = start(DemoServer.Options.builder().port(0));
    RecordingProxy proxy = proxy(server);
    String account = freshAccount("two-tabs");
    String first = browser.getWindowHandle();
    openPage(proxy, account);
    browser.switchTo().newWindow(WindowType.WINDOW);
    String second = browser.getWindowHandle();
    try {
      openPage(proxy, account);
      List<String> windows = List.of(first, second);
      // The first payment request's answer stays away until the other window has joined it, so
      // whichever window sends first is still running when the other one's click lands.
      proxy.holdAnswers();
      // Both clicks at one instant of the browser's clock, each in its own window.
      long at = (Long) js("return Date.now() + 500;");
      for (String w : windows) {
        browser.switchTo().window(w);
        js("setTimeout(() => document.getElementById('pay').click(), arguments[0] - Date.now());", at);
      }
      new FluentWait<>(windows).withTimeout(OUTCOME_TIMEOUT).pollingEvery(POLL)
          .withMessage(() -> "no window waited for the other: " + statesIn(windows))
          .until(ws -> statesIn(ws).contains("waiting"));
      assertThat(proxy.paymentKeys()).as("the waiting window sends nothing while the other runs").hasSize(1);
      proxy.releaseAnswers();

      List<String> ids = new ArrayList<>();
      List<Boolean> replayed = new ArrayList<>();
      Set<String> shownKeys = new HashSet<>();
      for (String w : windows) {
        browser.switchTo().window(w);
        assertThat(awaitOutcome()).as(pageText()).isEqualTo("success");
        ids.add(text("payment-id"));
        replayed.add(isShown("replayed"));
        shownKeys.add(text("action-key"));
      }
      assertThat(new HashSet<>(ids)).as("both windows show the one payment").hasSize(1);
      assertExactlyOnePayment(server, account, ids.get(0));
      List<String> keys = proxy.paymentKeys();
      assertThat(keys).as("the first window's request, then the waiting one's with its key").hasSize(2);
      assertThat(new HashSet<>(keys)).as("one key on the wire").hasSize(1).isEqualTo(shownKeys);
      assertThat(replayed).as("the window that waited got the stored answer").containsExactlyInAnyOrder(true, false);
      assertThat(keptPayment()).as("the key is forgotten after success").isNull();
    } finally {
      browser.switchTo().window(second);
      browser.close();
      browser.switchTo().window(first);
    }
  }

  /**
   * The "done" run: {@code web/batch.html} imports only {@code idempotency.js} and pays
   * {@value #BATCH_ACTIONS} actions through its documented API against the demo server with
   * faults on; the ledger shows each exactly once. Prints the run's counts.
   */
  @Test
  void aPageWithOnlyTheModulePaysFiftyActionsExactlyOnceUnderFaults() throws Exception {
    DemoServer server = start(DemoServer.Options.builder().port(0)
        .failBefore(0.2).dropAfter(0.2).processingDelay(Duration.ofMillis(20)).random(new Random(50)));
    RecordingProxy proxy = proxy(server);
    String account = freshAccount("batch");
    browser.get(proxy.uri().resolve("batch.html?actions=" + BATCH_ACTIONS + "&concurrency="
        + BATCH_CONCURRENCY + "&account=" + account).toString());
    browser.findElement(By.id("run")).click();
    new WebDriverWait(browser, BATCH_TIMEOUT).pollingEvery(Duration.ofMillis(100))
        .withMessage(() -> "the batch did not finish: " + text("status"))
        .until(d -> "true".equals(d.findElement(By.id("summary")).getDomAttribute("data-done")));
    JsonNode summary = JSON.readTree(text("summary"));
    JsonNode counts = summary.path("counts");

    assertThat(counts.path("succeeded").asInt()).as("%s", counts).isEqualTo(BATCH_ACTIONS);
    assertThat(counts.path("definitelyFailed").asInt()).isZero();
    assertThat(counts.path("gaveUp").asInt()).isZero();
    JsonNode ledger = ledger(server, account);
    assertThat(ledger).as("payments in the ledger").hasSize(BATCH_ACTIONS);
    List<Integer> amounts = new ArrayList<>();
    Set<String> ledgerIds = new HashSet<>();
    for (JsonNode p : ledger) {
      amounts.add(p.path("amountCents").asInt());
      ledgerIds.add(p.path("id").asText());
    }
    // Action i pays 100 + i cents: each amount once means each action paid once.
    List<Integer> expected = new ArrayList<>();
    for (int i = 0; i < BATCH_ACTIONS; i++) expected.add(100 + i);
    assertThat(amounts).as("one payment per action, none twice").containsExactlyInAnyOrderElementsOf(expected);
    Set<String> pageIds = new HashSet<>();
    Set<String> pageKeys = new HashSet<>();
    for (JsonNode p : summary.path("payments")) {
      pageIds.add(p.path("id").asText());
      pageKeys.add(p.path("key").asText());
    }
    assertThat(pageIds).as("every payment the page was told of is in the ledger").isEqualTo(ledgerIds);
    List<String> wireKeys = proxy.paymentKeys();
    assertThat(new HashSet<>(wireKeys)).as("one key per action on the wire").isEqualTo(pageKeys).hasSize(BATCH_ACTIONS);
    DemoServer.Stats stats = server.stats();
    assertThat(stats.executions()).as("payment code ran once per action").isEqualTo(BATCH_ACTIONS);

    long duplicates = BATCH_ACTIONS - new HashSet<>(amounts).size();
    System.out.printf("batch.html, %d actions, %d at a time, fail-before 0.2, drop-after 0.2, 20 ms per payment%n"
            + "page (idempotency.js events and outcomes): actions %d, succeeded %d, HTTP attempts %d, retries (same key) %d,"
            + " replays %d, in-progress stops %d, unknown outcomes %d, tries of an action %d, definitely failed %d%n"
            + "wire (proxy): payment requests %d, distinct keys %d%n"
            + "server: 503 before the payment %d, answers dropped after it %d, payments executed %d%n"
            + "ledger: payments %d, duplicates %d, lost %d%n",
        BATCH_ACTIONS, BATCH_CONCURRENCY, counts.path("actions").asInt(), counts.path("succeeded").asInt(),
        counts.path("httpAttempts").asInt(), counts.path("retries").asInt(), counts.path("replays").asInt(),
        counts.path("inProgressStops").asInt(), counts.path("unknownOutcomes").asInt(), counts.path("tries").asInt(),
        counts.path("definitelyFailed").asInt(), wireKeys.size(), new HashSet<>(wireKeys).size(),
        stats.failedBefore(), stats.droppedAfter(), stats.executions(), ledger.size(), duplicates,
        BATCH_ACTIONS - ledger.size());
  }

  // ---- helpers -----------------------------------------------------------------------------

  private static Logger quiet(String name) {
    Logger logger = Logger.getLogger(name);
    logger.setLevel(Level.SEVERE);
    return logger;
  }

  private DemoServer start(DemoServer.Options.Builder options) throws IOException {
    DemoServer server = DemoServer.start(options.build());
    toClose.add(server);
    return server;
  }

  private RecordingProxy proxy(DemoServer server) throws IOException {
    RecordingProxy proxy = new RecordingProxy(server.port());
    toClose.add(0, proxy); // closed before the server
    return proxy;
  }

  /** A new account per scenario, so no ledger entry of another one can be counted. */
  private static String freshAccount(String scenario) {
    return "web-" + scenario + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /** Opens the page (a new origin per proxy, so an empty localStorage) and fills the form. */
  private void openPage(RecordingProxy proxy, String account) {
    browser.get(proxy.uri().toString());
    new WebDriverWait(browser, OUTCOME_TIMEOUT).pollingEvery(POLL)
        .until(d -> "idle".equals(state()) && d.findElement(By.id("pay")).isEnabled());
    WebElement field = browser.findElement(By.id("account"));
    field.clear();
    field.sendKeys(account);
    WebElement amount = browser.findElement(By.id("amount"));
    amount.clear();
    amount.sendKeys("12.50");
  }

  private String awaitOutcome() {
    new WebDriverWait(browser, OUTCOME_TIMEOUT).pollingEvery(POLL)
        .withMessage(() -> "the page did not finish: " + pageText())
        .until(d -> FINAL_STATES.contains(state()));
    return state();
  }

  /** The page's state in each window; leaves the browser on the last one. */
  private List<String> statesIn(List<String> windows) {
    List<String> states = new ArrayList<>();
    for (String w : windows) {
      browser.switchTo().window(w);
      states.add(state());
    }
    return states;
  }

  private String state() {
    return status("data-state");
  }

  private String status(String attribute) {
    return browser.findElement(By.id("status")).getDomAttribute(attribute);
  }

  private String text(String id) {
    return browser.findElement(By.id(id)).getText();
  }

  private boolean isShown(String id) {
    return browser.findElement(By.id(id)).isDisplayed();
  }

  private List<String> logLines() {
    @SuppressWarnings("unchecked")
    List<String> lines = (List<String>) js(
        "return Array.from(document.querySelectorAll('#log li'), li => li.textContent);");
    return lines;
  }

  /** What the module keeps for the page's action (its key and the form's values), or null. */
  private Object keptPayment() {
    return js("return localStorage.getItem(arguments[0]);", KEPT_PAYMENT);
  }

  private Object js(String script, Object... args) {
    return ((JavascriptExecutor) browser).executeScript(script, args);
  }

  /** What the page shows, for failure messages. */
  private String pageText() {
    return "state=" + state() + ", status=\"" + text("status") + "\", log=" + logLines();
  }

  /** The ledger holds exactly one payment for {@code account}: the one the page shows. */
  private void assertExactlyOnePayment(DemoServer server, String account) {
    assertExactlyOnePayment(server, account, text("payment-id"));
  }

  /** The ledger holds exactly one payment for {@code account}, and its id is {@code id}. */
  private void assertExactlyOnePayment(DemoServer server, String account, String id) {
    JsonNode ledger = ledger(server, account);
    assertThat(ledger.isArray()).as("the ledger is a JSON array: %s", ledger).isTrue();
    assertThat(ledger).as("payments of %s in the ledger", account).hasSize(1);
    JsonNode payment = ledger.get(0);
    assertThat(payment.path("account").asText()).isEqualTo(account);
    assertThat(payment.path("amountCents").asLong()).isEqualTo(1250);
    assertThat(payment.path("currency").asText()).isEqualTo("EUR");
    assertThat(payment.path("id").asText()).as("the id the page showed").isEqualTo(id);
  }

  private JsonNode ledger(DemoServer server, String account) {
    URI uri = server.baseUri().resolve("/accounts/" + account + "/payments");
    try {
      HttpResponse<String> response = http.send(
          HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).as("GET %s: %s", uri, response.body()).isEqualTo(200);
      return JSON.readTree(response.body());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
