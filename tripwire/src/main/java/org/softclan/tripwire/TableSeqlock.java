package org.softclan.tripwire;

import static org.softclan.tripwire.TripwireTableDescriptor.LOCK_OFFSET;
import static org.softclan.tripwire.TripwireTableDescriptor.REPAIR_OFFSET;
import static org.softclan.tripwire.TripwireTableDescriptor.SEQ_OFFSET;

import org.softclan.dsm.SharedMemory;

/**
 * The cross-process lock of one tripwire table and the seqlock through which writers read it: two
 * words at the head of the table ({@link TripwireTableDescriptor#LOCK_OFFSET} and
 * {@link TripwireTableDescriptor#SEQ_OFFSET}) that any process mapping the region may use.
 *
 * <p><b>Protocol.</b> A mutator (arm, disarm, queue registration, rebuild) takes the lock word with a
 * compare-and-set from 0 to its {@link HolderIdentity} token, then makes the seq odd, changes the
 * structure, makes the seq even (one more than before) and clears the lock word. A reader (a writer's
 * snoop matching a transfer) takes no lock: it reads an even seq, reads the structure, and keeps what it
 * read only if the seq still holds the same value; otherwise it retries.
 *
 * <pre>
 *   mutator                                  reader
 *   CAS lock 0 -&gt; token
 *   seq = s + 1 (release), release fence
 *   ... change hash, nodes, entries ...      s' = seq (volatile); odd: wait (bounded)
 *   seq = s + 2 (release)                    ... read hash, nodes, entries ...
 *   lock = 0 (release)                       acquire fence; seq == s'? keep : retry
 * </pre>
 *
 * <p><b>Memory order.</b> The lock's compare-and-set is a full barrier. The odd seq is a release store
 * followed by a release fence, so no store that changes the structure can become visible before it.
 * The even seq is a release store after the last change, so a reader that sees it sees the changes.
 * Readers load the seq with volatile loads, and put an acquire fence before the second one, so none of
 * their loads of the structure can be satisfied after it. The repair request is a volatile int.
 *
 * <p><b>Recovery from a dead holder.</b> A waiter that has waited a while (after {@value #SPINS} spins)
 * checks, every {@link #HOLDER_CHECK_NANOS} ns, whether the lock word's holder is gone
 * ({@link HolderIdentity#holderDead}); if so it takes the lock over with a compare-and-set from the dead
 * token. If the seq is then odd (the holder died mid-change), the new holder rebuilds the table from its
 * valid entries ({@link TripwireTable#rebuild()}) before using it. A reader that finds the seq odd and
 * the lock free (garbage) or held by a dead process does the same, then releases the lock.
 *
 * <p><b>A seq set back.</b> A legitimate seq only grows. Writers cache a line's entries keyed by the seq
 * they read (the snoop's line cache); a peer that writes a lower value lets the next changes climb back
 * through values already cached, and a cache of a line that has changed since would look current. So a
 * mutator remembers the highest seq it began from or left ({@code highest}, per table object: a unit
 * keeps its table objects while it has tripwires there); finding a lower even one, it counts the
 * violation, jumps the seq past everything it saw by a random stride of up to 2^40 (so no cached value
 * comes back, whatever garbage readers may have cached meanwhile), and rebuilds the table. A dead
 * holder's odd seq gets the same jump. Until the next change by a process that saw the higher value, a
 * reader may still use a stale cache of a line: the window the garbage opened closes at that change.
 * Legitimate seqs stay below {@link #SEQ_LIMIT} (2^62): a value at or above it, or negative, is garbage
 * and gets the same jump; a jump that would pass the limit starts again at a random even value below it
 * (never at 0: readers may hold caches keyed by the small values a peer wrote, and a seq that climbed
 * from 0 again would revalidate them).
 *
 * <p><b>Bounds on every wait.</b> A mutator waits for a live holder at most {@link #LOCK_TIMEOUT_NANOS}
 * and then throws {@link TripwireLockTimeoutException} naming the holder; a reader waits for an odd seq
 * at most {@link #SNOOP_WAIT_NANOS} and then gives up on the table for that transfer (counted in
 * {@link ProtocolErrors}). Spinning turns into yielding, and the mutator's wait into 50 µs parks.
 *
 * <p><b>Quarantine.</b> A reader that gave up, or whose waits on this table added up to more than
 * {@link #SNOOP_WAIT_NANOS} within {@link #WAIT_WINDOW_NANOS} (a peer locking its table often, each time
 * just below the bound), quarantines the table: readers then read it while it is readable and skip it at
 * once while it is locked, never waiting. The quarantine ends only once readers found the table readable,
 * never locked past their spins, for a whole period: {@link #QUARANTINE_MIN_NANOS} the first time,
 * twice the last period each time again (up to {@link #QUARANTINE_MAX_NANOS}). A peer that flips its
 * table between locked and readable so costs writers one bounded wait per period, and the periods grow;
 * before, each readable look ended the quarantine, and every flip cost a writer the whole bound again.
 *
 * <p><b>Allocation.</b> None, except on the failure paths (messages, exceptions) and in a rebuild.
 */
final class TableSeqlock {
    /** Longest a mutator waits for a live holder of the lock: 5 s (property softclan.tripwire.lockTimeoutMillis). */
    static final long LOCK_TIMEOUT_NANOS = millis("softclan.tripwire.lockTimeoutMillis", 5_000);
    /** Longest a writer's snoop waits for a locked table before skipping its tripwires: 200 ms. */
    static final long SNOOP_WAIT_NANOS = millis("softclan.tripwire.snoopWaitMillis", 200);
    /** How often a waiter checks whether the lock's holder has died. */
    static final long HOLDER_CHECK_NANOS = 1_000_000;
    /** Busy spins before a waiter starts yielding and checking the holder. */
    static final int SPINS = 1_000;
    /** Every legitimate seq is below this (2^62); see "A seq set back" above. */
    static final long SEQ_LIMIT = 1L << 62;
    /** The window over which a reader's waits on one table add up (1 s): see "Quarantine" above. */
    static final long WAIT_WINDOW_NANOS = 1_000_000_000L;
    /** The first quarantine's readable period (1 s); each later one is twice the last. */
    static final long QUARANTINE_MIN_NANOS = 1_000_000_000L;
    /** The longest readable period a quarantine asks for (64 s). */
    static final long QUARANTINE_MAX_NANOS = 64_000_000_000L;
    /** A jump's random stride is below this (2^40). */
    private static final long STRIDE = 1L << 40;

    private final SharedMemory memory;
    private final String regionName;
    private final HolderIdentity holders;
    private final TripwireTable table;
    /**
     * The highest even seq this process began a change from or left: a legitimate seq never goes below it
     * (guarded by the lock word, like the structure).
     */
    private long highest;
    /** The odd seq this process made when it last took the lock: {@link #unlock()} publishes the next value. */
    private long odd;
    /**
     * Set when a writer gave up on this table after {@link #SNOOP_WAIT_NANOS} (a live holder kept it
     * locked, or its seq kept changing), or its waits added up to that within a window; cleared once
     * writers found it readable for a whole period (see "Quarantine" above). While set, writers do not
     * wait for it: they skip its tripwires at once when it is locked. Without this, a process that keeps
     * its own region's table locked would cost every writer into that region (an RPC server answering it)
     * the whole bound per write, and so stall that writer's other work (its other clients).
     */
    private volatile boolean quarantined;
    /** The readable period the current quarantine asks for, in ns (0 before the first quarantine). */
    private volatile long quarantinePeriod;
    /** When readers began to find the quarantined table readable (nanoTime, 0: not since it was last locked). */
    private volatile long readableSince;
    /** When the current window of waits began (nanoTime), and the ns waited in it: see "Quarantine". */
    private volatile long windowStart;
    private volatile long waitedInWindow;

    /**
     * @param memory     the table's memory
     * @param regionName the region, for messages
     * @param holders    how this process names itself in the lock word and tells a dead holder
     * @param table      the table this lock guards, rebuilt when a holder died mid-change
     */
    TableSeqlock(final SharedMemory memory, final String regionName, final HolderIdentity holders,
                 final TripwireTable table) {
        this.memory = memory;
        this.regionName = regionName;
        this.holders = holders;
        this.table = table;
    }

    private static long millis(final String property, final long defaultMillis) {
        return java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(Long.getLong(property, defaultMillis));
    }

    /** @return the structure's seqlock word (volatile read): even and unchanged means no arm or disarm happened */
    long seq() {
        return TripwireTableDescriptor.seq(memory);
    }

    /**
     * Ends a seqlock read: an acquire fence (no load of the structure before it moves after it), then a
     * volatile load of the seq.
     *
     * @param seq the even seq the read started at ({@link #awaitReadable()})
     * @return whether nothing changed the structure meanwhile (what was read is a consistent snapshot)
     */
    boolean validate(final long seq) {
        SharedMemory.acquireFence();
        return memory.getLongVolatile(SEQ_OFFSET) == seq;
    }

    /**
     * Writers skip this table without waiting while it is locked, until they found it readable for a
     * whole period (its seq kept changing, or a holder kept it locked): see "Quarantine" above.
     */
    void quarantine() {
        final long period = quarantinePeriod;
        quarantinePeriod = period == 0 ? QUARANTINE_MIN_NANOS : Math.min(2 * period, QUARANTINE_MAX_NANOS);
        readableSince = 0;
        quarantined = true;
    }

    /**
     * A writer found the table readable and unchanged: a quarantine ends once that has held for its whole
     * period. One volatile load when the table is not quarantined.
     */
    void release() {
        if (quarantined) {
            readableInQuarantine();
        }
    }

    private void readableInQuarantine() {
        final long now = System.nanoTime();
        final long since = readableSince;
        if (since == 0) {
            readableSince = now | 1;   // never 0
        } else if (now - since >= quarantinePeriod) {
            quarantined = false;
            readableSince = 0;
        }
    }

    /**
     * The table was found unstable (locked past the spins, or its seq changing on every read): whether
     * writers skip it at once. True while quarantined, and then the readable period starts over; false if
     * not quarantined, or if the table was found readable for the whole period since it was last
     * unstable (the quarantine ends here: writers only look at a table when they write into it, and a
     * cached line is used without a look at the lock, so the end is decided when it matters).
     */
    boolean skipWhileUnstable() {
        if (!quarantined) {
            return false;
        }
        final long since = readableSince;
        if (since != 0 && System.nanoTime() - since >= quarantinePeriod) {
            quarantined = false;
            readableSince = 0;
            return false;
        }
        readableSince = 0;
        return true;
    }

    /** Adds a wait that ended readable to the window's sum; quarantines the table past the bound. */
    private void charge(final long waitedNanos, final long now) {
        if (now - windowStart > WAIT_WINDOW_NANOS) {
            windowStart = now;
            waitedInWindow = 0;
        }
        final long sum = waitedInWindow + waitedNanos;
        waitedInWindow = sum;
        if (sum > SNOOP_WAIT_NANOS && !quarantined) {
            waitedInWindow = 0;
            final long holder = memory.getLongVolatile(LOCK_OFFSET);
            ProtocolErrors.record(new TripwireLockTimeoutException("region '" + regionName + "': writers waited"
                + " more than " + SNOOP_WAIT_NANOS / 1_000_000 + " ms in " + WAIT_WINDOW_NANOS / 1_000_000
                + " ms for its tripwire table, locked again and again (last by " + holders.describe(holder)
                + "); it is skipped without waiting while locked, until it stays readable"));
            quarantine();
        }
    }

    /**
     * Waits, bounded, for the seq to be even (no mutation in progress), taking the lock over from a
     * dead holder on the way.
     *
     * @return the even seq (volatile read), or -1 if a live holder kept it odd past {@link #SNOOP_WAIT_NANOS}
     *         (counted as a protocol error; the caller skips the table for this transfer), or -1 at
     *         once while the table is quarantined and still odd
     */
    long awaitReadable() {
        final long seq = memory.getLongVolatile(SEQ_OFFSET);
        return (seq & 1) == 0 ? seq : awaitReadableSlow();
    }

    private long awaitReadableSlow() {
        final long start = System.nanoTime();
        long nextCheck = start;
        for (int spins = 0; ; spins++) {
            final long seq = memory.getLongVolatile(SEQ_OFFSET);
            if ((seq & 1) == 0) {
                if (spins > SPINS) {   // waited past the spins: counted against the table
                    charge(System.nanoTime() - start, System.nanoTime());
                } else if (quarantined) {
                    readableInQuarantine();   // locked only for a moment: a legitimate change
                }
                return seq;
            }
            if (spins < SPINS) {
                Thread.onSpinWait();
                continue;
            }
            if (spins == SPINS && skipWhileUnstable()) {
                recoverAbandoned();   // a dead holder is still taken over; a live one is not waited for
                return -1;
            }
            final long now = System.nanoTime();
            if (now - nextCheck >= 0) {
                recoverAbandoned();
                nextCheck = now + HOLDER_CHECK_NANOS;
            }
            if (now - start > SNOOP_WAIT_NANOS) {
                final long holder = memory.getLongVolatile(LOCK_OFFSET);
                ProtocolErrors.record(new TripwireLockTimeoutException("region '" + regionName + "': the tripwire"
                    + " table stayed locked by " + holders.describe(holder) + " (alive) for more than "
                    + SNOOP_WAIT_NANOS / 1_000_000 + " ms; its tripwires are skipped without waiting while it is"
                    + " locked, until it stays readable"));
                quarantine();
                return -1;
            }
            Thread.yield();
        }
    }

    /**
     * If the seq is odd and the lock is free (garbage) or held by a dead process, takes the lock
     * (compare-and-set), rebuilds the table and releases it. Never throws: a failure is counted.
     */
    private void recoverAbandoned() {
        final long holder = memory.getLongVolatile(LOCK_OFFSET);
        final long me = holders.token();
        if (holder == me) {
            return;   // another thread of this process holds it: it is alive
        }
        if (holder == 0 ? memory.compareAndSetLong(LOCK_OFFSET, 0, me)
            : holders.holderDead(holder) && memory.compareAndSetLong(LOCK_OFFSET, holder, me)) {
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
     * Takes the table's lock (a CAS of the lock word from 0 to this process's token, then the seq made
     * odd). Waits for a live holder at most {@link #LOCK_TIMEOUT_NANOS}; takes the lock over from a dead
     * one (a CAS from its token), and if that holder died mid-change (the seq odd), rebuilds the table.
     *
     * @throws TripwireLockTimeoutException if a live process held it all that time
     * @throws TripwireTableCorruptException if a rebuild found the table beyond repair (the lock is released)
     */
    void lock() {
        final long me = holders.token();
        if (!memory.compareAndSetLong(LOCK_OFFSET, 0, me)) {
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
            final long holder = memory.getLongVolatile(LOCK_OFFSET);
            if (holder == 0 && memory.compareAndSetLong(LOCK_OFFSET, 0, me)) {
                return;
            }
            if (spins < SPINS) {
                Thread.onSpinWait();
                continue;
            }
            final long now = System.nanoTime();
            if (now - nextCheck >= 0) {
                if (holder != me && holders.holderDead(holder)
                    && memory.compareAndSetLong(LOCK_OFFSET, holder, me)) {
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
        long seq = memory.getLongVolatile(SEQ_OFFSET);
        if ((seq & 1) == 0 && (seq < highest || seq >= SEQ_LIMIT)) {
            // a legitimate seq only grows: a peer wrote this one. Readers may hold line caches keyed by
            // values the seq passed before; were it to climb back through them, a cache of a line that
            // has changed since would look current. Jump past everything this process saw, by a random
            // stride, so no cached value comes back (the structure is rebuilt too: it may be garbage)
            ProtocolErrors.record(new TripwireTableCorruptException(regionName, "header", "seq", seq,
                seq < 0 || seq >= SEQ_LIMIT ? "must be within [0, 2^62): the seq jumps and the table is rebuilt"
                : "went back from " + highest + " (a seq only grows): the seq jumps ahead and the table is rebuilt"));
            seq = fresh();
            odd = seq + 1;
            memory.putLongRelease(SEQ_OFFSET, odd);
            SharedMemory.releaseFence();
            highest = seq;
            table.rebuild();
            return;
        }
        if ((seq & 1) == 0) {
            highest = Math.max(highest, seq);
            // odd before any change of the structure: a release store, then a release fence (the CAS on
            // the lock word was already a full one)
            odd = seq + 1;
            memory.putLongRelease(SEQ_OFFSET, odd);
            SharedMemory.releaseFence();
            if (memory.getIntVolatile(REPAIR_OFFSET) != 0) {
                table.rebuild();   // a reader found garbage since the last change
            }
        } else {
            ProtocolErrors.record(new TripwireTableCorruptException(regionName, "header", "seq", seq,
                "odd with no live holder: a mutator died mid-change"));
            final long jumped = fresh();   // the rebuilt structure gets a seq no reader cached
            odd = jumped + 1;
            memory.putLongRelease(SEQ_OFFSET, odd);
            SharedMemory.releaseFence();
            highest = jumped;
            table.rebuild();
        }
    }

    /**
     * An even seq past every value this process saw and past the current one (if that is a legitimate
     * one), by a random stride of up to 2^40: a reader's cache keyed by an earlier value (garbage a peer
     * wrote included, which this process may never have seen) matches it only by a chance of about one in
     * 2^39 per cached value. A jump that would reach {@link #SEQ_LIMIT} starts again at a random even value
     * below it.
     */
    private long fresh() {
        final java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
        final long current = memory.getLongVolatile(SEQ_OFFSET);
        final long floor = Math.max(highest, current >= 0 && current < SEQ_LIMIT ? current | 1 : 0) + 1;
        final long next = floor < SEQ_LIMIT - 2 * STRIDE ? floor + random.nextLong(STRIDE)
            : random.nextLong(SEQ_LIMIT - 2 * STRIDE);
        return next & ~1L;
    }

    /**
     * Makes the seq even, one past the odd value this process made when it took the lock (a release
     * store, so readers that see it see the changes; whatever a peer wrote there meanwhile is replaced),
     * and frees the lock if this process still holds it (a release store: only the holder writes a held
     * lock word, and a peer that scribbles on it meanwhile is taken over from anyway).
     */
    void unlock() {
        final long even = odd + 1;
        memory.putLongRelease(SEQ_OFFSET, even);
        highest = even;
        if (memory.getLongVolatile(LOCK_OFFSET) == holders.token()) {
            memory.putLongRelease(LOCK_OFFSET, 0);
        }
    }

    /**
     * Asks the next mutator to rebuild the table (a volatile store any process may make; readers make it
     * on garbage).
     */
    void requestRepair() {
        memory.putIntVolatile(REPAIR_OFFSET, 1);
    }

    /** Withdraws the repair request (a volatile store; the lock holder, as its rebuild starts). */
    void clearRepair() {
        memory.putIntVolatile(REPAIR_OFFSET, 0);
    }
}
