package dev.idempotency.examples.demo;

import java.util.Objects;

/**
 * A payment as the demo API answers it and as the ledger keeps it.
 *
 * @param id the payment's id, chosen by the server when the payment executes
 * @param account the account paid from
 * @param amountCents the amount in cents, positive
 * @param currency an ISO 4217 code such as {@code EUR}
 */
public record Payment(String id, String account, long amountCents, String currency) {
  public Payment {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(account, "account");
    Objects.requireNonNull(currency, "currency");
  }
}
