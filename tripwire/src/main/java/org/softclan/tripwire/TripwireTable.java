package org.softclan.tripwire;

import static net.openhft.chronicle.core.UnsafeMemory.UNSAFE;

import java.nio.charset.StandardCharsets;

/**
 * The CAM of the Tripwire unit for one region: which addresses are armed, kept in shared memory (the
 * region's sidecar, or private memory for outbound tripwires) so every process that writes into the
 * region can match its own transfers against it.
 *
 * <pre>
 *  sidecar (or private block)
 *     0 seq (long)             seqlock: odd while a mutator changes the table   own cache line
 *     8 lock (long)            0 free, else the holder's {@link HolderIdentity} token (in a region's table:
 *                              the liveness id of the holder's endpoint; in a private table: pid + start
 *                              time), so a waiter can tell a dead holder and take the lock over
 *    64 entry free head (int), entry high-water (int), node free head (int), node high-water (int),
 *       wide count (int), armed count (int), next tripwire id (long), nodes in use (int),
 *       repair request (int, at 100: a reader found garbage; the next mutator rebuilds)     own line
 *   128 queue directory: 16 slots x 128 bytes {owner pid long, region id int, name length int,
 *       name bytes (at most 100), serial long at 120 (new for each registration)}: the event queues
 *       of the units that armed here
 *  2176 wide list: 64 ints, entries covering more than 16 cache lines
 *  4096 presence bitmap: one bit per 64-byte line of the region's data area
 *       hash: open addressing, linear probing; 16-byte slots {line + 1 (long), head node + 1 (int)}
 *       nodes: 8 bytes {entry index (int), next node + 1 (int)}: the entries armed on a line
 *       entries: 64 bytes each:
 *          0 state (int): 0 free, 1 armed, 2 fired (one-shot, waits for disarm or re-arm)
 *          4 flags (int): direction, actions, mode, condition, queue index (see Tripwire)
 *          8 start, 16 length, 24 id, 32 cookie, 40 condition value,
 *         48 count (times fired, with the COUNTER action), 56 events lost to a full queue
 * </pre>
 *
 * <p><b>Matching</b> ({@link #mayMatch}) costs one bitmap load for a write within one 64-line group,
 * however many tripwires are armed; only when a bit is set does {@link #collect} walk the hash and
 * the entries, as a seqlock reader (retrying if a mutator changed the structure meanwhile).
 * <b>Mutations</b> (arm, disarm) take the lock word with a compare-and-set, then make the seq odd, and
 * may come from any process that maps the region.
 *
 * <p><b>Trust.</b> Every word here can be written by any process that maps the region. Nothing read
 * from the table is used to compute an address before it is checked (indices against the capacities,
 * entry ranges against the region, list walks bounded by the capacity, probe sequences by the hash
 * size), and no wait is unbounded. Mutators that find garbage throw {@link TripwireTableCorruptException};
 * the caller {@link #rebuild() rebuilds} the table from its valid entries and retries. Readers on the
 * write path never throw: they ignore what is invalid and count it ({@link ProtocolErrors}).
 *
 * <p><b>Lock recovery.</b> A waiter that has waited a while checks the holder's token
 * ({@link HolderIdentity#isDead}); if the holder is gone it takes the lock over with a compare-and-set
 * from the dead token, and, if the seq is odd (the holder died mid-change), rebuilds the table before
 * using it. A live holder is waited for at most {@link #LOCK_TIMEOUT_NANOS} (mutators then throw
 * {@link TripwireLockTimeoutException}) or {@link #SNOOP_WAIT_NANOS} (a writer's snoop then skips
 * the region's tripwires for that write, counted).
 */
final class TripwireTable {
    static final int HEADER = 4096;
    static final int SEQ = 0;
    static final int LOCK = 8;
    static final int ENTRY_FREE = 64;
    static final int ENTRY_HIGH = 68;
    static final int NODE_FREE = 72;
    static final int NODE_HIGH = 76;
    static final int WIDE_COUNT = 80;
    static final int ARMED_COUNT = 84;
    static final int NEXT_ID = 88;
    static final int NODES_USED = 96;
    /** Set by a reader that found garbage it could not fix (it holds no lock); the next mutator rebuilds. */
    static final int REPAIR = 100;
    static final int QUEUE_SERIAL = 104;
    static final int SLOT_SERIAL = 120;
    static final int QUEUE_DIR = 128;
    static final int QUEUE_SLOT = 128;
    static final int QUEUES = 16;
    static final int QUEUE_NAME_MAX = 100;
    static final int WIDE_LIST = 2176;
    static final int WIDE_MAX = 64;
    /** Entries covering more lines than this go in the wide list instead of the hash. */
    static final int NARROW_MAX_LINES = 16;

    static final int ENTRY_SIZE = 64;
    static final int E_STATE = 0;
    static final int E_FLAGS = 4;
    static final int E_START = 8;
    static final int E_LENGTH = 16;
    static final int E_ID = 24;
    static final int E_COOKIE = 32;
    static final int E_COND = 40;
    static final int E_COUNT = 48;
    static final int E_LOST = 56;

    /** Longest a mutator waits for a live holder of the lock: 5 s (property softclan.tripwire.lockTimeoutMillis). */
    static final long LOCK_TIMEOUT_NANOS = millis("softclan.tripwire.lockTimeoutMillis", 5_000);
    /** Longest a writer's snoop waits for a locked table before skipping its tripwires: 200 ms. */
    static final long SNOOP_WAIT_NANOS = millis("softclan.tripwire.snoopWaitMillis", 200);
    /** How often a waiter checks whether the lock's holder has died. */
    private static final long HOLDER_CHECK_NANOS = 1_000_000;
    private static final int SPINS = 1_000;

    static final int FREE = 0;
    static final int ARMED = 1;
    static final int FIRED = 2;

    final long base;
    final String regionName;
    final long dataSize;
    final long lines;
    final int entryCapacity;
    private final int hashMask;
    private final int nodeCapacity;
    private final long bitmap;
    private final long hash;
    private final long nodes;
    private final long entries;
    private final HolderIdentity holders;

    TripwireTable(final long base, final long dataSize, final int entryCapacity, final String regionName) {
        this(base, dataSize, entryCapacity, regionName, HolderIdentity.PROCESS);
    }

    /**
     * @param holders how this process names itself in the lock word and the queue directory, and how it
     *                tells whether another holder is gone ({@link HolderIdentity#of} for a shared region)
     */
    TripwireTable(final long base, final long dataSize, final int entryCapacity, final String regionName,
                  final HolderIdentity holders) {
        this.holders = holders;
        this.base = base;
        this.regionName = regionName;
        this.dataSize = dataSize;
        this.lines = (dataSize + 63) >>> 6;
        this.entryCapacity = entryCapacity;
        this.nodeCapacity = 2 * entryCapacity;
        final int hashCapacity = hashCapacity(entryCapacity);
        this.hashMask = hashCapacity - 1;
        this.bitmap = base + HEADER;
        this.hash = bitmap + align64(bitmapWords(dataSize) * 8L);
        this.nodes = hash + 16L * hashCapacity;
        this.entries = nodes + 8L * nodeCapacity;
    }

    private static long millis(final String property, final long defaultMillis) {
        return java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(Long.getLong(property, defaultMillis));
    }

    // ------------------------------------------------------------------------------------ sizing

    static long bitmapWords(final long dataSize) {
        return (((dataSize + 63) >>> 6) + 63) >>> 6;
    }

    private static int hashCapacity(final int entries) {
        return Integer.highestOneBit(Math.max(16, 4 * entries - 1)) << 1;
    }

    private static long align64(final long n) {
        return (n + 63) & ~63L;
    }

    /** @return how this process names itself in the table's lock word and queue directory */
    HolderIdentity holders() {
        return holders;
    }

    /** @return the bytes a table for {@code entries} tripwires on a region of {@code dataSize} needs */
    static long bytesFor(final long dataSize, final int entries) {
        return HEADER + align64(bitmapWords(dataSize) * 8L) + 16L * hashCapacity(entries) + 16L * entries
            + (long) ENTRY_SIZE * entries;
    }

    /** @return the most tripwires a table in {@code bytes} can hold (0 if it cannot hold a table) */
    static int capacityFor(final long dataSize, final long bytes) {
        if (bytes < bytesFor(dataSize, 1)) {
            return 0;
        }
        int lo = 1;
        int hi = 1 << 26;
        while (lo < hi) {
            final int mid = (lo + hi + 1) >>> 1;
            if (bytesFor(dataSize, mid) <= bytes) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    // ---------------------------------------------------------------------------------- matching

    /**
     * @return whether a tripwire may overlap {@code [offset, offset + length)}: false means certainly
     *         not (the common case, answered from the presence bitmap)
     */
    boolean mayMatch(final long offset, final long length) {
        final long first = offset >>> 6;
        final long last = (offset + length - 1) >>> 6;
        final long w0 = first >>> 6;
        final long w1 = last >>> 6;
        if (w0 == w1) {
            final long bits = UNSAFE.getLongVolatile(null, bitmap + (w0 << 3));
            return (bits & rangeMask(first, last)) != 0;
        }
        return mayMatchWide(first, last, w0, w1);
    }

    private boolean mayMatchWide(final long first, final long last, final long w0, final long w1) {
        for (long w = w0; w <= w1; w++) {
            final long lo = w == w0 ? first : w << 6;
            final long hi = w == w1 ? last : (w << 6) + 63;
            if ((UNSAFE.getLongVolatile(null, bitmap + (w << 3)) & rangeMask(lo, hi)) != 0) {
                return true;
            }
        }
        return false;
    }

    private static long rangeMask(final long firstLine, final long lastLine) {
        final long lo = firstLine & 63;
        final long hi = lastLine & 63;
        return (-1L >>> (63 - hi)) & (-1L << lo);
    }

    /**
     * Collects the indices of entries that are armed, watch {@code directionBit}, and overlap the
     * transfer, each once, as a consistent snapshot (seqlock read, retried on change).
     *
     * @return the number of indices written into {@code out.buf}
     */
    int collect(final long offset, final long length, final int directionBit, final Matches out) {
        final long first = offset >>> 6;
        final long last = (offset + length - 1) >>> 6;
        long deadline = 0;
        for (int attempt = 0; ; attempt++) {
            if (attempt >= 64) {
                // the structure keeps changing under us (or a peer keeps bumping the seq): bounded
                final long now = System.nanoTime();
                if (deadline == 0) {
                    deadline = now + SNOOP_WAIT_NANOS;
                } else if (now - deadline > 0) {
                    ProtocolErrors.record(corrupt("header", "seq", seq(), "changed on every read for "
                        + SNOOP_WAIT_NANOS / 1_000_000 + " ms; this write's tripwires were skipped"));
                    return 0;
                }
            }
            final long seq = awaitReadable();
            if (seq < 0) {
                return 0;
            }
            int n = 0;
            long cycleLine = -1;
            for (long line = first; line <= last; line++) {
                // a line's list holds at most one node per entry: a longer walk is a cycle (garbage)
                int guard = entryCapacity;
                final int lineStart = n;
                int node = headNode(line);
                for (; node > 0 && node <= nodeCapacity && guard-- > 0; node = nextNode(node)) {
                    // a torn read during a concurrent change is caught by the seq check below; the
                    // bounds checks keep it inside the table meanwhile
                    final int index = nodeEntry(node);
                    if (index < 0 || index >= entryCapacity) {
                        break;
                    }
                    final long e = entry(index);
                    final long start = UNSAFE.getLong(e + E_START);
                    // an entry spanning several lines is taken only at the first line the write shares
                    if (line != Math.max(first, start >>> 6)) {
                        continue;
                    }
                    if (accepts(e, offset, length, directionBit)) {
                        n = out.add(n, index);
                    }
                }
                if (guard < 0 && node > 0) {
                    n = lineStart;   // what a looping list gave is not trusted, and may hold duplicates
                    cycleLine = line;
                }
            }
            final int wide = UNSAFE.getInt(base + WIDE_COUNT);
            for (int i = 0; i < wide && i < WIDE_MAX; i++) {
                final int index = UNSAFE.getInt(base + WIDE_LIST + 4L * i);
                if (index >= 0 && index < entryCapacity && accepts(entry(index), offset, length, directionBit)) {
                    n = out.add(n, index);
                }
            }
            UNSAFE.loadFence();
            if (UNSAFE.getLongVolatile(null, base + SEQ) == seq) {
                if (cycleLine >= 0) {
                    requestRepair();
                    ProtocolErrors.record(corrupt("node list of line " + cycleLine, "next", cycleLine,
                        "loops: longer than the " + entryCapacity + " entries there are; the line's tripwires were skipped"));
                }
                return n;
            }
        }
    }

    /** @return the structure's seqlock word (volatile read): even and unchanged means no arm or disarm happened */
    long seq() {
        return UNSAFE.getLongVolatile(null, base + SEQ);
    }

    /**
     * Waits, bounded, for the seq to be even (no mutation in progress), taking the lock over from a
     * dead holder on the way.
     *
     * @return the even seq (volatile read), or -1 if a live holder kept it odd past {@link #SNOOP_WAIT_NANOS}
     *         (counted as a protocol error; the caller skips the table for this transfer)
     */
    long awaitReadable() {
        final long seq = UNSAFE.getLongVolatile(null, base + SEQ);
        return (seq & 1) == 0 ? seq : awaitReadableSlow();
    }

    private long awaitReadableSlow() {
        final long start = System.nanoTime();
        long nextCheck = start;
        for (int spins = 0; ; spins++) {
            final long seq = UNSAFE.getLongVolatile(null, base + SEQ);
            if ((seq & 1) == 0) {
                return seq;
            }
            if (spins < SPINS) {
                Thread.onSpinWait();
                continue;
            }
            final long now = System.nanoTime();
            if (now - nextCheck >= 0) {
                recoverAbandoned();
                nextCheck = now + HOLDER_CHECK_NANOS;
            }
            if (now - start > SNOOP_WAIT_NANOS) {
                final long holder = UNSAFE.getLongVolatile(null, base + LOCK);
                ProtocolErrors.record(new TripwireLockTimeoutException("region '" + regionName + "': the tripwire"
                    + " table stayed locked by " + holders.describe(holder) + " (alive) for more than "
                    + SNOOP_WAIT_NANOS / 1_000_000 + " ms; a write's tripwires were skipped"));
                return -1;
            }
            Thread.yield();
        }
    }

    /**
     * If the seq is odd and the lock is free (garbage) or held by a dead process, takes the lock,
     * rebuilds the table and releases it. Never throws: a failure is counted.
     */
    private void recoverAbandoned() {
        final long holder = UNSAFE.getLongVolatile(null, base + LOCK);
        final long me = holders.token();
        if (holder == me) {
            return;   // another thread of this process holds it: it is alive
        }
        if (holder == 0 ? UNSAFE.compareAndSwapLong(null, base + LOCK, 0, me)
            : holders.holderDead(holder) && UNSAFE.compareAndSwapLong(null, base + LOCK, holder, me)) {
            try {
                afterAcquire();
            } catch (final RuntimeException | OutOfMemoryError e) {
                ProtocolErrors.record(e instanceof RuntimeException ? (RuntimeException) e
                    : new TripwireTableCorruptException(regionName, "table", "rebuild", 0, e.toString()));
            } finally {
                unlock();
            }
        }
    }

    /**
     * The entries that watch the {@code directionBit} direction and cover one cache line, whatever their
     * state, as read at one even value of the seqlock: valid as long as {@link #seq()} still returns it.
     * A writer that fires on the same line again and again (a ring's write pointer) reuses it instead of
     * walking the hash and the node lists on every write.
     */
    static final class LineEntries {
        final TripwireTable table;
        final long seq;
        final long line;
        final int[] entries;

        LineEntries(final TripwireTable table, final long seq, final long line, final int[] entries) {
            this.table = table;
            this.seq = seq;
            this.line = line;
            this.entries = entries;
        }
    }

    /**
     * @return the entries on cache line {@code line} for {@code directionBit}, or {@code null} if the
     *         structure is being changed (the caller then takes the {@link #collect} path)
     */
    LineEntries lineEntries(final long line, final int directionBit) {
        final long seq = UNSAFE.getLongVolatile(null, base + SEQ);
        if ((seq & 1) != 0) {
            return null;
        }
        int[] found = new int[4];
        int n = 0;
        int guard = entryCapacity;
        int node = headNode(line);
        for (; node > 0 && node <= nodeCapacity && guard-- > 0; node = nextNode(node)) {
            final int index = nodeEntry(node);
            if (index < 0 || index >= entryCapacity) {
                break;
            }
            if ((UNSAFE.getInt(entry(index) + E_FLAGS) & directionBit) != 0) {
                found = add(found, n++, index);
            }
        }
        final boolean cycle = guard < 0 && node > 0;
        if (cycle) {
            n = 0;   // a looping list (garbage): its entries are not trusted, and may repeat
        }
        final int wide = UNSAFE.getInt(base + WIDE_COUNT);
        for (int i = 0; i < wide && i < WIDE_MAX; i++) {
            final int index = UNSAFE.getInt(base + WIDE_LIST + 4L * i);
            if (index >= 0 && index < entryCapacity) {
                final long e = entry(index);
                final long start = UNSAFE.getLong(e + E_START);
                if ((UNSAFE.getInt(e + E_FLAGS) & directionBit) != 0 && start >>> 6 <= line
                    && (start + UNSAFE.getLong(e + E_LENGTH) - 1) >>> 6 >= line) {
                    found = add(found, n++, index);
                }
            }
        }
        UNSAFE.loadFence();
        if (UNSAFE.getLongVolatile(null, base + SEQ) != seq) {
            return null;
        }
        if (cycle) {
            requestRepair();
            ProtocolErrors.record(corrupt("node list of line " + line, "next", line, "loops: longer than the "
                + entryCapacity + " entries there are; the line's tripwires are skipped until the table changes"));
        }
        return new LineEntries(this, seq, line, java.util.Arrays.copyOf(found, n));
    }

    /** @return the first node of the list of entries on a cache line, or 0 if none is armed there */
    private int headNode(final long line) {
        if ((UNSAFE.getLongVolatile(null, bitmap + ((line >>> 6) << 3)) & (1L << (line & 63))) == 0) {
            return 0;
        }
        final long slot = find(line);
        return slot < 0 ? 0 : UNSAFE.getInt(slot + 8);
    }

    /** @return the address of node {@code node} (1-based, in [1, node capacity]: the caller checked) */
    long nodeAddress(final int node) {
        return nodes + 8L * (node - 1);
    }

    /** @return the entry index a node (1-based) holds */
    private int nodeEntry(final int node) {
        return UNSAFE.getInt(nodes + 8L * (node - 1));
    }

    /** @return the node after {@code node} in its line's list, or 0 */
    private int nextNode(final int node) {
        return UNSAFE.getInt(nodes + 8L * (node - 1) + 4);
    }

    private static int[] add(final int[] found, final int n, final int index) {
        final int[] to = n == found.length ? java.util.Arrays.copyOf(found, n * 2) : found;
        to[n] = index;
        return to;
    }

    /** @return whether entry {@code e} overlaps {@code [offset, offset + length)} (its range, not its state) */
    static boolean overlaps(final long e, final long offset, final long length) {
        final long start = UNSAFE.getLong(e + E_START);
        return start < offset + length && offset < start + UNSAFE.getLong(e + E_LENGTH);
    }

    private static boolean accepts(final long e, final long offset, final long length, final int directionBit) {
        if (UNSAFE.getIntVolatile(null, e + E_STATE) != ARMED) {
            return false;
        }
        if ((UNSAFE.getInt(e + E_FLAGS) & directionBit) == 0) {
            return false;
        }
        final long start = UNSAFE.getLong(e + E_START);
        final long len = UNSAFE.getLong(e + E_LENGTH);
        return start < offset + length && offset < start + len;
    }

    long entry(final int index) {
        return entries + (long) ENTRY_SIZE * index;
    }

    private long find(final long line) {
        final long key = line + 1;
        int i = mix(line) & hashMask;
        for (int probes = 0; probes <= hashMask; probes++) {
            final long slot = hash + 16L * i;
            final long k = UNSAFE.getLong(slot);
            if (k == 0) {
                return -1;
            }
            if (k == key) {
                return slot;
            }
            i = (i + 1) & hashMask;
        }
        return -1;
    }

    private static int mix(final long line) {
        long h = line * 0x9E3779B97F4A7C15L;
        h ^= h >>> 29;
        return (int) h;
    }

    // ---------------------------------------------------------------------------------- mutation

    /**
     * Takes the table's lock (a CAS of the lock word from 0 to this process's token, then the seq made
     * odd). Waits for a live holder at most {@link #LOCK_TIMEOUT_NANOS}; takes the lock over from a dead
     * one (a CAS from its token), and if that holder died mid-change (the seq odd), rebuilds the table.
     *
     * @throws TripwireLockTimeoutException if a live process held it all that time
     * @throws TripwireTableCorruptException if a rebuild found the table beyond repair (the lock is released)
     */
    void lock() {
        final long me = holders.token();
        if (!UNSAFE.compareAndSwapLong(null, base + LOCK, 0, me)) {
            lockSlow(me);
        }
        try {
            afterAcquire();
        } catch (final RuntimeException | Error e) {
            unlock();   // a rebuild that failed (even out of memory) must not leave this live process holding it
            throw e;
        }
    }

    private void lockSlow(final long me) {
        final long start = System.nanoTime();
        long nextCheck = start + HOLDER_CHECK_NANOS;
        for (int spins = 0; ; spins++) {
            final long holder = UNSAFE.getLongVolatile(null, base + LOCK);
            if (holder == 0) {
                if (UNSAFE.compareAndSwapLong(null, base + LOCK, 0, me)) {
                    return;
                }
                continue;
            }
            if (spins < SPINS) {
                Thread.onSpinWait();
                continue;
            }
            final long now = System.nanoTime();
            if (now - nextCheck >= 0) {
                if (holder != me && holders.holderDead(holder)
                    && UNSAFE.compareAndSwapLong(null, base + LOCK, holder, me)) {
                    return;   // taken over from a dead holder: afterAcquire repairs what it left
                }
                nextCheck = now + HOLDER_CHECK_NANOS;
            }
            if (now - start > LOCK_TIMEOUT_NANOS) {
                throw new TripwireLockTimeoutException("region '" + regionName + "': the tripwire table has been"
                    + " locked by " + holders.describe(holder) + " for more than "
                    + LOCK_TIMEOUT_NANOS / 1_000_000 + " ms and that process is alive; retry, or stop it");
            }
            if (spins < 2 * SPINS) {
                Thread.yield();
            } else {
                java.util.concurrent.locks.LockSupport.parkNanos(50_000);
            }
        }
    }

    /** The lock is ours: make the seq odd, or, if it already is (a holder died mid-change), rebuild. */
    private void afterAcquire() {
        final long seq = UNSAFE.getLongVolatile(null, base + SEQ);
        if ((seq & 1) == 0) {
            // odd before any change of the structure: a release store, then a store-store fence (the
            // CAS on the lock word was already a full one)
            UNSAFE.putOrderedLong(null, base + SEQ, seq + 1);
            UNSAFE.storeFence();
            if (UNSAFE.getIntVolatile(null, base + REPAIR) != 0) {
                rebuild();   // a reader found garbage since the last change
            }
        } else {
            ProtocolErrors.record(corrupt("header", "seq", seq, "odd with no live holder: a mutator died"
                + " mid-change"));
            rebuild();
        }
    }

    /**
     * Makes the seq even (whatever a peer wrote there; a release store, so readers that see it see the
     * changes) and frees the lock if this process still holds it (a release store: only the holder
     * writes a held lock word, and a peer that scribbles on it meanwhile is taken over from anyway).
     */
    void unlock() {
        final long seq = UNSAFE.getLong(base + SEQ);
        UNSAFE.putOrderedLong(null, base + SEQ, (seq | 1) + 1);
        if (UNSAFE.getLongVolatile(null, base + LOCK) == holders.token()) {
            UNSAFE.putOrderedLong(null, base + LOCK, 0);
        }
    }

    /** Asks the next mutator to rebuild the table (a plain flag any process may set; readers call it on garbage). */
    void requestRepair() {
        UNSAFE.putIntVolatile(null, base + REPAIR, 1);
    }

    TripwireTableCorruptException corrupt(final String structure, final String field, final long value,
                                          final String limit) {
        return new TripwireTableCorruptException(regionName, structure, field, value, limit);
    }

    /** @return {@code value} if {@code 0 <= value <= max}, else throws naming the field */
    private int checked(final String structure, final String field, final int value, final int max) {
        return checked(structure, -1, field, value, max);
    }

    /**
     * @param which the structure's number (node, entry, line, list position), -1 for none: the message
     *              is made only on failure, so the check allocates nothing
     * @return {@code value} if {@code 0 <= value <= max}, else throws naming the field
     */
    private int checked(final String structure, final long which, final String field, final int value, final int max) {
        if (value < 0 || value > max) {
            throw corrupt(which < 0 ? structure : structure + " " + which, field, value,
                "must be within [0, " + max + "]");
        }
        return value;
    }

    /** @return whether {@code [start, start + length)} is a non-empty range inside the data area (no overflow) */
    boolean validRange(final long start, final long length) {
        return start >= 0 && length > 0 && start <= dataSize - length;
    }

    /** @return the first entry index past the high-water mark, checked */
    private int entryHigh() {
        return checked("header", "entry high-water", UNSAFE.getInt(base + ENTRY_HIGH), entryCapacity);
    }

    private int wideCount() {
        return checked("header", "wide count", UNSAFE.getInt(base + WIDE_COUNT), WIDE_MAX);
    }

    private int wideIndex(final int i) {
        return checked("wide list position", i, "entry index", UNSAFE.getInt(base + WIDE_LIST + 4L * i), entryCapacity - 1);
    }

    /** @return an armed entry's start, its range checked against the region */
    private long checkedStart(final int index) {
        final long e = entry(index);
        final long start = UNSAFE.getLong(e + E_START);
        final long length = UNSAFE.getLong(e + E_LENGTH);
        if (!validRange(start, length)) {
            throw corrupt("entry " + index, "start/length", start, "length " + length + "; must lie inside the "
                + dataSize + "-byte data area");
        }
        return start;
    }

    // ------------------------------------------------------------------------------------ rebuild

    /**
     * Rebuilds everything derived from the entries (hash, nodes, wide list, free lists, counts,
     * presence bitmap) from the entries below the high-water mark whose state and range are valid;
     * entries that are not are freed (their tripwires no longer fire). The caller holds the lock.
     * Bounded: a pass over the entries and the hash.
     *
     * @throws TripwireTableCorruptException if a peer writes into the table faster than it can be rebuilt
     */
    void rebuild() {
        UNSAFE.putIntVolatile(null, base + REPAIR, 0);
        UNSAFE.setMemory(hash, 16L * (hashMask + 1), (byte) 0);
        UNSAFE.setMemory(nodes, 8L * nodeCapacity, (byte) 0);
        UNSAFE.putInt(base + WIDE_COUNT, 0);
        UNSAFE.putInt(base + NODE_FREE, 0);
        UNSAFE.putInt(base + NODE_HIGH, 0);
        UNSAFE.putInt(base + NODES_USED, 0);
        final int rawHigh = UNSAFE.getInt(base + ENTRY_HIGH);
        final int high = rawHigh < 0 ? 0 : Math.min(rawHigh, entryCapacity);
        final long words = bitmapWords(dataSize);
        final long[] bits = new long[(int) words];
        int freeHead = 0;
        int armedCount = 0;
        int wide = 0;
        for (int i = high - 1; i >= 0; i--) {
            final long e = entry(i);
            final int state = UNSAFE.getIntVolatile(null, e + E_STATE);
            final long start = UNSAFE.getLong(e + E_START);
            final long length = UNSAFE.getLong(e + E_LENGTH);
            boolean keep = (state == ARMED || state == FIRED) && validRange(start, length);
            final long firstLine = start >>> 6;
            final long lastLine = (start + length - 1) >>> 6;
            final long lineCount = lastLine - firstLine + 1;
            final boolean isWide = lineCount > NARROW_MAX_LINES;
            if (keep && (isWide ? wide >= WIDE_MAX : nodesInUse() + lineCount > nodeCapacity)) {
                keep = false;
            }
            if (!keep) {
                UNSAFE.putIntVolatile(null, e + E_STATE, FREE);
                UNSAFE.putInt(e + E_FLAGS, freeHead);
                freeHead = i + 1;
                continue;
            }
            final int flags = UNSAFE.getInt(e + E_FLAGS);
            UNSAFE.putInt(e + E_FLAGS, isWide ? flags | Tripwire.WIDE : flags & ~Tripwire.WIDE);
            if (isWide) {
                UNSAFE.putInt(base + WIDE_LIST + 4L * wide, i);
                wide++;
                UNSAFE.putIntVolatile(null, base + WIDE_COUNT, wide);
            } else {
                for (long line = firstLine; line <= lastLine; line++) {
                    link(line, i);
                }
            }
            for (long line = firstLine; line <= lastLine; line++) {
                bits[(int) (line >>> 6)] |= 1L << (line & 63);
            }
            armedCount++;
        }
        UNSAFE.putInt(base + ENTRY_HIGH, high);
        UNSAFE.putInt(base + ENTRY_FREE, freeHead);
        UNSAFE.putInt(base + ARMED_COUNT, armedCount);
        for (int w = 0; w < words; w++) {
            UNSAFE.putLongVolatile(null, bitmap + 8L * w, bits[w]);
        }
    }

    /**
     * Arms an entry; the caller holds the lock.
     *
     * @return the entry's index
     * @throws TripwireCapacityException if the table or the wide list is full
     */
    int arm(final long start, final long length, final int flags, final long condition, final long cookie,
            final String regionName) {
        final long firstLine = start >>> 6;
        final long lastLine = (start + length - 1) >>> 6;
        final boolean wide = lastLine - firstLine + 1 > NARROW_MAX_LINES;
        final long lineCount = lastLine - firstLine + 1;
        if (!validRange(start, length)) {
            throw new IllegalArgumentException("region '" + regionName + "': tripwire [" + start + ", +" + length
                + ") is not inside the " + dataSize + "-byte data area");
        }
        if (wide && wideCount() >= WIDE_MAX) {
            throw new TripwireCapacityException("region '" + regionName + "': already " + WIDE_MAX
                + " tripwires covering more than " + NARROW_MAX_LINES * 64 + " bytes each; disarm one first");
        }
        if (!wide && nodesInUse() + lineCount > nodeCapacity) {
            throw new TripwireCapacityException("region '" + regionName + "': the tripwire table is full ("
                + nodeCapacity + " line slots); export the region with a larger sidecar");
        }
        final int index = allocEntry(regionName);
        final long e = entry(index);
        try {
            return armAt(index, e, start, length, flags, condition, cookie, wide, firstLine, lastLine);
        } catch (final TripwireTableCorruptException ex) {
            UNSAFE.putIntVolatile(null, e + E_STATE, FREE);   // half-armed: the rebuild frees it
            throw ex;
        }
    }

    private int armAt(final int index, final long e, final long start, final long length, final int flags,
                      final long condition, final long cookie, final boolean wide, final long firstLine,
                      final long lastLine) {
        final long id = UNSAFE.getLong(base + NEXT_ID) + 1;
        UNSAFE.putLong(base + NEXT_ID, id);
        UNSAFE.putInt(e + E_FLAGS, flags | (wide ? Tripwire.WIDE : 0));
        UNSAFE.putLong(e + E_START, start);
        UNSAFE.putLong(e + E_LENGTH, length);
        UNSAFE.putLong(e + E_ID, id);
        UNSAFE.putLong(e + E_COOKIE, cookie);
        UNSAFE.putLong(e + E_COND, condition);
        UNSAFE.putLongVolatile(null, e + E_COUNT, 0);
        UNSAFE.putLongVolatile(null, e + E_LOST, 0);
        UNSAFE.putIntVolatile(null, e + E_STATE, ARMED);
        if (wide) {
            final int w = wideCount();
            UNSAFE.putInt(base + WIDE_LIST + 4L * w, index);
            UNSAFE.putIntVolatile(null, base + WIDE_COUNT, w + 1);
        } else {
            for (long line = firstLine; line <= lastLine; line++) {
                link(line, index);
            }
        }
        for (long line = firstLine; line <= lastLine; line++) {
            setBit(line);
        }
        UNSAFE.putInt(base + ARMED_COUNT, UNSAFE.getInt(base + ARMED_COUNT) + 1);
        return index;
    }

    /** Puts a node for entry {@code index} at the head of {@code line}'s list; the caller holds the lock. */
    private void link(final long line, final int index) {
        final long slot = findOrInsert(line);
        final int head = checked("hash slot of line", line, "head node", UNSAFE.getInt(slot + 8), nodeCapacity);
        final int node = allocNode();
        final long nodeAddr = nodes + 8L * (node - 1);
        UNSAFE.putInt(nodeAddr, index);
        UNSAFE.putInt(nodeAddr + 4, head);
        UNSAFE.putIntVolatile(null, slot + 8, node);
    }

    /**
     * Removes an entry; the caller holds the lock.
     *
     * @return false if it was already gone
     * @throws TripwireTableCorruptException if the entry or the lists it is on hold garbage
     */
    boolean disarm(final int index, final long id) {
        if (index < 0 || index >= entryCapacity) {
            return false;
        }
        final long e = entry(index);
        if (UNSAFE.getIntVolatile(null, e + E_STATE) == FREE || UNSAFE.getLong(e + E_ID) != id) {
            return false;
        }
        final long start = checkedStart(index);
        UNSAFE.putIntVolatile(null, e + E_STATE, FREE);
        final long firstLine = start >>> 6;
        final long lastLine = (start + UNSAFE.getLong(e + E_LENGTH) - 1) >>> 6;
        if ((UNSAFE.getInt(e + E_FLAGS) & Tripwire.WIDE) != 0) {
            final int w = wideCount();
            for (int i = 0; i < w; i++) {
                if (UNSAFE.getInt(base + WIDE_LIST + 4L * i) == index) {
                    UNSAFE.putInt(base + WIDE_LIST + 4L * i, UNSAFE.getInt(base + WIDE_LIST + 4L * (w - 1)));
                    UNSAFE.putIntVolatile(null, base + WIDE_COUNT, w - 1);
                    break;
                }
            }
        } else {
            for (long line = firstLine; line <= lastLine; line++) {
                unlinkNode(line, index);
            }
        }
        for (long line = firstLine; line <= lastLine; line++) {
            if (!lineInUse(line)) {
                clearBit(line);
            }
        }
        UNSAFE.putInt(e + E_FLAGS, UNSAFE.getInt(base + ENTRY_FREE));
        UNSAFE.putInt(base + ENTRY_FREE, index + 1);
        UNSAFE.putInt(base + ARMED_COUNT, UNSAFE.getInt(base + ARMED_COUNT) - 1);
        return true;
    }

    int armedCount() {
        return UNSAFE.getIntVolatile(null, base + ARMED_COUNT);
    }

    private int nodesInUse() {
        return checked("header", "nodes in use", UNSAFE.getInt(base + NODES_USED), nodeCapacity);
    }

    private int allocEntry(final String regionName) {
        final int free = checked("header", "entry free head", UNSAFE.getInt(base + ENTRY_FREE), entryCapacity);
        if (free != 0) {
            final long e = entry(free - 1);
            if (UNSAFE.getIntVolatile(null, e + E_STATE) != FREE) {
                throw corrupt("entry " + (free - 1), "state", UNSAFE.getIntVolatile(null, e + E_STATE),
                    "on the free list, so must be " + FREE);
            }
            UNSAFE.putInt(base + ENTRY_FREE, checked("entry", free - 1, "next free", UNSAFE.getInt(e + E_FLAGS),
                entryCapacity));
            return free - 1;
        }
        final int high = entryHigh();
        if (high >= entryCapacity) {
            throw new TripwireCapacityException("region '" + regionName + "': all " + entryCapacity
                + " tripwire entries are armed; disarm some, or export the region with a larger sidecar"
                + " (TripwireUnit.sidecarBytes)");
        }
        UNSAFE.putInt(base + ENTRY_HIGH, high + 1);
        return high;
    }

    private int allocNode() {
        final int free = checked("header", "node free head", UNSAFE.getInt(base + NODE_FREE), nodeCapacity);
        final int node;
        if (free != 0) {
            UNSAFE.putInt(base + NODE_FREE, checked("node", free, "next free",
                UNSAFE.getInt(nodes + 8L * (free - 1) + 4), nodeCapacity));
            node = free;
        } else {
            final int high = checked("header", "node high-water", UNSAFE.getInt(base + NODE_HIGH), nodeCapacity);
            if (high == nodeCapacity) {
                throw corrupt("header", "node high-water", high, "no free node although " + nodesInUse()
                    + " of " + nodeCapacity + " are counted in use");
            }
            UNSAFE.putInt(base + NODE_HIGH, high + 1);
            node = high + 1;
        }
        UNSAFE.putInt(base + NODES_USED, nodesInUse() + 1);
        return node;
    }

    private void unlinkNode(final long line, final int index) {
        final long slot = find(line);
        if (slot < 0) {
            return;
        }
        long prevLink = slot + 8;
        int node = checked("hash slot of line", line, "head node", UNSAFE.getInt(prevLink), nodeCapacity);
        for (int guard = 0; node != 0; guard++) {
            if (guard >= nodeCapacity) {
                throw corrupt("node " + node, "next", node, "the list of line " + line + " is longer than the "
                    + nodeCapacity + " nodes there are: it loops");
            }
            final long nodeAddr = nodes + 8L * (node - 1);
            final int next = checked("node", node, "next", UNSAFE.getInt(nodeAddr + 4), nodeCapacity);
            if (UNSAFE.getInt(nodeAddr) == index) {
                UNSAFE.putIntVolatile(null, prevLink, next);
                UNSAFE.putInt(nodeAddr + 4, checked("header", "node free head", UNSAFE.getInt(base + NODE_FREE),
                    nodeCapacity));
                UNSAFE.putInt(base + NODE_FREE, node);
                UNSAFE.putInt(base + NODES_USED, Math.max(0, nodesInUse() - 1));
                break;
            }
            prevLink = nodeAddr + 4;
            node = next;
        }
        if (UNSAFE.getInt(slot + 8) == 0) {
            deleteSlot(slot);
        }
    }

    private boolean lineInUse(final long line) {
        if (find(line) >= 0) {
            return true;
        }
        final int w = wideCount();
        for (int i = 0; i < w; i++) {
            final int index = wideIndex(i);
            final long s = checkedStart(index);
            if (line >= s >>> 6 && line <= (s + UNSAFE.getLong(entry(index) + E_LENGTH) - 1) >>> 6) {
                return true;
            }
        }
        return false;
    }

    private long findOrInsert(final long line) {
        final long key = line + 1;
        int i = mix(line) & hashMask;
        for (int probes = 0; probes <= hashMask; probes++) {
            final long slot = hash + 16L * i;
            final long k = UNSAFE.getLong(slot);
            if (k == key) {
                return slot;
            }
            if (k == 0) {
                UNSAFE.putInt(slot + 8, 0);
                UNSAFE.putLongVolatile(null, slot, key);
                return slot;
            }
            i = (i + 1) & hashMask;
        }
        throw corrupt("hash", "slots", hashMask + 1, "every slot taken, though there are four per entry");
    }

    /** Backward-shift deletion keeps linear probing correct without tombstones. */
    private void deleteSlot(final long slot) {
        int hole = (int) ((slot - hash) >>> 4);
        int i = hole;
        for (int probes = 0; ; probes++) {
            if (probes > hashMask) {
                throw corrupt("hash", "slots", hashMask + 1, "no empty slot: every slot taken");
            }
            i = (i + 1) & hashMask;
            final long s = hash + 16L * i;
            final long k = UNSAFE.getLong(s);
            if (k == 0) {
                break;
            }
            final int home = mix(k - 1) & hashMask;
            final boolean movable = hole <= i ? (home <= hole || home > i) : (home <= hole && home > i);
            if (movable) {
                final long h = hash + 16L * hole;
                UNSAFE.putInt(h + 8, UNSAFE.getInt(s + 8));
                UNSAFE.putLongVolatile(null, h, k);
                hole = i;
            }
        }
        final long h = hash + 16L * hole;
        UNSAFE.putLongVolatile(null, h, 0);
        UNSAFE.putInt(h + 8, 0);
    }

    private void setBit(final long line) {
        final long addr = bitmap + ((line >>> 6) << 3);
        UNSAFE.putLongVolatile(null, addr, UNSAFE.getLong(addr) | (1L << (line & 63)));
    }

    private void clearBit(final long line) {
        final long addr = bitmap + ((line >>> 6) << 3);
        UNSAFE.putLongVolatile(null, addr, UNSAFE.getLong(addr) & ~(1L << (line & 63)));
    }

    // ---------------------------------------------------------------------------- queue directory

    /**
     * Finds or claims the directory slot of an event queue; the caller holds the lock. Slots of
     * queues whose owning process has gone are reclaimed.
     *
     * @return the slot index
     */
    int registerQueue(final String name, final long pid, final int regionId, final String regionName) {
        // pid: the registering process's HolderIdentity token
        final byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        // fast path, no system calls: this queue already has its slot
        for (int i = 0; i < QUEUES; i++) {
            final long slot = base + QUEUE_DIR + (long) QUEUE_SLOT * i;
            if (UNSAFE.getLongVolatile(null, slot) == pid && name.equals(queueName(i))) {
                UNSAFE.putIntVolatile(null, slot + 8, regionId);
                return i;
            }
        }
        int free = -1;
        for (int i = 0; i < QUEUES; i++) {
            final long slot = base + QUEUE_DIR + (long) QUEUE_SLOT * i;
            final long owner = UNSAFE.getLong(slot);
            if (owner == 0 || holders.holderDead(owner)) {
                if (free < 0) {
                    free = i;
                }
                continue;
            }
            if (name.equals(queueName(i))) {
                UNSAFE.putIntVolatile(null, slot + 8, regionId);
                return i;
            }
        }
        if (free < 0) {
            throw new TripwireCapacityException("region '" + regionName + "': " + QUEUES
                + " event queues of live processes already watch it");
        }
        reapQueue(free, regionName);
        final long slot = base + QUEUE_DIR + (long) QUEUE_SLOT * free;
        UNSAFE.putInt(slot + 8, regionId);
        UNSAFE.putInt(slot + 12, bytes.length);
        UNSAFE.copyMemory(bytes, UNSAFE.arrayBaseOffset(byte[].class), null, slot + 16, bytes.length);
        final long serial = UNSAFE.getLong(base + QUEUE_SERIAL) + 1;
        UNSAFE.putLong(base + QUEUE_SERIAL, serial);
        UNSAFE.putLongVolatile(null, slot + SLOT_SERIAL, serial);
        UNSAFE.putLongVolatile(null, slot, pid);
        return free;
    }

    /**
     * Disarms the entries left behind by a unit whose process is gone (it cannot disarm them), so
     * its directory slot and their entries can be reused; the caller holds the lock.
     */
    private void reapQueue(final int queueIndex, final String regionName) {
        final int high = entryHigh();
        for (int i = 0; i < high; i++) {
            final long e = entry(i);
            final int state = UNSAFE.getIntVolatile(null, e + E_STATE);
            if (state != FREE && ((UNSAFE.getInt(e + E_FLAGS) >>> Tripwire.QUEUE_SHIFT) & 0xF) == queueIndex
                && (UNSAFE.getInt(e + E_FLAGS) & Tripwire.IN) != 0) {
                disarm(i, UNSAFE.getLong(e + E_ID));
            }
        }
        UNSAFE.putLongVolatile(null, base + QUEUE_DIR + (long) QUEUE_SLOT * queueIndex, 0);
        UNSAFE.putLongVolatile(null, base + QUEUE_DIR + (long) QUEUE_SLOT * queueIndex + SLOT_SERIAL, 0);
    }

    /** Frees the directory slot of a closing unit's queue (and anything it left armed); the caller holds the lock. */
    void releaseQueue(final String name, final String regionName) {
        for (int i = 0; i < QUEUES; i++) {
            if (name.equals(queueName(i))) {
                reapQueue(i, regionName);
            }
        }
    }

    String queueName(final int index) {
        final long slot = base + QUEUE_DIR + (long) QUEUE_SLOT * index;
        if (UNSAFE.getLongVolatile(null, slot) == 0) {
            return null;
        }
        final int len = UNSAFE.getInt(slot + 12);
        if (len < 0 || len > QUEUE_NAME_MAX) {
            ProtocolErrors.record(corrupt("queue directory slot " + index, "name length", len,
                "must be within [0, " + QUEUE_NAME_MAX + "]"));
            return null;
        }
        final byte[] bytes = new byte[len];
        UNSAFE.copyMemory(null, slot + 16, bytes, UNSAFE.arrayBaseOffset(byte[].class), len);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    int queueRegionId(final int index) {
        return UNSAFE.getIntVolatile(null, base + QUEUE_DIR + (long) QUEUE_SLOT * index + 8);
    }

    /** A growable buffer of entry indices, one per thread, reused across transfers. */
    static final class Matches {
        int[] buf = new int[64];

        int add(final int n, final int index) {
            if (n == buf.length) {
                buf = java.util.Arrays.copyOf(buf, n * 2);
            }
            buf[n] = index;
            return n + 1;
        }
    }
}
