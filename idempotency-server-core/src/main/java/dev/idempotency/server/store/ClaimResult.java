package dev.idempotency.server.store;

import java.time.Duration;
import java.util.Objects;

/**
 * The answer to {@link IdempotencyStore#claim}: one of four cases, each carrying what the caller
 * needs without a second call to the store.
 */
public sealed interface ClaimResult
    permits ClaimResult.Acquired,
        ClaimResult.InProgress,
        ClaimResult.Completed,
        ClaimResult.FingerprintMismatch {

  /**
   * The record was absent (or its lease had expired): the caller now owns it and runs the work.
   *
   * @param ownerToken the caller's token, echoed
   * @param fencingToken positive, and strictly greater than the fencing token of every earlier
   *     owner of this record in this store (each store documents what its tokens survive)
   * @param grantedAt for a store with a {@link IdempotencyStore#leaseTicker() lease ticker}: its
   *     reading when the lease began, the lease ending {@code leaseTtl} after it; 0 for the others
   */
  record Acquired(String ownerToken, long fencingToken, long grantedAt) implements ClaimResult {
    public Acquired {
      Objects.requireNonNull(ownerToken, "ownerToken");
      if (fencingToken <= 0) throw new IllegalArgumentException("fencingToken must be positive: " + fencingToken);
    }

    /** Acquired, from a store without a lease ticker. */
    public Acquired(String ownerToken, long fencingToken) {
      this(ownerToken, fencingToken, 0);
    }

    /** Without the owner token: it is a secret of the server, kept out of logs. */
    @Override
    public String toString() {
      return "Acquired[fencingToken=" + fencingToken + "]";
    }
  }

  /**
   * Another owner holds an unexpired lease with the same fingerprint.
   *
   * @param leaseRemaining how long the lease has left, as the store measures it; a hint for
   *     {@code Retry-After}
   */
  record InProgress(Duration leaseRemaining) implements ClaimResult {
    public InProgress {
      Objects.requireNonNull(leaseRemaining, "leaseRemaining");
    }
  }

  /**
   * The record is completed with the same fingerprint: here is its stored answer, exactly the
   * bytes given to {@link IdempotencyStore#complete}.
   *
   * <p>A store may hand over its own array (the in-memory store does): {@link #result()} returns a
   * copy, which the caller may modify; {@link #read} lets a reader that only reads (the guards'
   * decoders) see the bytes in place, without that copy.
   */
  record Completed(byte[] result) implements ClaimResult {
    public Completed {
      Objects.requireNonNull(result, "result");
    }

    /** A copy of the stored answer: the caller may modify it. */
    @Override
    public byte[] result() {
      return result.clone();
    }

    /**
     * What {@code reader} makes of the stored answer, read in place: the reader must neither
     * modify the array nor keep it after it returns.
     */
    public <T> T read(Reader<T> reader) {
      return reader.read(result);
    }

    /** Reads a stored answer in place; see {@link #read}. */
    @FunctionalInterface
    public interface Reader<T> {
      T read(byte[] stored);
    }
  }

  /** The record exists (in progress or completed) with a different fingerprint. */
  record FingerprintMismatch() implements ClaimResult {}
}
