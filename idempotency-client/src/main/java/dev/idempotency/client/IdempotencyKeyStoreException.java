package dev.idempotency.client;

/**
 * An {@link IdempotencyKeyStore} could not read or write a key: the file is corrupt or
 * unreadable, or the directory cannot be written. The message names the action and, for a
 * {@link FileKeyStore}, the file. Only that action is affected; the keys of other actions stay readable.
 */
public final class IdempotencyKeyStoreException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public IdempotencyKeyStoreException(String message, Throwable cause) {
    super(message, cause);
  }

  public IdempotencyKeyStoreException(String message) {
    super(message);
  }
}
