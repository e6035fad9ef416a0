package org.softclan.tripwire;

import static org.softclan.tripwire.EventQueueDescriptor.DOORBELL_OFFSET;
import static org.softclan.tripwire.EventQueueDescriptor.FALLBACK_SEEN_OFFSET;
import static org.softclan.tripwire.EventQueueDescriptor.HEAD_OFFSET;
import static org.softclan.tripwire.EventQueueDescriptor.TAIL_OFFSET;
import static org.softclan.tripwire.EventQueueDescriptor.WAITERS_OFFSET;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import org.softclan.dsm.ClosedException;
import org.softclan.dsm.Mapping;
import org.softclan.dsm.RegionFaults;
import org.softclan.dsm.RegionTruncatedException;
import org.softclan.dsm.SharedMemory;
import org.softclan.tripwire.os.Futex;

/**
 * The blocked side of an {@link EventQueue} in the queue's own process: the blocking wait itself (a
 * futex wait on the doorbell word, in slices), the shared waiter count that posters read to decide
 * whether to wake anyone, how long each futex wait lasts, closing the queue for waiting, and the
 * statistics of blocks. The count and the slices answer to words in memory every peer maps, so neither
 * trusts them: the count is this process's and is written again when found changed; the fallback flag
 * only shortens slices while something comes.
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
    /** Threads inside {@link #block}: {@link #close} returns once they left, so the owner may unmap. */
    private final AtomicInteger blocked = new AtomicInteger();
    private volatile boolean closed;
    /** Calls of {@link #block}, futex wake-ups seen in them, and ns spent in them: for statistics. */
    private final AtomicLong blocks = new AtomicLong();
    private final AtomicLong wakeUps = new AtomicLong();
    private final AtomicLong blockedNanos = new AtomicLong();

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

    // ------------------------------------------------------------------------------------ blocking

    /**
     * Blocks (futex) until {@code ready} holds, the doorbell rings, or the timeout passes. Registers as a
     * waiter first (a full barrier), then re-checks {@code ready}, so a post or ring that comes after the
     * check always wakes it.
     *
     * @param queue        the queue, to name it in exceptions and errors
     * @param ready        the caller's condition
     * @param ownerWorkDue for the owner waiting for its own events, whether a stalled slot is due to be
     *                     skipped (work for its next poll: the wait ends); {@code null} for other waits
     * @param mapping      the queue's region, checked for a cut from outside
     * @param timeoutNanos how long to wait at most (ns)
     * @return whether {@code ready} held (or owner work was due) when it returned
     * @throws ClosedException if the queue is closed, or closed during the wait
     * @throws RegionTruncatedException if the queue's file was cut from outside
     */
    boolean block(final EventQueue queue, final BooleanSupplier ready, final BooleanSupplier ownerWorkDue,
        final Mapping mapping, final long timeoutNanos) {
        blocked.incrementAndGet();
        blocks.incrementAndGet();
        final long start = System.nanoTime();
        try {
            if (closed) {
                throw new ClosedException(queue + " is closed");
            }
            if (mapping.isKnownCut()) {
                mapping.checkIntact();   // a fault's translation found its file cut: throws, naming the region
            }
            final boolean r;
            try {
                r = sleep(queue, ready, ownerWorkDue, timeoutNanos);
            } catch (final InternalError fault) {
                final RegionTruncatedException t = RegionFaults.explain(fault);
                if (t != null) {
                    throw t;
                }
                throw fault;
            }
            // the queue's own words were touched with no fault translation: if its file was cut meanwhile,
            // the JVM may hold a fault back and throw it later in the caller's code; report the cut here
            // (one stat per block, the slow path of a wait)
            mapping.checkIntact();
            return r;
        } finally {
            blockedNanos.addAndGet(System.nanoTime() - start);
            blocked.decrementAndGet();
        }
    }

    private boolean sleep(final EventQueue queue, final BooleanSupplier ready, final BooleanSupplier ownerWorkDue,
        final long timeoutNanos) {
        final long deadline = System.nanoTime() + timeoutNanos;
        add(1);
        boolean faulted = false;
        int emptySlices = 0;
        try {
            while (true) {
                final int bell = memory.getIntVolatile(DOORBELL_OFFSET);
                if (ready.getAsBoolean()) {
                    return true;
                }
                if (closed) {
                    throw new ClosedException(queue + " was closed while a thread waited on it");
                }
                if (ownerWorkDue != null && ownerWorkDue.getAsBoolean()) {
                    return true;
                }
                final long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                final int outcome = Futex.wait(memory.address() + DOORBELL_OFFSET, bell, Math.min(left, slice(emptySlices)));
                if (outcome == Futex.INTERRUPTED && Thread.currentThread().isInterrupted()) {
                    return ready.getAsBoolean();   // a Java interrupt ends the wait; a signal (EINTR) does not
                }
                if (outcome == Futex.TIMED_OUT) {
                    emptySlices++;
                } else if (outcome == Futex.WOKEN || outcome == Futex.VALUE_CHANGED) {
                    wakeUps.incrementAndGet();   // woken, or the doorbell rang as it went to sleep
                }
                check(queue);   // a peer that rewrites the count may also ring: after every wake
            }
        } catch (final InternalError fault) {
            // the queue's file was cut from outside: do not touch it again on the way out (each access would
            // fault anew, and the JVM would deliver that fault in whichever handler runs next)
            faulted = true;
            throw fault;
        } finally {
            if (!faulted) {
                add(-1);
            }
        }
    }

    /**
     * Closes the queue for waiting: wakes blocked threads (they leave with {@link ClosedException}) until
     * none is inside, for {@code waitMillis} at most. Idempotent.
     *
     * @param waitMillis how long to wait for blocked threads to leave (ms)
     * @param wakeAll    wakes every blocked thread ({@link EventQueue#wakeAllWaiters()})
     * @return whether no thread was left inside
     */
    boolean close(final long waitMillis, final Runnable wakeAll) {
        closed = true;
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMillis);
        while (blocked.get() > 0 && deadline - System.nanoTime() > 0) {
            try {
                wakeAll.run();
            } catch (final RuntimeException | InternalError cut) {
                // the queue's file was cut from outside: its waiters see the closed flag within a slice
            }
            LockSupport.parkNanos(100_000);
        }
        return blocked.get() == 0;
    }

    /** {@return whether {@link #close} was called} */
    boolean isClosed() {
        return closed;
    }

    /** {@return threads of this process inside {@link #block} now} */
    int blockedThreads() {
        return blocked.get();
    }

    /** {@return calls of {@link #block}} */
    long blockCount() {
        return blocks.get();
    }

    /** {@return futex wake-ups (or rings just as a thread went to sleep) seen by blocked threads} */
    long wakeUpCount() {
        return wakeUps.get();
    }

    /** {@return ns spent in finished calls of {@link #block}, summed} */
    long blockedNanos() {
        return blockedNanos.get();
    }
}
