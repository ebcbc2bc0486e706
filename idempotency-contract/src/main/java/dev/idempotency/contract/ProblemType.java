package dev.idempotency.contract;

/**
 * The RFC 9457 problem types of the contract. The {@link #uri()} of each is stable: clients may
 * switch on it. Every problem is sent as {@value #MEDIA_TYPE}.
 */
public enum ProblemType {
  /** The endpoint requires a key and the request had none. 400. */
  KEY_MISSING("idempotency-key-missing", 400, "Idempotency-Key is missing"),
  /** The key is empty, longer than 255, not visible ASCII, badly quoted or repeated. 400. */
  KEY_INVALID("idempotency-key-invalid", 400, "Idempotency-Key is invalid"),
  /** The key was already used for a different request. 422. */
  KEY_REUSED("idempotency-key-reused", 422, "Idempotency-Key was reused for a different request"),
  /** A request with this key is still being processed. 409 (or 425 by server option). */
  REQUEST_IN_PROGRESS(
      "idempotency-request-in-progress", 409, "A request with this Idempotency-Key is in progress"),
  /** The idempotency store cannot be reached; nothing was run. 503. */
  STORE_UNAVAILABLE("idempotency-store-unavailable", 503, "Idempotency store unavailable"),
  /** The request body exceeds what the server accepts for an idempotent request. 413. */
  REQUEST_TOO_LARGE("idempotency-request-too-large", 413, "Request body too large");

  /** RFC 9457 section 3: the media type of a problem answer. */
  public static final String MEDIA_TYPE = "application/problem+json";

  /** The prefix of every type URI; the README documents each type under it. */
  public static final String URI_PREFIX = "https://idempotency.dev/problems/";

  private final String id;
  private final int status;
  private final String title;

  ProblemType(String id, int status, String title) {
    this.id = id;
    this.status = status;
    this.title = title;
  }

  /** The short identifier, e.g. {@code idempotency-key-missing}. */
  public String id() {
    return id;
  }

  /** The stable type URI: {@link #URI_PREFIX} followed by {@link #id()}. */
  public String uri() {
    return URI_PREFIX + id;
  }

  /** The default status code of this problem. */
  public int status() {
    return status;
  }

  /** A short, human-readable summary that does not change between occurrences. */
  public String title() {
    return title;
  }

  /** Returns the problem type with this URI or identifier, or null if there is none. */
  public static ProblemType fromUriOrId(String uriOrId) {
    if (uriOrId == null) return null;
    String id = uriOrId.startsWith(URI_PREFIX) ? uriOrId.substring(URI_PREFIX.length()) : uriOrId;
    for (ProblemType t : values()) {
      if (t.id.equals(id)) return t;
    }
    return null;
  }
}
