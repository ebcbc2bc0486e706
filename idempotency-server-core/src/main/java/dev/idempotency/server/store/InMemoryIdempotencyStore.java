package dev.idempotency.server.store;

import dev.idempotency.contract.Ticker;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An {@link IdempotencyStore} in this JVM's heap, for a single instance of a service (several
 * instances need a shared store such as Redis).
 *
 * <p>Every record expires by the injected {@link Ticker}, to the millisecond: a claim when its lease
 * TTL passes, a completed record when its retention passes. An expired record is absent: the next
 * claim acquires it, and the old owner's {@code complete}, {@code renew} and {@code release} answer
 * false.
 *
 * <p><b>Fencing tokens.</b> Tokens increase strictly across the successive owners of one record, as
 * the contract asks, a lease that expires included: a claim's token is above the highest token of
 * every record that has left the store (released, expired or evicted; a record keeps its owner's
 * token through renewals and its completion), and every earlier owner of the record has left by
 * then. Tokens are also unique across all the store's claims, and claims made a microsecond or
 * more apart get increasing tokens: a token is a sequence number of the claiming thread's lane,
 * at least the microseconds since the epoch (the wall clock when the store was made, then its
 * ticker), in the high bits and the lane in the low bits. So a store made after a restart starts
 * above the tokens of the one before, as long as no lane acquired more than a million claims a
 * second and the wall clock did not step back between the two. The records themselves do not
 * survive a restart. (One counter incremented by every claim did the same, but two request
 * threads then wrote its line on every new key.)
 *
 * <p><b>Bounds.</b> The store holds at most {@link Builder#maximumSize(int) maximumSize} records,
 * claims and completed records together, and each scope (the namespace and scope of a
 * {@link RecordId}: one caller of one service) at most its share,
 * {@link Builder#maximumSizePerScope(int) maximumSizePerScope}, a tenth of the bound by default.
 * Only a new record needs room: a repeat of a record held is answered whatever the bounds. A new
 * claim of a scope at its share, or one that finds the store full, first drops the expired
 * records; if there is still no room, {@link #claim} throws
 * {@link IdempotencyCapacityExceededException}, whose message says which bound was met (never the
 * scope), and nothing is stored. An HTTP layer answers it 503, and the client retries later with
 * the same key. One caller flooding the store with new keys so fills its own share, while the
 * other scopes claim as before.
 *
 * <p>By default no record is dropped before it expires: a completed record is kept for its whole
 * retention, so a retry within it is a replay, never a second run of the business code, whatever
 * other callers send meanwhile. {@link Builder#evictCompletedEarly} lets a full store evict the
 * completed record closest to its expiry instead (of any scope; with one retention for all records
 * it is the oldest), and tells an {@link EvictionListener}; a retry of that key then runs the
 * business code again. A claim in progress is never evicted.
 *
 * <p>Design: a {@link ConcurrentHashMap} of records, one object per record from its claim until it
 * leaves. A claim is one {@code putIfAbsent}; a record's kind (claim, completed, dead) and deadline
 * are one word of it, so a completion or a renewal is one compare-and-set of that word in place,
 * with no map operation, and a release or an expiry marks it dead first and then removes it from
 * the map ({@code remove} of that very record). Two changes of one record are so ordered, one of
 * them first, and a repeat of a completed record is answered by a lock-free read. (Records were
 * immutable before, each change a {@code replace} in the map: completing in place saved a new key
 * a map lookup, a locked map write and a record.) The bounds are counts kept
 * exact alongside the map: a new claim reserves a slot in its scope's counter (one map lookup and
 * one compare-and-set) and one in the global count (from its thread's spare slots, taken 32 at a
 * time) before it inserts, and the removal of a record gives both back; a scope's counter leaves its map at zero, so
 * that map never holds more scopes than the store holds records. A store whose share is the whole store (a service with one scope)
 * keeps no scope counters: no share can be met before the global bound is. Expiry is kept in write
 * order, as Caffeine's {@code expireAfterWrite} keeps it: a guard gives all its records one lease
 * TTL and one retention, so records written later expire later, and FIFO queues per kind (claims,
 * completed records; a few lanes each, chosen by the writing thread, so threads do not write one
 * tail) hold them in deadline order at O(1) per write. A record whose deadline is earlier than the
 * last one queued (another TTL) goes to an ordered set instead, so the order stays exact whatever
 * the TTLs. A record that changed kind since it was queued (a claim completed, a record gone) is
 * dropped from its queue when it reaches the head, and a claim renewed since is queued again. One new claim in 32 drops a few expired records (no thread, no timer), one thread at a time;
 * a claim that finds no room drops them all first. Caffeine was the first candidate, but its only
 * way to pin an entry is a weight of zero, which takes claims out of the bound: the store would
 * either hold up to twice its maximum or have to resize the cache on every claim.
 *
 * <p>The array given to {@link #complete} is copied, and {@link ClaimResult.Completed#result()}
 * returns a copy: a caller may modify its own. The guards hand their arrays over
 * ({@link #completeHandingOver}, kept as they are) and read a replay's bytes in place
 * ({@link ClaimResult.Completed#read}), which saves each new key and each replay a copy of the
 * answer.
 *
 * <p>This class is threadsafe.
 */
public final class InMemoryIdempotencyStore implements IdempotencyStore {

  /**
   * 100,000 records: at one new key per second, a day of the default 24 h retention, and with
   * answers of a few hundred bytes some tens of MiB of heap. Size it to the heap and the traffic.
   */
  public static final int DEFAULT_MAXIMUM_SIZE = 100_000;

  /**
   * A scope's default share is the maximum size divided by this: one caller can then take at most
   * a tenth of the room, and ten callers at their share are needed to fill the store, while a
   * caller of the default store still has 10,000 records, a new key every nine seconds around the
   * clock for the default 24 h retention. A service with few callers, or one (no login), raises
   * the share.
   */
  public static final int DEFAULT_SCOPE_SHARE_DIVISOR = 10;

  private static final System.Logger LOG = System.getLogger(InMemoryIdempotencyStore.class.getName());

  // Matches the Redis store: longer TTLs are mistakes (and would overflow the clock arithmetic).
  private static final Duration MAX_TTL = Duration.ofDays(36_525);

  // One new claim in SWEEP_EVERY (counted in the claiming thread's claim lane, a line it writes
  // anyway; chosen by the record's hash before, whose low bits took a few values only for keys
  // that differ in a digit or two, so that some namespaces met no sweep for a thousand claims) drops up to SWEEP_BATCH expired records per queue: amortizes the sweep like Caffeine's
  // maintenance, so no single call pays for a large batch of expiries, and the lock and the queue
  // heads are touched by few calls. That drops twice as fast as claims add records. Replaced
  // records leave the queues at up to four times that rate (a poll each, no map operation). Only
  // a claim that adds a record sweeps: a repeat adds nothing to drop. (One in 8 with batches of 16
  // drops as fast, but its check of every lane's head, lines the other request threads write,
  // cost two threads about 0.04x of a new key; one in 32 pays it a quarter as often.)
  private static final int SWEEP_EVERY = 32;
  private static final int SWEEP_BATCH = 64;
  private static final int SWEEP_POLLS = 4 * SWEEP_BATCH;
  // Lanes of each deadline queue (see Deadlines): a power of two, two per processor, 2 to 16.
  private static final int LANES = Math.min(16, Math.max(2,
      Integer.highestOneBit(Math.max(1, Runtime.getRuntime().availableProcessors()) * 2 - 1) << 1));

  // The low bits of a fencing token: the lane of the thread that drew it.
  private static final int TOKEN_LANE_BITS = Integer.numberOfTrailingZeros(LANES);
  // Slots a lane takes from the store's bound at a time (see claimLanes).
  private static final int SLOT_CHUNK = 32;

  private static final ClaimResult MISMATCH = new ClaimResult.FingerprintMismatch();

  private final int maximumSize;
  private final int maximumSizePerScope;
  // What a scope's counter may reach: the share; or, when the share is the whole store, no limit
  // of its own and no counter at all (the global count bounds every scope then, and a full store
  // may still evict early).
  private final int scopeLimit;
  private final EvictionListener evictionListener; // null: completed records live out their retention
  private final Ticker ticker;
  private final long origin; // the ticker's reading when the store was made: times count from it
  // The highest fencing token of a record that left the map (released, expired, evicted), raised
  // BEFORE the record leaves: a claim that finds its record absent reads it after, and takes the
  // next token, above every earlier owner's. Written only when a record leaves, so the claims of
  // new keys, which only read it, share no written line (see the class documentation).
  private final AtomicLong retiredTokens = new AtomicLong();
  private final long originMicros; // the wall clock, in microseconds since the epoch, when made
  private final ConcurrentHashMap<RecordId, Entry> records = new ConcurrentHashMap<>();
  // The records of each scope, claims about to insert included; a counter leaves when it is zero.
  private final ConcurrentHashMap<ScopeKey, ScopeCount> scopes = new ConcurrentHashMap<>();
  private final Deadlines leases = new Deadlines(Entry.LEASE);
  private final Deadlines retained = new Deadlines(Entry.DONE);
  // The number of records in `records`, plus the slots reserved by claims about to insert one,
  // plus the spare slots the lanes hold (claimLanes): a claim reserves before it inserts, so the map
  // never holds more than maximumSize records.
  private final AtomicInteger size = new AtomicInteger();
  // Free slots taken from `size` ahead of need, per lane (chosen by the thread, as the deadline
  // lanes are): a claim reserves a slot from its lane, which refills SLOT_CHUNK at a time, and a
  // record that leaves gives its slot to the lane of the thread that removes it, so two request
  // threads write `size` once every SLOT_CHUNK claims instead of on every one. The bound stays
  // exact: spare slots are counted in `size`, and a claim that finds `size` at the bound takes
  // every lane's spare slots back before it makes room or refuses. A lane also holds its last
  // fencing sequence number (see claimSlotAndToken), in the same word: a new claim takes its slot
  // and its token with one compare-and-set, where two lanes took two.
  private final ClaimLane[] claimLanes = new ClaimLane[LANES];
  // Held while removing from the deadline queues: one sweeper at a time, so a peeked head is still
  // the head when polled. Claims that find it held skip their share of the sweep.
  private final ReentrantLock sweepLock = new ReentrantLock();

  /**
   * A store with the defaults: {@link #DEFAULT_MAXIMUM_SIZE} records, a tenth of them per scope,
   * no early eviction, the system ticker.
   */
  public InMemoryIdempotencyStore() {
    this(builder());
  }

  private InMemoryIdempotencyStore(Builder builder) {
    this.maximumSize = builder.maximumSize;
    this.maximumSizePerScope = builder.maximumSizePerScope == 0
        ? Math.max(1, builder.maximumSize / DEFAULT_SCOPE_SHARE_DIVISOR)
        : builder.maximumSizePerScope;
    this.scopeLimit = maximumSizePerScope == maximumSize ? Integer.MAX_VALUE : maximumSizePerScope;
    this.evictionListener = builder.evictionListener;
    this.ticker = builder.ticker;
    this.origin = ticker.read();
    this.originMicros = TimeUnit.MILLISECONDS.toMicros(System.currentTimeMillis());
    for (int i = 0; i < LANES; i++) claimLanes[i] = new ClaimLane();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The most records this store holds. */
  public int maximumSize() {
    return maximumSize;
  }

  /** The most records one scope (namespace and scope of a {@link RecordId}) holds. */
  public int maximumSizePerScope() {
    return maximumSizePerScope;
  }

  /** Whether a full store evicts completed records before their retention ends. */
  public boolean evictsCompletedEarly() {
    return evictionListener != null;
  }

  /** The number of live records (claims and completed), after dropping the expired ones. */
  public int size() {
    cleanUp();
    return size.get() - spareSlots();
  }

  /** The number of records held, expired or not: for tests. */
  int storedRecords() {
    return size.get() - spareSlots();
  }

  /** The number of records the deadline queues hold, changed ones not yet dropped included: for tests. */
  int queuedRecords() {
    return leases.queued() + retained.queued();
  }

  /** The number of records held for one scope, expired or not: for tests. */
  int storedRecords(String namespace, String scope) {
    ScopeCount count = scopes.get(new ScopeKey(namespace, scope));
    return count == null ? 0 : Math.max(0, count.get());
  }

  /** The number of scopes with a counter: for tests. */
  int countedScopes() {
    return scopes.size();
  }

  /**
   * This store's ticker: it reports when each lease began, by it. A guard built with the same
   * ticker reads none of its own for a call (see {@link IdempotencyStore#leaseTicker()}).
   */
  @Override
  public Ticker leaseTicker() {
    return ticker;
  }

  /** Drops every expired record now; claims do this a few at a time anyway. */
  public void cleanUp() {
    dropExpired(now());
  }

  @Override
  public ClaimResult claim(RecordId id, String fingerprint, String ownerToken, Duration leaseTtl) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(fingerprint, "fingerprint");
    Objects.requireNonNull(ownerToken, "ownerToken");
    long ttl = ttlMillis(leaseTtl, "leaseTtl");
    long nanos = ticker.read() - origin;
    long now = TimeUnit.NANOSECONDS.toMillis(nanos); // as now()
    while (true) {
      Entry e = records.get(id);
      if (e != null) {
        long s = e.state;
        int kind = Entry.kind(s);
        if (kind < Entry.DEAD && Entry.deadline(s) > now) return answer(e, s, fingerprint, now);
        // Expired, or dead: gone now, by this call or another (or changed); or being completed:
        // done in a moment. Look again.
        drop(e, s);
        continue;
      }
      int laneIndex = lane();
      ClaimLane lane = claimLanes[laneIndex];
      if ((++lane.claims & (SWEEP_EVERY - 1)) == 0) sweepSome(now); // racy if shared: about one in 32
      ScopeCount scope = reserveInScope(id, now);
      long fencingToken = claimSlotAndToken(lane, laneIndex, nanos, now);
      if (fencingToken < 0) {
        giveBack(scope);
        throw new IdempotencyCapacityExceededException(
            evictionListener == null
                ? "the in-memory idempotency store holds " + maximumSize + " records, its maximum"
                    + " (maximumSize), and keeps completed ones for their retention; retry later"
                : "the in-memory idempotency store holds " + maximumSize + " claims in progress,"
                    + " its maximum (maximumSize); retry later");
      }
      Entry claim = new Entry(id, fingerprint, ownerToken, scope, fencingToken, deadline(now, ttl));
      if (records.putIfAbsent(id, claim) == null) {
        leases.add(claim);
        // The lease began at the start of the millisecond it counts from: leaseTtl after that, its
        // deadline passes (see leaseTicker).
        return new ClaimResult.Acquired(ownerToken, fencingToken, origin + TimeUnit.MILLISECONDS.toNanos(now));
      }
      // Another claim came first: give the slots back, answer from its record.
      freeSlot();
      giveBack(scope);
    }
  }

  private static ClaimResult answer(Entry e, long state, String fingerprint, long now) {
    if (!e.fingerprint.equals(fingerprint)) return MISMATCH;
    // Not copied here: Completed.result() copies, and the guard reads the bytes in place. The
    // result was set before the state said DONE, so the state read first shows it.
    if (Entry.kind(state) == Entry.DONE) return new ClaimResult.Completed(e.result);
    return new ClaimResult.InProgress(Duration.ofMillis(Entry.deadline(state) - now));
  }

  @Override
  public boolean complete(RecordId id, String ownerToken, byte[] result, Duration retention) {
    Objects.requireNonNull(result, "result");
    return completeHandingOver(id, ownerToken, result.clone(), retention);
  }

  /**
   * {@link #complete} without the copy: the store keeps {@code result} itself. The claim is
   * completed in place, one compare-and-set on its record; the thread that claimed it finds it in
   * its lane's newest-claim slot, without a map lookup.
   */
  @Override
  public boolean completeHandingOver(RecordId id, String ownerToken, byte[] result, Duration retention) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(ownerToken, "ownerToken");
    Objects.requireNonNull(result, "result");
    long ttl = ttlMillis(retention, "retention");
    long now = now();
    Entry newest = leases.newestOfThisLane();
    // Only a success is taken from the slot: any other answer is looked up in the map (a caller
    // may claim a record again with the same token, on another thread).
    if (newest != null && newest.id == id && tryComplete(newest, ownerToken, result, now, ttl) == DONE_NOW) {
      return true;
    }
    while (true) {
      Entry e = live(id, now);
      if (e == null) return false;
      int outcome = tryComplete(e, ownerToken, result, now, ttl);
      if (outcome != LOOK_AGAIN) return outcome == DONE_NOW;
    }
  }

  private static final int DONE_NOW = 0;
  private static final int NOT_OWNED = 1;
  private static final int LOOK_AGAIN = 2;

  /**
   * Completes {@code e} in place if {@code ownerToken} holds its live claim: {@link #DONE_NOW},
   * {@link #NOT_OWNED}, or {@link #LOOK_AGAIN} if the record expired or left meanwhile.
   */
  private int tryComplete(Entry e, String ownerToken, byte[] result, long now, long ttl) {
    long s = e.state;
    if (Entry.kind(s) != Entry.LEASE || !ownerToken.equals(e.token)) {
      return Entry.kind(s) == Entry.DEAD ? LOOK_AGAIN : NOT_OWNED;
    }
    if (Entry.deadline(s) <= now) return LOOK_AGAIN;
    // One compare-and-set takes the claim from its owner: a second complete racing this one, a
    // release or an expiry then finds no live claim. The result and the completed state follow
    // with plain ordered writes (no locked instruction); a reader that sees DONE sees the result.
    long deadline = deadline(now, ttl);
    while (!e.casState(s, Entry.state(deadline, Entry.COMPLETING))) {
      s = e.state; // renewed meanwhile: try again; completed, released, expired or dropped: gone
      if (Entry.kind(s) != Entry.LEASE) return Entry.kind(s) == Entry.DEAD ? LOOK_AGAIN : NOT_OWNED;
      if (Entry.deadline(s) <= now) return LOOK_AGAIN;
    }
    e.result = result;
    e.token = null;
    e.setStateRelease(Entry.state(deadline, Entry.DONE));
    retained.add(e);
    return DONE_NOW;
  }

  @Override
  public boolean renew(RecordId id, String ownerToken, Duration leaseTtl) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(ownerToken, "ownerToken");
    long ttl = ttlMillis(leaseTtl, "leaseTtl");
    long now = now();
    long until = deadline(now, ttl);
    while (true) {
      Entry e = live(id, now);
      if (e == null) return false;
      long s = e.state;
      if (Entry.kind(s) == Entry.DEAD || Entry.deadline(s) <= now) continue; // changed meanwhile: look again
      if (Entry.kind(s) != Entry.LEASE || !ownerToken.equals(e.token)) return false;
      if (e.casState(s, Entry.state(until, Entry.LEASE))) {
        // In place: where the claim is queued, a sweep that finds it renewed queues it again at its
        // new deadline. A shorter lease is queued again now, so that it is not dropped late.
        if (until < Entry.deadline(s)) leases.addOutOfOrder(e, until);
        return true;
      }
    }
  }

  @Override
  public boolean release(RecordId id, String ownerToken) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(ownerToken, "ownerToken");
    long now = now();
    while (true) {
      Entry e = live(id, now);
      if (e == null) return false;
      long s = e.state;
      if (Entry.kind(s) == Entry.DEAD || Entry.deadline(s) <= now) continue; // changed meanwhile: look again
      if (Entry.kind(s) != Entry.LEASE || !ownerToken.equals(e.token)) return false;
      if (e.casState(s, Entry.dead(s))) {
        unlink(e);
        return true;
      }
    }
  }

  /**
   * The live record of {@code id} (a claim or a completed one), or null; records found expired or
   * dead are dropped on the way. The caller changes it only by a compare-and-set of the state read.
   */
  private Entry live(RecordId id, long now) {
    while (true) {
      Entry e = records.get(id);
      if (e == null) return null;
      long s = e.state;
      if (Entry.kind(s) != Entry.DEAD && Entry.deadline(s) > now) return e;
      drop(e, s);
    }
  }

  /**
   * Drops {@code e}, found expired or dead in state {@code s}: marks it dead (unless its state
   * changed meanwhile: the caller looks again) and takes it out of the map.
   */
  private void drop(Entry e, long s) {
    int kind = Entry.kind(s);
    if (kind == Entry.COMPLETING) {
      // Never dropped: its completing thread makes it DONE within a few instructions. A claim
      // waits for that rather than answer "in progress" for a call that has ended; the yield lets
      // that thread run if it was descheduled in between.
      Thread.yield();
      return;
    }
    if (kind == Entry.DEAD || e.casState(s, Entry.dead(s))) unlink(e);
  }

  /**
   * Takes a dead record out of the map and accounts for it, once, whichever thread gets there
   * first: its fencing token is retired first (so the next owner's is higher), then its slots are
   * freed. Whether this call removed it.
   */
  private boolean unlink(Entry e) {
    long retired = retiredTokens.get();
    while (retired < e.fencingToken && !retiredTokens.compareAndSet(retired, e.fencingToken)) {
      retired = retiredTokens.get();
    }
    if (!records.remove(e.id, e)) return false;
    freeSlot();
    giveBack(e.scope);
    return true;
  }

  /**
   * Drops a record the sweep found expired in its queue; whether it did (a renewed claim is not
   * expired: it is queued again at its new deadline). {@code kind}: the records the queue holds;
   * a record of another kind (a claim completed since) or dead is only forgotten.
   */
  private boolean settle(Entry e, int kind, long now) {
    while (true) {
      long s = e.state;
      if (Entry.kind(s) != kind) return false;
      if (Entry.deadline(s) > now) {
        leases.requeue(e, Entry.deadline(s)); // only claims are renewed
        return false;
      }
      if (e.casState(s, Entry.dead(s))) return unlink(e);
    }
  }

  /**
   * Reserves a slot in the global count, making room if the store is full (see {@link #makeRoom}),
   * and draws a fresh fencing token from the same lane: the token, or -1 if there is no room.
   *
   * <p>The token is read after the lookup that found the record absent: every earlier owner's
   * record had left by then, and raised {@link #retiredTokens} to its token before leaving. It is
   * above every token retired so far, unique (a lane's sequence, and the lane in the low bits), and
   * at least the microseconds since the epoch, {@code nanos} after the store was made, in its high
   * bits (see the class documentation).
   */
  private long claimSlotAndToken(ClaimLane lane, int laneIndex, long nanos, long now) {
    long floor = Math.max((retiredTokens.get() >>> TOKEN_LANE_BITS) + 1, originMicros + nanos / 1_000);
    while (true) {
      long token = takeSlotAndToken(lane, laneIndex, floor, 0);
      if (token >= 0) return token;
      int held = size.get();
      if (held < maximumSize) {
        int take = Math.min(SLOT_CHUNK, maximumSize - held); // one for this claim, the rest spare
        if (size.compareAndSet(held, held + take)) return takeSlotAndToken(lane, laneIndex, floor, take);
        continue;
      }
      if (takeBackSpareSlots() > 0) continue;
      if (!makeRoom(now)) return -1;
    }
  }

  /**
   * Adds {@code added} slots to the lane's spare ones, takes one of them and the lane's next token
   * in one write: the token, or -1 (nothing written) if the lane has no slot to take.
   */
  private static long takeSlotAndToken(ClaimLane lane, int laneIndex, long floor, int added) {
    while (true) {
      long s = lane.get();
      int spare = ClaimLane.spare(s) + added;
      if (spare == 0) return -1;
      long sequence = Math.max(ClaimLane.sequence(s) + 1, floor);
      if (lane.compareAndSet(s, ClaimLane.state(sequence, spare - 1))) return token(sequence, laneIndex);
    }
  }

  private static long token(long sequence, int laneIndex) {
    return (sequence << TOKEN_LANE_BITS) | laneIndex;
  }

  /** Frees one slot (a record left, or a reservation was not used) into this thread's lane. */
  private void freeSlot() {
    ClaimLane lane = claimLanes[lane()];
    while (true) {
      long s = lane.get();
      int spare = ClaimLane.spare(s) + 1;
      if (spare <= 2 * SLOT_CHUNK) {
        if (lane.compareAndSet(s, s + 1)) return;
      } else if (lane.compareAndSet(s, ClaimLane.state(ClaimLane.sequence(s), SLOT_CHUNK))) {
        // Keep a chunk for the next claims; give the rest back, so that spare slots stay few.
        size.addAndGet(SLOT_CHUNK - spare);
        return;
      }
    }
  }

  /** Takes every lane's spare slots back into {@code size}; how many there were. */
  private int takeBackSpareSlots() {
    int taken = 0;
    for (ClaimLane lane : claimLanes) {
      while (true) {
        long s = lane.get();
        int spare = ClaimLane.spare(s);
        if (spare == 0) break;
        if (lane.compareAndSet(s, ClaimLane.state(ClaimLane.sequence(s), 0))) {
          size.addAndGet(-spare);
          taken += spare;
          break;
        }
      }
    }
    return taken;
  }

  /** The spare slots the lanes hold now (exact when no claim runs). */
  private int spareSlots() {
    int spare = 0;
    for (ClaimLane lane : claimLanes) spare += ClaimLane.spare(lane.get());
    return spare;
  }

  @SuppressWarnings("deprecation") // Thread.getId: threadId() is Java 19; the id only picks a lane
  private static int lane() {
    return (int) Thread.currentThread().getId() & (LANES - 1);
  }

  /**
   * Reserves a slot in the counter of {@code id}'s scope, creating the counter if the scope holds
   * nothing. At its share it drops the expired records and tries again, unless none is due.
   *
   * @throws IdempotencyCapacityExceededException if the scope holds its share of live records
   */
  private ScopeCount reserveInScope(RecordId id, long now) {
    // No share of its own (the share is the whole store): the global count is the only bound, and
    // a counter per scope would cost every new key a lookup and a compare-and-set for nothing.
    if (scopeLimit == Integer.MAX_VALUE) return null;
    ScopeKey key = new ScopeKey(id.namespace(), id.scope());
    while (true) {
      ScopeCount count = scopes.get(key);
      if (count == null) {
        ScopeCount fresh = new ScopeCount(key); // born holding this claim's slot
        count = scopes.putIfAbsent(key, fresh);
        if (count == null) return fresh;
      }
      int reserved = count.tryReserve(scopeLimit);
      if (reserved == ScopeCount.RESERVED) return count;
      if (reserved == ScopeCount.DEAD) {
        scopes.remove(key, count); // its last record left meanwhile: put a new counter in its place
        continue;
      }
      if (!leases.due(now) && !retained.due(now)) {
        throw new IdempotencyCapacityExceededException(
            "the caller's scope holds " + maximumSizePerScope + " records of the in-memory"
                + " idempotency store, the most one scope may hold (maximumSizePerScope); retry later");
      }
      dropExpired(now);
    }
  }

  /** Gives back a slot of a scope's counter; the counter leaves the map when none is left. */
  private void giveBack(ScopeCount count) {
    if (count == null) return; // a store without shares counts no scope
    if (count.decrementAndGet() == 0 && count.compareAndSet(0, ScopeCount.DEAD)) {
      scopes.remove(count.key, count);
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

  /** Drops every expired record, after any sweep in progress. */
  private void dropExpired(long now) {
    sweepLock.lock();
    try {
      leases.sweep(now, Integer.MAX_VALUE, Integer.MAX_VALUE);
      retained.sweep(now, Integer.MAX_VALUE, Integer.MAX_VALUE);
    } finally {
      sweepLock.unlock();
    }
  }

  /**
   * Makes room in a full store: drops every expired record and, with
   * {@link Builder#evictCompletedEarly}, evicts the completed records closest to expiry while the
   * store is full, telling the listener once the lock is released. Whether it made room (another
   * claim may take it first: the caller tries again).
   */
  private boolean makeRoom(long now) {
    List<Entry> evicted = null;
    boolean room;
    sweepLock.lock();
    try {
      int dropped = leases.sweep(now, Integer.MAX_VALUE, Integer.MAX_VALUE)
          + retained.sweep(now, Integer.MAX_VALUE, Integer.MAX_VALUE);
      // Room was made if the store was seen below its bound or a record left, even if a claim on
      // another thread took that slot since: the caller tries again (and makes room again),
      // rather than refusing a store that had some.
      room = dropped > 0;
      while (!room) {
        takeBackSpareSlots();
        if (size.get() < maximumSize) {
          room = true;
        } else {
          Entry oldest = evictionListener == null ? null : retained.pollEarliestLive();
          if (oldest == null) break; // every record is a live claim, or kept for its retention
          if (evict(oldest)) {
            if (evicted == null) evicted = new ArrayList<>(1);
            evicted.add(oldest);
            room = true;
          }
        }
      }
    } finally {
      sweepLock.unlock();
    }
    if (evicted != null) {
      for (Entry e : evicted) {
        try {
          evictionListener.evicted(e.id, Duration.ofMillis(Math.max(0, Entry.deadline(e.state) - now)));
        } catch (RuntimeException listenerBug) {
          LOG.log(System.Logger.Level.WARNING, "an EvictionListener threw; ignored", listenerBug);
        }
      }
    }
    return room;
  }

  /** Milliseconds since the store was made, by its ticker: never wraps, never goes back. */
  private long now() {
    return TimeUnit.NANOSECONDS.toMillis(ticker.read() - origin);
  }

  private static long ttlMillis(Duration ttl, String name) {
    Objects.requireNonNull(ttl, name);
    if (ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException(name + " must be positive: " + ttl);
    }
    if (ttl.compareTo(MAX_TTL) > 0) {
      throw new IllegalArgumentException(name + " is over 100 years: " + ttl);
    }
    return Math.max(1, ttl.toMillis());
  }

  /** Evicts a completed record before its deadline; false if it left or changed meanwhile. */
  private boolean evict(Entry e) {
    while (true) {
      long s = e.state;
      if (Entry.kind(s) != Entry.DONE) return false;
      if (e.casState(s, Entry.dead(s))) return unlink(e);
    }
  }

  /** The deadline {@code ttl} ms after {@code now}, at most what a record's state can hold. */
  private static long deadline(long now, long ttl) {
    return Math.min(saturatedAdd(now, ttl), Entry.MAX_DEADLINE);
  }

  private static long saturatedAdd(long a, long b) {
    long r = a + b;
    return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
  }

  /**
   * The records of one kind (claims, or completed records) in deadline order: FIFO queues in
   * write order while deadlines arrive in order, which is the case for one guard's records, and an
   * ordered set for a record whose deadline is earlier than the last one queued in its lane.
   * Records are appended by any thread; only the holder of the sweep lock removes, so a peeked head
   * stays the head until it polls it.
   *
   * <p>The queue is striped into lanes, one chosen by the appending thread: each lane is in
   * deadline order by itself, and a sweep takes the expired heads of every lane. One queue for all
   * threads had every append of two request threads write the same tail: at two threads that cost
   * about a quarter of a new key, more than the rest of the store's bookkeeping together.
   *
   * <p>Writers racing to append to one lane may queue records a few milliseconds out of order
   * (each reads the last deadline, then appends); such a record is dropped or evicted that much
   * late, never early, since every drop checks the record's own deadline.
   *
   * <p>A record changes in place, so a queue holds records of other kinds too: a claim completed
   * since it was queued (it is queued with the completed records as well), and records that left.
   * The sweep forgets those when they reach the head. A completed record's deadline never changes,
   * so the completed records are queued as they are; a claim's deadline moves when it is renewed,
   * so the claims are queued with the deadline they had ({@link Slot}), and a sweep that finds one
   * renewed at that deadline queues it again at its new one.
   *
   * <p>The claims' lanes ({@code holdNewest}) keep their newest record out of the queue, in a slot
   * of its own, and queue it only if it is still a live claim when the lane's next record comes.
   * Most claims are completed within microseconds, before the thread's next claim: they are never
   * queued as claims, and no sweep has to poll them out again (the queue node, the append and the
   * poll were about 0.08x of a new key). The slot also lets the claiming thread complete its claim
   * without a map lookup. A sweep checks the slots as it checks the queues' heads.
   */
  private final class Deadlines {
    private final int kind; // of the records this queue is for: Entry.LEASE or Entry.DONE
    private final boolean holdNewest;
    private final Lane[] lanes = new Lane[LANES];
    private final ConcurrentSkipListSet<Slot> outOfOrder = new ConcurrentSkipListSet<>(Slot.BY_TIME);
    private final AtomicLong sequence = new AtomicLong();
    private int nextLane; // where the next sweep starts, so that no lane waits behind the others; under the lock

    Deadlines(int kind) {
      this.kind = kind;
      this.holdNewest = kind == Entry.LEASE;
      for (int i = 0; i < LANES; i++) lanes[i] = new Lane(holdNewest);
    }

    /** Queues a record just written: a new claim, or a claim just completed. */
    void add(Entry e) {
      if (holdNewest) {
        // The slot takes the newest; the one it held is queued if still a live claim. A sweeper
        // that took that one out of the slot first left null here: nothing to queue then.
        Entry previous = lanes[lane()].newest.getAndSet(e);
        if (previous == null) return;
        long s = previous.state;
        if (Entry.kind(s) == Entry.LEASE) enqueue(previous, Entry.deadline(s));
        return;
      }
      enqueue(e, Entry.deadline(e.state));
    }

    /** The newest claim of this thread's lane (claims' queue only), or null. */
    Entry newestOfThisLane() {
      return lanes[lane()].newest.get();
    }

    /** Queues a claim again at {@code at}, its new deadline, found by a sweep; the lock is held. */
    void requeue(Entry e, long at) {
      enqueue(e, at);
    }

    /** Queues a claim in the ordered set at {@code at}: a renewal that shortened its lease. */
    void addOutOfOrder(Entry e, long at) {
      outOfOrder.add(new Slot(at, sequence.incrementAndGet(), e));
    }

    private void enqueue(Entry e, long at) {
      Lane lane = lanes[lane()];
      long last = lane.lastQueued.get();
      if (at >= last) {
        // Many records share a millisecond, and so a deadline: most appends write nothing here.
        if (at > last) lane.lastQueued.compareAndSet(last, at);
        lane.inOrder.offer(holdNewest ? new Slot(at, 0, e) : e);
      } else {
        outOfOrder.add(new Slot(at, sequence.incrementAndGet(), e));
      }
    }

    private Entry entryOf(Object queued) {
      return holdNewest ? ((Slot) queued).entry : (Entry) queued;
    }

    /** The deadline a record was queued with: a claim's own (it moves), a completed record's. */
    private long at(Object queued) {
      return holdNewest ? ((Slot) queued).at : Entry.deadline(((Entry) queued).state);
    }

    /** Whether a queued record is one to poll by {@code now}: of another kind, or due. */
    private boolean due(Object queued, long now) {
      return Entry.kind(entryOf(queued).state) != kind || at(queued) <= now;
    }

    int queued() {
      int n = outOfOrder.size();
      for (Lane lane : lanes) n += lane.inOrder.size() + (lane.newest.get() == null ? 0 : 1);
      return n;
    }

    /** Whether a sweep has something to do: a record to forget or an expired one to drop. */
    boolean due(long now) {
      for (Lane lane : lanes) {
        Object head = lane.inOrder.peek();
        if (head != null && due(head, now)) return true;
        // A record of another kind in the slot is not due: the lane's next record takes its place.
        Entry newest = lane.newest.get();
        if (newest != null) {
          long s = newest.state;
          if (Entry.kind(s) == kind && Entry.deadline(s) <= now) return true;
        }
      }
      if (outOfOrder.isEmpty()) return false;
      Slot first = outOfOrder.ceiling(Slot.MIN); // not first(): the sweeper may empty it meanwhile
      return first != null && (Entry.kind(first.entry.state) != kind || first.at <= now);
    }

    /**
     * Drops up to {@code maxExpired} expired records from the lanes together, and as many from the
     * ordered set, polling at most {@code maxPolls} of each; the lock is held.
     */
    int sweep(long now, int maxExpired, int maxPolls) {
      int expired = 0;
      int polls = 0;
      int from = nextLane;
      nextLane = (from + 1) & (LANES - 1);
      for (int i = 0; i < LANES && expired < maxExpired && polls < maxPolls; i++) {
        Lane lane = lanes[(from + i) & (LANES - 1)];
        LaneQueue inOrder = lane.inOrder;
        for (; expired < maxExpired && polls < maxPolls; polls++) {
          Object head = inOrder.peek();
          if (head == null || !due(head, now)) break;
          inOrder.poll();
          if (settle(entryOf(head), kind, now)) expired++;
        }
        Entry newest = lane.newest.get();
        if (newest != null && expired < maxExpired) {
          long s = newest.state;
          if ((Entry.kind(s) != kind || Entry.deadline(s) <= now)
              && lane.newest.compareAndSet(newest, null) // else the lane's writer queued it
              && settle(newest, kind, now)) {
            expired++;
          }
        }
      }
      int expiredOutOfOrder = 0;
      for (polls = 0; expiredOutOfOrder < maxExpired && polls < maxPolls; polls++) {
        Slot first = outOfOrder.isEmpty() ? null : outOfOrder.first();
        if (first == null || (Entry.kind(first.entry.state) == kind && first.at > now)) break;
        outOfOrder.remove(first);
        if (settle(first.entry, kind, now)) expiredOutOfOrder++;
      }
      return expired + expiredOutOfOrder;
    }

    /**
     * Removes and returns the completed record with the earliest deadline, or null (completed
     * records' queue only); the lock is held.
     */
    Entry pollEarliestLive() {
      while (true) {
        LaneQueue earliest = null;
        Entry head = null;
        for (Lane lane : lanes) {
          Object h = lane.inOrder.peek();
          while (h != null && Entry.kind(entryOf(h).state) != kind) { // forgotten on the way
            lane.inOrder.poll();
            h = lane.inOrder.peek();
          }
          if (h != null && (head == null || at(h) < Entry.deadline(head.state))) {
            head = entryOf(h);
            earliest = lane.inOrder;
          }
        }
        Slot first = outOfOrder.isEmpty() ? null : outOfOrder.first();
        if (first != null && Entry.kind(first.entry.state) != kind) {
          outOfOrder.remove(first);
          continue;
        }
        if (first != null && (head == null || first.at < Entry.deadline(head.state))) {
          outOfOrder.remove(first);
          return first.entry;
        }
        if (head != null) earliest.poll();
        return head;
      }
    }
  }

  /**
   * A lane of new claims, on a cache line of its own: one word holding its last fencing sequence
   * number (the high bits) and its spare slots of the store's bound (the low {@link #SPARE_BITS}:
   * a lane holds at most 2 {@link #SLOT_CHUNK} + 1), and the new claims it has made (to pick the
   * ones that sweep; written without synchronization, so an approximate count if threads share the
   * lane). A sequence number starts at the microseconds since the epoch: 55 bits hold a thousand
   * years of them.
   */
  @SuppressWarnings({"serial", "unused"}) // never serialized; the fields only take room
  private static final class ClaimLane extends AtomicLong {
    static final int SPARE_BITS = 8;
    int claims;
    long p0, p1, p2, p3, p4, p5, p6;

    static long state(long sequence, int spare) {
      return (sequence << SPARE_BITS) | spare;
    }

    static long sequence(long state) {
      return state >>> SPARE_BITS;
    }

    static int spare(long state) {
      return (int) state & ((1 << SPARE_BITS) - 1);
    }
  }

  /**
   * One lane of a {@link Deadlines}: its records in write order, the last deadline queued, and (for
   * claims) the newest record, not yet queued.
   */
  private static final class Lane {
    final LaneQueue inOrder;
    final AtomicLong lastQueued = new AtomicLong(Long.MIN_VALUE);
    final NewestSlot newest = new NewestSlot(); // claims' lanes only: the record not yet queued

    Lane(boolean claims) {
      inOrder = claims ? new PaddedQueue() : new DoneQueue();
    }
  }

  /**
   * A lane's records in write order: appended by any thread, peeked and polled only by the holder
   * of the sweep lock.
   */
  private interface LaneQueue {
    boolean offer(Object queued);

    Object peek();

    Object poll();

    int size();
  }

  /** The slot of a lane's newest record, on a cache line of its own (the next lane's queue follows). */
  @SuppressWarnings({"serial", "unused"}) // never serialized; the fields only take room
  private static final class NewestSlot extends java.util.concurrent.atomic.AtomicReference<Entry> {
    long p0, p1, p2, p3, p4, p5, p6;
  }

  /**
   * A queue whose head and tail share no cache line with the next lane's: two threads appending
   * to neighbouring lanes measured a fifth of the lanes' gain slower (the fields written by every
   * append were 96 bytes apart). It holds {@link Entry}s (completed records) or {@link Slot}s
   * (claims, with the deadline they were queued with).
   */
  @SuppressWarnings({"serial", "unused"}) // never serialized; the fields only take room
  private static final class PaddedQueue extends ConcurrentLinkedQueue<Object> implements LaneQueue {
    long p0, p1, p2, p3, p4, p5, p6, p7, p8, p9, p10, p11, p12, p13, p14, p15;
  }

  /** {@link DoneQueue}'s ends, before its padding (a subclass's fields follow its superclass's). */
  private abstract static class DoneQueueEnds {
    static final VarHandle TAIL;

    static {
      try {
        TAIL = MethodHandles.lookup().findVarHandle(DoneQueueEnds.class, "tail", Entry.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    final Entry stub = new Entry(null, null, null, null, 0, 0); // stands in while the queue is empty
    volatile Entry tail = stub; // the last record appended; written by exchange only
    Entry head = stub; // the first record, or the stub; the sweep lock's holder's alone
  }

  /**
   * A lane of completed records, linked through the records themselves ({@link Entry#nextDone}):
   * Vyukov's intrusive multi-producer, single-consumer queue. An append is one exchange of the
   * tail and one ordered write, and no node, where a {@link ConcurrentLinkedQueue} made a node (24
   * bytes kept for the record's whole retention) and took one or two compare-and-sets. A record is
   * appended once, when it is completed; only the sweep lock's holder peeks and polls, and a record
   * polled is referenced no more by the queue. Padded as {@link PaddedQueue}.
   */
  @SuppressWarnings("unused") // the fields only take room
  private static final class DoneQueue extends DoneQueueEnds implements LaneQueue {
    long p0, p1, p2, p3, p4, p5, p6, p7, p8, p9, p10, p11, p12, p13, p14, p15;

    @Override
    public boolean offer(Object queued) {
      append((Entry) queued);
      return true;
    }

    private void append(Entry e) {
      Entry prev = (Entry) TAIL.getAndSet(this, e);
      Entry.NEXT_DONE.setRelease(prev, e); // until this write, the sweep sees the queue end at prev
    }

    /** The first record, or null if there is none (or its successor is being linked). */
    @Override
    public Entry peek() {
      Entry h = head;
      if (h == stub) {
        Entry next = (Entry) Entry.NEXT_DONE.getAcquire(h);
        if (next == null) return null;
        head = next; // the stub leaves; it comes back when the queue empties again
        h = next;
      }
      // Polled without waiting only if linked to its successor, or the last one: otherwise an
      // append is between its two writes, and the sweep stops here for now.
      return Entry.NEXT_DONE.getAcquire(h) != null || tail == h ? h : null;
    }

    @Override
    public Entry poll() {
      Entry h = peek();
      if (h == null) return null;
      Entry next = (Entry) Entry.NEXT_DONE.getAcquire(h);
      if (next == null) { // h is the last record: the stub goes behind it, so that it can leave
        Entry.NEXT_DONE.set(stub, null);
        append(stub);
        int spins = 0;
        while ((next = (Entry) Entry.NEXT_DONE.getAcquire(h)) == null) { // an append came first
          if (++spins % 64 == 0) Thread.yield();
          else Thread.onSpinWait();
        }
      }
      head = next;
      return h;
    }

    /** The records queued; for tests (walks the queue). */
    @Override
    public int size() {
      int n = 0;
      for (Entry e = head; e != null; e = (Entry) Entry.NEXT_DONE.getAcquire(e)) {
        if (e != stub) n++;
      }
      return n;
    }
  }

  /**
   * A record queued with a deadline: in the ordered set ({@code seq} tells apart records with the
   * same deadline), or a claim in a lane (its deadline then, {@code seq} unused).
   */
  private record Slot(long at, long seq, Entry entry) {
    static final Slot MIN = new Slot(Long.MIN_VALUE, Long.MIN_VALUE, null);
    static final Comparator<Slot> BY_TIME = Comparator.comparingLong(Slot::at).thenComparingLong(Slot::seq);
  }

  /**
   * One record, changed in place: a claim, then perhaps a completed record, until it leaves. Its
   * kind and deadline are one word, {@link #state}, changed only by compare-and-set, so a
   * completion, a renewal, a release and an expiry of the same record are ordered, one of them
   * first: a claim completed is never dropped as expired, and a claim dropped is never completed.
   * A record marked {@link #DEAD} leaves the map (its marker or any thread that finds it takes it
   * out, and accounts for it once); every reader treats it as absent.
   */
  private static final class Entry {
    static final int LEASE = 0;
    static final int DONE = 1;
    static final int DEAD = 2;
    // Taken from its owner by a complete that is writing the result: DONE next, at the deadline it
    // already holds, written by that thread alone. Never dropped, renewed or released; a claim
    // that finds it waits for DONE (see drop).
    static final int COMPLETING = 3;
    private static final int KIND_BITS = 2;
    static final long MAX_DEADLINE = Long.MAX_VALUE >> KIND_BITS;
    private static final VarHandle STATE;
    static final VarHandle NEXT_DONE;

    static {
      try {
        MethodHandles.Lookup lookup = MethodHandles.lookup();
        STATE = lookup.findVarHandle(Entry.class, "state", long.class);
        NEXT_DONE = lookup.findVarHandle(Entry.class, "nextDone", Entry.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    final RecordId id;
    final String fingerprint;
    // The owner's; dropped once completed (nobody owns a completed record), which saves a record
    // kept for its retention the token's 56 bytes. A reader that read the state before the
    // completion and the token after finds null: not its claim, as it is not any more.
    String token;
    final ScopeCount scope; // the counter that holds this record's slot; null without shares
    final long fencingToken; // the owner's, kept by its renewals and its completed record
    // The deadline (millis since the store was made) shifted up, and the kind in the low bits.
    volatile long state;
    // Set once, by the complete that took the claim (COMPLETING), before it writes DONE with
    // release order: a reader that reads DONE (a volatile read) sees it. Null until then.
    byte[] result;
    // The next completed record of its lane's DoneQueue, once it is queued there (NEXT_DONE).
    Entry nextDone;

    Entry(RecordId id, String fingerprint, String token, ScopeCount scope, long fencingToken, long leaseDeadline) {
      this.id = id;
      this.fingerprint = fingerprint;
      this.token = token;
      this.scope = scope;
      this.fencingToken = fencingToken;
      this.state = state(leaseDeadline, LEASE);
    }

    static long state(long deadline, int kind) {
      return (deadline << KIND_BITS) | kind;
    }

    static long deadline(long state) {
      return state >> KIND_BITS;
    }

    static int kind(long state) {
      return (int) state & ((1 << KIND_BITS) - 1);
    }

    /** The state {@code s} marked dead, its deadline kept (an eviction reports what was left). */
    static long dead(long s) {
      return (s & ~((1L << KIND_BITS) - 1)) | DEAD;
    }

    boolean casState(long expected, long next) {
      return STATE.compareAndSet(this, expected, next);
    }

    /** Writes the state with release order only: for the completing thread's DONE alone. */
    void setStateRelease(long next) {
      STATE.setRelease(this, next);
    }
  }

  /** A scope of the bound: the namespace and scope of a {@link RecordId}. */
  private static final class ScopeKey {
    final String namespace;
    final String scope;

    ScopeKey(String namespace, String scope) {
      this.namespace = namespace;
      this.scope = scope;
    }

    // Written out, as RecordId's: the strings cache their own hashes.
    @Override
    public int hashCode() {
      return 31 * namespace.hashCode() + scope.hashCode();
    }

    @Override
    public boolean equals(Object o) {
      return o == this
          || (o instanceof ScopeKey other && scope.equals(other.scope) && namespace.equals(other.namespace));
    }
  }

  /**
   * The number of records of one scope, changed in place: a reservation is one compare-and-set, no
   * allocation. Once it has dropped to zero it may be retired ({@link #DEAD}), and no reservation
   * revives a retired counter: the claim that finds one puts a new counter in the map, so no slot
   * is ever counted on a counter the map no longer holds.
   */
  @SuppressWarnings("serial") // never serialized
  private static final class ScopeCount extends AtomicInteger {
    static final int DEAD = Integer.MIN_VALUE;
    static final int RESERVED = 0;
    static final int FULL = 1;

    final ScopeKey key;

    ScopeCount(ScopeKey key) {
      super(1);
      this.key = key;
    }

    /** {@link #RESERVED} (the count is one more), {@link #FULL} at {@code limit}, or {@link #DEAD}. */
    int tryReserve(int limit) {
      while (true) {
        int c = get();
        if (c == DEAD) return DEAD;
        if (c >= limit) return FULL;
        if (compareAndSet(c, c + 1)) return RESERVED;
      }
    }
  }

  /**
   * Hears each completed record that a store built with {@link Builder#evictCompletedEarly} evicts
   * before its retention ended: a retry of its key will run the business code again. Called on the
   * claiming thread that needed the room, once the store has made it; it should return quickly. An
   * exception it throws is logged and ignored. Implementations must be threadsafe.
   */
  @FunctionalInterface
  public interface EvictionListener {
    /**
     * @param id the record evicted (its {@code toString} shows digests, not the scope or the key)
     * @param retentionLeft how much of its retention was left, by the store's ticker
     */
    void evicted(RecordId id, Duration retentionLeft);
  }

  /**
   * Builds an {@link InMemoryIdempotencyStore}. Not threadsafe; the store it builds is.
   */
  public static final class Builder {
    private int maximumSize = DEFAULT_MAXIMUM_SIZE;
    private int maximumSizePerScope; // 0: the default share of maximumSize
    private EvictionListener evictionListener;
    private Ticker ticker = Ticker.system();

    private Builder() {}

    /** The most records held, claims and completed together. Default {@link #DEFAULT_MAXIMUM_SIZE}. */
    public Builder maximumSize(int maximumSize) {
      if (maximumSize < 1) {
        throw new IllegalArgumentException("maximumSize must be at least 1: " + maximumSize);
      }
      this.maximumSize = maximumSize;
      return this;
    }

    /**
     * The most records one scope holds (the namespace and scope of a {@link RecordId}: one caller
     * of one service), claims and completed together: a new claim of a scope at its share throws
     * {@link IdempotencyCapacityExceededException} while the other scopes go on. Equal to the
     * maximum size, it sets no share: for a service with one scope (no login) or a few trusted
     * ones. Default: the maximum size divided by {@link #DEFAULT_SCOPE_SHARE_DIVISOR} (10,000 of
     * the default 100,000), at least 1.
     *
     * @throws IllegalArgumentException if below 1 (and {@link #build()}, if above the maximum size)
     */
    public Builder maximumSizePerScope(int maximumSizePerScope) {
      if (maximumSizePerScope < 1) {
        throw new IllegalArgumentException("maximumSizePerScope must be at least 1: " + maximumSizePerScope);
      }
      this.maximumSizePerScope = maximumSizePerScope;
      return this;
    }

    /**
     * Lets a full store evict the completed record closest to its expiry, of any scope, before its
     * retention ends, to make room for a new claim; {@code listener} hears each one. A retry of an
     * evicted record's key runs the business code again: choose this only where a bounded heap
     * matters more than a replay of every retry within the retention. A claim in progress is never
     * evicted, and a scope at its share is not made room for this way. Default: off; a full store
     * drops expired records only, and otherwise throws {@link IdempotencyCapacityExceededException}.
     */
    public Builder evictCompletedEarly(EvictionListener listener) {
      this.evictionListener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /** The time source that expires records. Default {@link Ticker#system()}; tests pass a fake one. */
    public Builder ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /**
     * A store with this configuration.
     *
     * @throws IllegalArgumentException if {@link #maximumSizePerScope} is above {@link #maximumSize}
     */
    public InMemoryIdempotencyStore build() {
      if (maximumSizePerScope > maximumSize) {
        throw new IllegalArgumentException(
            "maximumSizePerScope (" + maximumSizePerScope + ") is above maximumSize (" + maximumSize + ")");
      }
      return new InMemoryIdempotencyStore(this);
    }
  }
}
