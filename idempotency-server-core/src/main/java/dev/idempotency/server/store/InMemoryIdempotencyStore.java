package dev.idempotency.server.store;

import dev.idempotency.server.IdempotencyCapacityExceededException;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An {@link IdempotencyStore} in this JVM's heap, for a single instance of a service (several
 * instances need a shared store such as Redis).
 *
 * <p>Every record expires by the injected {@link Clock}: a claim when its lease TTL passes, a
 * completed record when its retention passes. An expired record is absent: the next claim acquires
 * it, and the old owner's {@code complete}, {@code renew} and {@code release} answer false.
 *
 * <p>The store holds at most {@link Builder#maximumSize(int) maximumSize} records, claims and
 * completed records together. When a new claim finds it full, it first drops expired records, then
 * evicts the completed record closest to its expiry (with one retention for all records that is
 * the oldest: repeats come soon after the first request, so the oldest answer is the least likely
 * to be asked for again). It never evicts a claim in progress: when every record is a live claim,
 * {@link #claim} throws {@link IdempotencyCapacityExceededException} and nothing is stored.
 *
 * <p>Design: a {@link ConcurrentHashMap} of immutable records, each change one atomic
 * conditional operation on the map ({@code putIfAbsent}, {@code replace} or {@code remove} of the
 * record read), so a repeat of a completed record is answered by a lock-free read. Expiry is kept
 * in write order, as Caffeine's {@code expireAfterWrite} keeps it: a guard gives all its records
 * one lease TTL and one retention, so records written later expire later, and a FIFO queue per
 * kind (claims, completed records) holds them in deadline order at O(1) per write. A record whose
 * deadline is earlier than the last one queued (another TTL, a clock set back) goes to an ordered
 * set instead, so the order stays exact whatever the TTLs. A record replaced or removed is marked
 * and dropped from its queue when it reaches the head. One claim in eight drops a few expired
 * records (no thread, no timer), one thread at a time; a full store drops them all first.
 * Caffeine was the first candidate, but its only way to pin an entry is a weight of zero, which
 * takes claims out of the bound: the store would either hold up to twice its maximum or have to
 * resize the cache on every claim.
 *
 * <p>The arrays given to {@link #complete} and handed out in {@link ClaimResult.Completed} are
 * copies: a caller may modify its own.
 *
 * <p>This class is threadsafe.
 */
public final class InMemoryIdempotencyStore implements IdempotencyStore {

  /**
   * 100,000 records: at one new key per second, a day of the default 24 h retention, and with
   * answers of a few hundred bytes some tens of MiB of heap. Size it to the heap and the traffic.
   */
  public static final int DEFAULT_MAXIMUM_SIZE = 100_000;

  // Matches the Redis store: longer TTLs are mistakes (and would overflow the clock arithmetic).
  private static final long MAX_TTL_MILLIS = Duration.ofDays(36_525).toMillis();

  // One claim in SWEEP_EVERY (chosen by the record's hash, so no counter is shared between
  // threads) drops up to SWEEP_BATCH expired records per queue: amortizes the sweep like Caffeine's
  // maintenance, so no single call pays for a large batch of expiries, and the lock and the queue
  // heads are touched by few calls. That drops twice as fast as claims add records. Replaced
  // records leave the queues at up to four times that rate (a poll each, no map operation).
  private static final int SWEEP_EVERY = 8;
  private static final int SWEEP_BATCH = 16;
  private static final int SWEEP_POLLS = 4 * SWEEP_BATCH;

  private static final ClaimResult MISMATCH = new ClaimResult.FingerprintMismatch();

  private final int maximumSize;
  private final Clock clock;
  private final ConcurrentHashMap<RecordId, Entry> records = new ConcurrentHashMap<>();
  private final Deadlines leases = new Deadlines();
  private final Deadlines retained = new Deadlines();
  // The number of records in `records` plus the slots reserved by claims about to insert one: a
  // claim reserves before it inserts, so the map never holds more than maximumSize records.
  private final AtomicInteger size = new AtomicInteger();
  // Held while removing from the deadline queues: one sweeper at a time, so a peeked head is still
  // the head when polled. Claims that find it held skip their share of the sweep.
  private final ReentrantLock sweepLock = new ReentrantLock();

  /** A store with the defaults: {@link #DEFAULT_MAXIMUM_SIZE} records, the system UTC clock. */
  public InMemoryIdempotencyStore() {
    this(builder());
  }

  private InMemoryIdempotencyStore(Builder builder) {
    this.maximumSize = builder.maximumSize;
    this.clock = builder.clock;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The most records this store holds. */
  public int maximumSize() {
    return maximumSize;
  }

  /** The number of live records (claims and completed), after dropping the expired ones. */
  public int size() {
    cleanUp();
    return size.get();
  }

  /** The number of records held, expired or not: for tests. */
  int storedRecords() {
    return size.get();
  }

  /** The number of records the deadline queues hold, replaced ones not yet dropped included: for tests. */
  int queuedRecords() {
    return leases.queued() + retained.queued();
  }

  /** Drops every expired record now; claims do this a few at a time anyway. */
  public void cleanUp() {
    long now = clock.millis();
    sweepLock.lock();
    try {
      leases.sweep(now, Integer.MAX_VALUE, Integer.MAX_VALUE);
      retained.sweep(now, Integer.MAX_VALUE, Integer.MAX_VALUE);
    } finally {
      sweepLock.unlock();
    }
  }

  @Override
  public ClaimResult claim(RecordId id, String fingerprint, String ownerToken, Duration leaseTtl) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(fingerprint, "fingerprint");
    Objects.requireNonNull(ownerToken, "ownerToken");
    long ttl = ttlMillis(leaseTtl, "leaseTtl");
    long now = clock.millis();
    if ((id.hashCode() & (SWEEP_EVERY - 1)) == 0) sweepSome(now);
    while (true) {
      Entry e = records.get(id);
      if (e != null) {
        if (!e.expiredAt(now)) return answer(e, fingerprint, now);
        expire(e);
        continue; // gone now, by this call or another: look again
      }
      if (!reserveSlot()) {
        if (evictOneCompleted(now)) continue;
        throw new IdempotencyCapacityExceededException(
            "the in-memory idempotency store holds " + maximumSize
                + " claims in progress, its maximum; retry later");
      }
      Entry claim = new Entry(id, fingerprint, ownerToken, null, saturatedAdd(now, ttl));
      if (records.putIfAbsent(id, claim) == null) {
        leases.add(claim);
        return new ClaimResult.Acquired(ownerToken);
      }
      size.decrementAndGet(); // another claim came first: give the slot back, answer from its record
    }
  }

  private static ClaimResult answer(Entry e, String fingerprint, long now) {
    if (!e.fingerprint.equals(fingerprint)) return MISMATCH;
    if (e.completed()) return new ClaimResult.Completed(e.result.clone());
    return new ClaimResult.InProgress(Duration.ofMillis(e.expiresAt - now));
  }

  @Override
  public boolean complete(RecordId id, String ownerToken, byte[] result, Duration retention) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(ownerToken, "ownerToken");
    Objects.requireNonNull(result, "result");
    long ttl = ttlMillis(retention, "retention");
    byte[] copy = result.clone();
    long now = clock.millis();
    while (true) {
      Entry e = owned(id, ownerToken, now);
      if (e == null) return false;
      Entry done = new Entry(id, e.fingerprint, null, copy, saturatedAdd(now, ttl));
      if (records.replace(id, e, done)) {
        e.dead = true;
        retained.add(done);
        return true;
      }
    }
  }

  @Override
  public boolean renew(RecordId id, String ownerToken, Duration leaseTtl) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(ownerToken, "ownerToken");
    long ttl = ttlMillis(leaseTtl, "leaseTtl");
    long now = clock.millis();
    while (true) {
      Entry e = owned(id, ownerToken, now);
      if (e == null) return false;
      Entry renewed = new Entry(id, e.fingerprint, ownerToken, null, saturatedAdd(now, ttl));
      if (records.replace(id, e, renewed)) {
        e.dead = true;
        leases.add(renewed);
        return true;
      }
    }
  }

  @Override
  public boolean release(RecordId id, String ownerToken) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(ownerToken, "ownerToken");
    long now = clock.millis();
    while (true) {
      Entry e = owned(id, ownerToken, now);
      if (e == null) return false;
      if (records.remove(id, e)) {
        size.decrementAndGet();
        e.dead = true;
        return true;
      }
    }
  }

  /**
   * The live claim of {@code id} held by {@code ownerToken}, or null (dropping the record if it
   * expired). The caller changes it only if the map still holds exactly this record.
   */
  private Entry owned(RecordId id, String ownerToken, long now) {
    Entry e = records.get(id);
    if (e == null) return null;
    if (e.expiredAt(now)) {
      expire(e);
      return null;
    }
    return !e.completed() && e.token.equals(ownerToken) ? e : null;
  }

  /** Drops an expired record, unless the map holds another record for its id by now. */
  private void expire(Entry e) {
    if (records.remove(e.id, e)) {
      size.decrementAndGet();
      e.dead = true;
    }
  }

  private boolean reserveSlot() {
    while (true) {
      int s = size.get();
      if (s >= maximumSize) return false;
      if (size.compareAndSet(s, s + 1)) return true;
    }
  }

  /** A claim's share of the sweep: skipped if nothing is due, or another thread is sweeping. */
  private void sweepSome(long now) {
    if (!leases.due(now) && !retained.due(now)) return;
    if (!sweepLock.tryLock()) return;
    try {
      leases.sweep(now, SWEEP_BATCH, SWEEP_POLLS);
      retained.sweep(now, SWEEP_BATCH, SWEEP_POLLS);
    } finally {
      sweepLock.unlock();
    }
  }

  /**
   * Makes room: drops every expired record, and if the store is still full, evicts the completed
   * record closest to expiry. False if there is none (every record is a live claim).
   */
  private boolean evictOneCompleted(long now) {
    sweepLock.lock();
    try {
      leases.sweep(now, Integer.MAX_VALUE, Integer.MAX_VALUE);
      retained.sweep(now, Integer.MAX_VALUE, Integer.MAX_VALUE);
      while (size.get() >= maximumSize) {
        Entry oldest = retained.pollEarliestLive();
        if (oldest == null) return false;
        if (records.remove(oldest.id, oldest)) {
          size.decrementAndGet();
          oldest.dead = true;
        }
      }
      return true;
    } finally {
      sweepLock.unlock();
    }
  }

  private static long ttlMillis(Duration ttl, String name) {
    Objects.requireNonNull(ttl, name);
    if (ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException(name + " must be positive: " + ttl);
    }
    if (ttl.compareTo(Duration.ofMillis(MAX_TTL_MILLIS)) > 0) {
      throw new IllegalArgumentException(name + " is over 100 years: " + ttl);
    }
    return Math.max(1, ttl.toMillis());
  }

  private static long saturatedAdd(long a, long b) {
    long r = a + b;
    return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
  }

  /**
   * The records of one kind (claims, or completed records) in deadline order: a FIFO queue in
   * write order while deadlines arrive in order, which is the case for one guard's records, and an
   * ordered set for a record whose deadline is earlier than the last one queued. Records are
   * appended by any thread; only the holder of the sweep lock removes, so a peeked head stays the
   * head until it polls it.
   *
   * <p>Writers racing to append may queue records a few milliseconds out of order (each reads the
   * last deadline, then appends); such a record is dropped or evicted that much late, never early,
   * since every drop checks the record's own deadline.
   */
  private final class Deadlines {
    private final ConcurrentLinkedQueue<Entry> inOrder = new ConcurrentLinkedQueue<>();
    private final ConcurrentSkipListSet<Slot> outOfOrder = new ConcurrentSkipListSet<>(Slot.BY_TIME);
    private final AtomicLong lastQueued = new AtomicLong(Long.MIN_VALUE);
    private final AtomicLong sequence = new AtomicLong();

    void add(Entry e) {
      long last = lastQueued.get();
      if (e.expiresAt >= last) {
        // Many records share a millisecond, and so a deadline: most appends write nothing here.
        if (e.expiresAt > last) lastQueued.compareAndSet(last, e.expiresAt);
        inOrder.offer(e);
      } else {
        outOfOrder.add(new Slot(e.expiresAt, sequence.incrementAndGet(), e));
      }
    }

    int queued() {
      return inOrder.size() + outOfOrder.size();
    }

    /** Whether a sweep has something to do: a replaced record to forget or an expired one to drop. */
    boolean due(long now) {
      Entry head = inOrder.peek();
      if (head != null && (head.dead || head.expiresAt <= now)) return true;
      if (outOfOrder.isEmpty()) return false;
      Slot first = outOfOrder.ceiling(Slot.MIN); // not first(): the sweeper may empty it meanwhile
      return first != null && (first.entry.dead || first.at <= now);
    }

    /** Drops up to {@code maxExpired} expired records from each structure; the lock is held. */
    void sweep(long now, int maxExpired, int maxPolls) {
      int expired = 0;
      for (int polls = 0; expired < maxExpired && polls < maxPolls; polls++) {
        Entry head = inOrder.peek();
        if (head == null || (!head.dead && head.expiresAt > now)) break;
        inOrder.poll();
        if (!head.dead) {
          expire(head);
          expired++;
        }
      }
      expired = 0;
      for (int polls = 0; expired < maxExpired && polls < maxPolls; polls++) {
        Slot first = outOfOrder.isEmpty() ? null : outOfOrder.first();
        if (first == null || (!first.entry.dead && first.at > now)) break;
        outOfOrder.remove(first);
        if (!first.entry.dead) {
          expire(first.entry);
          expired++;
        }
      }
    }

    /** Removes and returns the live record with the earliest deadline, or null; the lock is held. */
    Entry pollEarliestLive() {
      while (true) {
        Entry head = inOrder.peek();
        if (head != null && head.dead) {
          inOrder.poll();
          continue;
        }
        Slot first = outOfOrder.isEmpty() ? null : outOfOrder.first();
        if (first != null && first.entry.dead) {
          outOfOrder.remove(first);
          continue;
        }
        if (first != null && (head == null || first.at < head.expiresAt)) {
          outOfOrder.remove(first);
          return first.entry;
        }
        if (head != null) inOrder.poll();
        return head;
      }
    }
  }

  /** A record in the ordered set; {@code seq} tells apart records with the same deadline. */
  private record Slot(long at, long seq, Entry entry) {
    static final Slot MIN = new Slot(Long.MIN_VALUE, Long.MIN_VALUE, null);
    static final Comparator<Slot> BY_TIME = Comparator.comparingLong(Slot::at).thenComparingLong(Slot::seq);
  }

  /**
   * One immutable record: a claim ({@code token != null}) or a completed one ({@code result}), and
   * when it expires. A change replaces it in the map with a new one.
   */
  private static final class Entry {
    final RecordId id;
    final String fingerprint;
    final String token;
    final byte[] result;
    final long expiresAt; // millis by the clock
    // Set once the map no longer holds this record (replaced or removed), so the queues forget it.
    // A plain field: a sweeper that reads it late only checks the record's deadline first, and a
    // drop removes a record only if the map still holds this very one.
    boolean dead;

    Entry(RecordId id, String fingerprint, String token, byte[] result, long expiresAt) {
      this.id = id;
      this.fingerprint = fingerprint;
      this.token = token;
      this.result = result;
      this.expiresAt = expiresAt;
    }

    boolean completed() {
      return result != null;
    }

    boolean expiredAt(long now) {
      return expiresAt <= now;
    }
  }

  /**
   * Builds an {@link InMemoryIdempotencyStore}. Not threadsafe; the store it builds is.
   */
  public static final class Builder {
    private int maximumSize = DEFAULT_MAXIMUM_SIZE;
    private Clock clock = Clock.systemUTC();

    private Builder() {}

    /** The most records held, claims and completed together. Default {@link #DEFAULT_MAXIMUM_SIZE}. */
    public Builder maximumSize(int maximumSize) {
      if (maximumSize < 1) {
        throw new IllegalArgumentException("maximumSize must be at least 1: " + maximumSize);
      }
      this.maximumSize = maximumSize;
      return this;
    }

    /** The clock that expires records. Default {@link Clock#systemUTC()}; tests pass a fake one. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    public InMemoryIdempotencyStore build() {
      return new InMemoryIdempotencyStore(this);
    }
  }
}
