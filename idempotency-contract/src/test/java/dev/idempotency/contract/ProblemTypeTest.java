package dev.idempotency.contract;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The problem types are part of the wire contract: their URIs and statuses must not drift. */
class ProblemTypeTest {

  @Test
  void identifiersAndStatusesAreTheContractsOwn() {
    assertType(ProblemType.KEY_MISSING, "idempotency-key-missing", 400);
    assertType(ProblemType.KEY_INVALID, "idempotency-key-invalid", 400);
    assertType(ProblemType.KEY_REUSED, "idempotency-key-reused", 422);
    assertType(ProblemType.REQUEST_IN_PROGRESS, "idempotency-request-in-progress", 409);
    assertType(ProblemType.STORE_UNAVAILABLE, "idempotency-store-unavailable", 503);
    assertType(ProblemType.REQUEST_TOO_LARGE, "idempotency-request-too-large", 413);
    assertThat(ProblemType.values()).hasSize(6);
  }

  @Test
  void theUrisAreStable() {
    assertThat(ProblemType.KEY_MISSING.uri())
        .isEqualTo("https://idempotency.dev/problems/idempotency-key-missing");
    assertThat(ProblemType.MEDIA_TYPE).isEqualTo("application/problem+json");
    assertThat(Arrays.stream(ProblemType.values()).map(ProblemType::uri).distinct())
        .hasSize(ProblemType.values().length);
  }

  @Test
  void statusesMatchTheStatusConstants() {
    assertThat(ProblemType.KEY_MISSING.status()).isEqualTo(StatusCodes.BAD_REQUEST);
    assertThat(ProblemType.KEY_REUSED.status()).isEqualTo(StatusCodes.UNPROCESSABLE_CONTENT);
    assertThat(ProblemType.REQUEST_IN_PROGRESS.status()).isEqualTo(StatusCodes.CONFLICT);
    assertThat(ProblemType.STORE_UNAVAILABLE.status()).isEqualTo(StatusCodes.SERVICE_UNAVAILABLE);
    assertThat(ProblemType.REQUEST_TOO_LARGE.status()).isEqualTo(StatusCodes.CONTENT_TOO_LARGE);
  }

  @ParameterizedTest
  @EnumSource(ProblemType.class)
  void fromUriOrIdFindsEachTypeByEither(ProblemType type) {
    assertThat(ProblemType.fromUriOrId(type.uri())).isSameAs(type);
    assertThat(ProblemType.fromUriOrId(type.id())).isSameAs(type);
    assertThat(type.title()).isNotBlank();
  }

  @Test
  void fromUriOrIdAnswersNullForAnythingElse() {
    assertThat(ProblemType.fromUriOrId(null)).isNull();
    assertThat(ProblemType.fromUriOrId("")).isNull();
    assertThat(ProblemType.fromUriOrId("about:blank")).isNull();
    assertThat(ProblemType.fromUriOrId(ProblemType.URI_PREFIX)).isNull();
    assertThat(ProblemType.fromUriOrId("IDEMPOTENCY-KEY-MISSING")).isNull();
    assertThat(ProblemType.fromUriOrId("https://example.com/problems/idempotency-key-missing"))
        .isNull();
    assertThat(ProblemType.fromUriOrId(ProblemType.URI_PREFIX + "out-of-stock")).isNull();
  }

  private static void assertType(ProblemType type, String id, int status) {
    assertThat(type.id()).isEqualTo(id);
    assertThat(type.uri()).isEqualTo(ProblemType.URI_PREFIX + id);
    assertThat(type.status()).isEqualTo(status);
  }
}
