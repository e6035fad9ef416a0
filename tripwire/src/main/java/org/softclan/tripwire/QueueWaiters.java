package org.softclan.tripwire;

import static org.softclan.tripwire.EventQueueDescriptor.FALLBACK_SEEN_OFFSET;
import static org.softclan.tripwire.EventQueueDescriptor.HEAD_OFFSET;
import static org.softclan.tripwire.EventQueueDescriptor.TAIL_OFFSET;
import static org.softclan.tripwire.EventQueueDescriptor.WAITERS_OFFSET;

import org.softclan.dsm.SharedMemory;
import org.softclan.tripwire.os.Futex;

/**
 * The blocked side of an {@link EventQueue} in the queue's own process: the shared waiter count that
 * posters read to decide whether to wake anyone, and how long each futex wait lasts. Both answer to
 * words in memory every peer maps, so neither trusts them: the count is this process's and is written
 * again when found changed; the fallback flag only shortens slices while something comes.
 */
final class QueueWaiters {
    /** The longest wait slice while the fallback flag is set, after empty slices (ns; see {@link #slice}). */
    static final long MAX_FALLBACK_SLICE_NANOS = 12_800_000L;
    /** Wait slices after the waiter count was found written by another process (ns). */
    static final long TAMPERED_SLICE_NANOS = 1_000_000L;
    /** How long wait slices stay short after that (ns). */
    static final long TAMPERED_HOLD_NANOS = 10_000_000_000L;

    private final SharedMemory memory;
    private final long stallNanos;
    /** This process's threads counted in the shared waiter word (written under this object's lock). */
    private volatile int count;
    /** When the shared waiter count was last found written by another process ({@code nanoTime}), or 0. */
    private volatile long tamperedAt;

    QueueWaiters(final SharedMemory memory, final long stallNanos) {
        this.memory = memory;
        this.stallNanos = stallNanos;
    }

    /**
     * Counts a thread of this process in or out of the shared waiter count. Only the queue's process
     * blocks on it, so the word is written with volatile stores of a count kept here (under a lock), not
     * with an atomic add: the JVM turns a fault of a store into a file that was cut into an
     * {@link InternalError}, but an atomic instruction run by JDK 17's interpreter into a SIGBUS that ends
     * the process. The volatile store is a full barrier: the waiter's re-check of its condition that
     * follows cannot pass it (the poster's side is a volatile store of the slot, then a load of this word).
     *
     * @param delta +1 as a thread starts to block, -1 as it leaves
     */
    synchronized void add(final int delta) {
        final int now = count + delta;
        count = now;
        memory.putIntVolatile(WAITERS_OFFSET, now);
    }

    /**
     * How long one futex wait of a blocked thread lasts at most (ns). Bounded slices: while a claimed
     * slot is unpublished (a poster may have died), wake up to check the stall bound; with the fallback
     * flag set (a poster on the parking fallback rings without waking anyone), look often, the less often
     * the longer nothing came ({@link Futex#FALLBACK_SLICE_NANOS} doubled per empty slice up to
     * {@value #MAX_FALLBACK_SLICE_NANOS} ns: the flag is shared memory, and a peer that sets it must not
     * make an idle waiter poll); after the waiter count was found overwritten, short slices
     * ({@value #TAMPERED_SLICE_NANOS} ns) for {@value #TAMPERED_HOLD_NANOS} ns, since posters that read a
     * zeroed count do not wake anyone.
     *
     * @param emptySlices slices of this block that ended by their timeout
     */
    long slice(final int emptySlices) {
        long slice = memory.getLongVolatile(TAIL_OFFSET) != memory.getLongVolatile(HEAD_OFFSET)
            ? Math.min(EventQueue.MAX_BLOCK_SLICE_NANOS, stallNanos / 4 + 1) : EventQueue.MAX_BLOCK_SLICE_NANOS;
        if (memory.getIntVolatile(FALLBACK_SEEN_OFFSET) != 0) {
            slice = Math.min(slice, Math.min(MAX_FALLBACK_SLICE_NANOS,
                Futex.FALLBACK_SLICE_NANOS << Math.min(emptySlices, 20)));
        }
        final long at = tamperedAt;
        if (at != 0 && System.nanoTime() - at < TAMPERED_HOLD_NANOS) {
            slice = Math.min(slice, TAMPERED_SLICE_NANOS);
        }
        return slice;
    }

    /**
     * After each futex wait of a blocked thread (a timeout or a wake: a peer that rewrites the count can
     * ring too): the shared waiter count must be this process's; if another process wrote it, it is
     * written again, the next slices are short (see {@link #slice}), and the change is recorded as a
     * protocol error (once per {@value #TAMPERED_HOLD_NANOS} ns). Two volatile loads when nothing changed.
     *
     * @param queue the queue, to name it in the error
     */
    void check(final EventQueue queue) {
        if (memory.getIntVolatile(WAITERS_OFFSET) == count) {
            return;   // the common case, without the lock (a change between the loads is looked at again below)
        }
        final int shared;
        final int mine;
        synchronized (this) {
            shared = memory.getIntVolatile(WAITERS_OFFSET);
            mine = count;
            if (shared == mine) {
                return;
            }
            memory.putIntVolatile(WAITERS_OFFSET, mine);
        }
        final long now = System.nanoTime();
        final long before = tamperedAt;
        tamperedAt = now == 0 ? 1 : now;
        if (before != 0 && now - before < TAMPERED_HOLD_NANOS) {
            return;   // recorded already: a peer rewriting the count in a loop costs no record (and stat) per wake
        }
        ProtocolErrors.record(new IllegalStateException(queue + ": its waiter count read " + shared + " while "
            + mine + " threads of this process wait; another process wrote it (written again; short wait slices"
            + " for " + TAMPERED_HOLD_NANOS / 1_000_000 + " ms)"));
    }
}
