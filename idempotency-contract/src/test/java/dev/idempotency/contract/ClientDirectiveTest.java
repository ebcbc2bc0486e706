package dev.idempotency.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The client table of the contract, row by row. */
class ClientDirectiveTest {

  @ParameterizedTest
  @ValueSource(ints = {200, 201, 202, 204, 299})
  void twoHundredsSucceedAndForgetTheKey(int status) {
    assertThat(ClientDirective.forStatus(status)).isEqualTo(ClientDirective.SUCCEEDED);
    assertThat(ClientDirective.SUCCEEDED.retry()).isFalse();
    assertThat(ClientDirective.SUCCEEDED.keepKey()).isFalse();
  }

  @ParameterizedTest
  @ValueSource(ints = {500, 502, 503, 504, 599})
  void fiveHundredsRetryWithTheSameKey(int status) {
    assertThat(ClientDirective.forStatus(status)).isEqualTo(ClientDirective.RETRY_SAME_KEY);
    assertThat(ClientDirective.RETRY_SAME_KEY.retry()).isTrue();
    assertThat(ClientDirective.RETRY_SAME_KEY.keepKey()).isTrue();
  }

  @Test
  void requestTimeoutAndTooManyRequestsRetryLikeFiveHundreds() {
    assertThat(ClientDirective.forStatus(408)).isEqualTo(ClientDirective.RETRY_SAME_KEY);
    assertThat(ClientDirective.forStatus(429)).isEqualTo(ClientDirective.RETRY_SAME_KEY);
  }

  @Test
  void noAnswerRetriesWithTheSameKey() {
    assertThat(ClientDirective.forNoAnswer()).isEqualTo(ClientDirective.RETRY_SAME_KEY);
  }

  @Test
  void conflictAndTooEarlyStopButKeepTheKey() {
    assertThat(ClientDirective.forStatus(409)).isEqualTo(ClientDirective.STOP_KEEP_KEY);
    assertThat(ClientDirective.forStatus(425)).isEqualTo(ClientDirective.STOP_KEEP_KEY);
    assertThat(ClientDirective.STOP_KEEP_KEY.retry()).isFalse();
    assertThat(ClientDirective.STOP_KEEP_KEY.keepKey()).isTrue();
  }

  @ParameterizedTest
  @ValueSource(ints = {400, 401, 403, 404, 405, 410, 413, 415, 422, 499})
  void otherFourHundredsStopAndForgetTheKey(int status) {
    assertThat(ClientDirective.forStatus(status)).isEqualTo(ClientDirective.STOP_FORGET_KEY);
    assertThat(ClientDirective.STOP_FORGET_KEY.retry()).isFalse();
    assertThat(ClientDirective.STOP_FORGET_KEY.keepKey()).isFalse();
  }

  @ParameterizedTest
  @ValueSource(ints = {300, 301, 302, 303, 304, 307, 308, 399})
  void threeHundredsStopAndForgetTheKey(int status) {
    assertThat(ClientDirective.forStatus(status)).isEqualTo(ClientDirective.STOP_FORGET_KEY);
  }

  @ParameterizedTest
  @ValueSource(ints = {100, 103, 199})
  void oneHundredsStopAndForgetTheKey(int status) {
    assertThat(ClientDirective.forStatus(status)).isEqualTo(ClientDirective.STOP_FORGET_KEY);
  }

  @ParameterizedTest
  @ValueSource(ints = {-1, 0, 99, 600, 999})
  void outOfRangeIsRejected(int status) {
    assertThatThrownBy(() -> ClientDirective.forStatus(status))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(Integer.toString(status));
  }

  @Test
  void theStatusConstantsMeanWhatTheTableSays() {
    assertThat(ClientDirective.forStatus(StatusCodes.BAD_REQUEST))
        .isEqualTo(ClientDirective.STOP_FORGET_KEY);
    assertThat(ClientDirective.forStatus(StatusCodes.UNPROCESSABLE_CONTENT))
        .isEqualTo(ClientDirective.STOP_FORGET_KEY);
    assertThat(ClientDirective.forStatus(StatusCodes.CONTENT_TOO_LARGE))
        .isEqualTo(ClientDirective.STOP_FORGET_KEY);
    assertThat(ClientDirective.forStatus(StatusCodes.CONFLICT))
        .isEqualTo(ClientDirective.STOP_KEEP_KEY);
    assertThat(ClientDirective.forStatus(StatusCodes.TOO_EARLY))
        .isEqualTo(ClientDirective.STOP_KEEP_KEY);
    assertThat(ClientDirective.forStatus(StatusCodes.SERVICE_UNAVAILABLE))
        .isEqualTo(ClientDirective.RETRY_SAME_KEY);
    assertThat(ClientDirective.forStatus(StatusCodes.REQUEST_TIMEOUT))
        .isEqualTo(ClientDirective.RETRY_SAME_KEY);
    assertThat(ClientDirective.forStatus(StatusCodes.TOO_MANY_REQUESTS))
        .isEqualTo(ClientDirective.RETRY_SAME_KEY);
  }
}
