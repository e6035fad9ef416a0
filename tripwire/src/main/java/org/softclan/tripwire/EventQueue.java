package org.softclan.tripwire;

import static net.openhft.chronicle.core.UnsafeMemory.UNSAFE;

import org.softclan.dsm.Mapping;
import org.softclan.tripwire.os.Futex;

/**
 * An endpoint's event queue: a ring of 64-byte events in shared memory (a region of its own) that
 * writers in any process post to when their transfers fire a tripwire, and one owner thread polls.
 *
 * <pre>
 *     0 capacity (int, a power of two)
 *    64 tail (long): next position to claim; producers CAS it           own cache line
 *   128 head (long): next position to consume; the owner writes it      own cache line
 *   192 doorbell (int): a futex word bumped to wake a blocked waiter     own cache line
 *   256 waiters (int): blocked waiters                                   own cache line
 *   320 overflow (long): events that found the queue full                own cache line
 *   384 fallback seen (int): set by any process that opened the queue without the futex (its wakes are
 *       no-ops): blocked waiters then re-check every {@link Futex#FALLBACK_SLICE_NANOS} ns  own cache line
 *  4096 slots: {sequence + 1 (published last, release), tripwire id, cookie, region id, offset,
 *               length, value, reserved}
 * </pre>
 *
 * <p><b>Posting</b> claims a position with a compare-and-set on the tail (never past head + capacity),
 * writes the slot, then publishes it with a release store of its sequence. A full queue never drops
 * silently: the post is counted in {@code overflow} and in the tripwire's own lost counter, so the
 * owner can find which tripwires fired ({@link TripwireUnit#recoverLost}). <b>Polling</b> reads a slot
 * once its published sequence matches (acquire), so an event's data is always visible with it.
 * <b>Waking</b>: a poster that sees a waiter bumps the doorbell and wakes it with a futex; the CAS
 * on the tail and the waiter's increment are both full barriers, so a waiter never sleeps through
 * an event posted after it checked.
 */
public final class EventQueue {
    static final int CAPACITY = 0;
    static final int TAIL = 64;
    static final int HEAD = 128;
    static final int DOORBELL = 192;
    static final int WAITERS = 256;
    static final int OVERFLOW = 320;
    static final int FALLBACK_SEEN = 384;
    /**
     * The longest a blocked waiter sleeps before re-checking, in ns: a process on the parking fallback
     * that opens the queue while a waiter already sleeps is noticed within this time.
     */
    static final long MAX_BLOCK_SLICE_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(100);
    static final int SLOTS = 4096;
    static final int SLOT = 64;

    private final Mapping mapping;
    private final long base;
    private final java.util.function.BooleanSupplier hasEvent = this::hasEvent;
    /**
     * This poster's last view of the head: the head only grows, so a stale value is safe and the
     * real one (a line the owner writes at every poll) is read only when the queue looks full.
     */
    private long cachedHead;
    private final int mask;
    private final int capacity;
    /** Threads inside {@link #block}: {@link #close()} unmaps nothing until they left. */
    private final java.util.concurrent.atomic.AtomicInteger blocked = new java.util.concurrent.atomic.AtomicInteger();
    private volatile boolean closed;

    EventQueue(final Mapping mapping) {
        this.mapping = mapping;
        this.base = mapping.address(0, SLOTS);
        this.capacity = UNSAFE.getIntVolatile(null, base + CAPACITY);
        if (Integer.bitCount(capacity) != 1 || mapping.size() < SLOTS + (long) SLOT * capacity) {
            throw new IllegalStateException("region '" + mapping.regionName() + "' is not an event queue"
                + " (capacity word " + capacity + ", size " + mapping.size() + ")");
        }
        this.mask = capacity - 1;
        if (!Futex.isAvailable()) {
            // this process cannot wake futex waiters: tell them to re-check in short slices instead
            UNSAFE.putIntVolatile(null, base + FALLBACK_SEEN, 1);
        }
    }

    /** @return bytes a queue region of {@code capacity} events needs */
    static long bytesFor(final int capacity) {
        return SLOTS + (long) SLOT * capacity;
    }

    /** Writes the capacity word of a fresh (zeroed) queue region. */
    static void format(final Mapping mapping, final int capacity) {
        if (Integer.bitCount(capacity) != 1) {
            throw new IllegalArgumentException("event queue capacity " + capacity + " must be a power of two");
        }
        UNSAFE.putIntVolatile(null, mapping.address(0, 4) + CAPACITY, capacity);
    }

    /** @return the name of the region the queue lives in */
    public String regionName() {
        return mapping.regionName();
    }

    /** @return events the queue holds at most */
    public int capacity() {
        return capacity;
    }

    /** @return events posted and not yet polled */
    public long size() {
        return UNSAFE.getLongVolatile(null, base + TAIL) - UNSAFE.getLongVolatile(null, base + HEAD);
    }

    /** @return posts that found the queue full since the queue was created (volatile read) */
    public long overflowCount() {
        return UNSAFE.getLongVolatile(null, base + OVERFLOW);
    }

    // ------------------------------------------------------------------------------------ posting

    /**
     * Posts an event; any process may call this concurrently.
     *
     * @return {@code true} if posted, {@code false} if the queue was full (counted as overflow)
     */
    boolean post(final long tripwireId, final long cookie, final int regionId, final long offset, final long length,
                 final long value) {
        while (true) {
            final long tail = UNSAFE.getLongVolatile(null, base + TAIL);
            long head = cachedHead;
            if (tail - head >= capacity) {
                head = UNSAFE.getLongVolatile(null, base + HEAD);
                cachedHead = head;
            }
            if (tail - head >= capacity) {
                UNSAFE.getAndAddLong(null, base + OVERFLOW, 1);
                ring();
                return false;
            }
            if (UNSAFE.compareAndSwapLong(null, base + TAIL, tail, tail + 1)) {
                final long slot = base + SLOTS + (long) SLOT * (tail & mask);
                UNSAFE.putLong(slot + 8, tripwireId);
                UNSAFE.putLong(slot + 16, cookie);
                UNSAFE.putLong(slot + 24, regionId);
                UNSAFE.putLong(slot + 32, offset);
                UNSAFE.putLong(slot + 40, length);
                UNSAFE.putLong(slot + 48, value);
                // volatile, not release: the load of the waiter count in ring() must not pass it
                UNSAFE.putLongVolatile(null, slot, tail + 1);
                ring();
                return true;
            }
        }
    }

    /**
     * Wakes blocked waiters, if any: bumps the doorbell and issues a futex wake. Costs one load when
     * nobody waits. Callers have just made a full barrier (a CAS or atomic add).
     */
    void ring() {
        if (UNSAFE.getIntVolatile(null, base + WAITERS) != 0) {
            UNSAFE.getAndAddInt(null, base + DOORBELL, 1);
            Futex.wake(base + DOORBELL, Futex.WAKE_ALL);
        }
    }

    // ------------------------------------------------------------------------------------ polling

    /**
     * Hands up to {@code limit} events to {@code handler}, oldest first. Owner thread only.
     *
     * @return the number of events handled (0 if none: a work count for idle strategies)
     */
    public int poll(final EventHandler handler, final int limit) {
        long head = UNSAFE.getLong(base + HEAD);
        int n = 0;
        while (n < limit) {
            final long slot = base + SLOTS + (long) SLOT * (head & mask);
            if (UNSAFE.getLongVolatile(null, slot) != head + 1) {
                break;
            }
            handler.onEvent(head, UNSAFE.getLong(slot + 8), UNSAFE.getLong(slot + 16), (int) UNSAFE.getLong(slot + 24),
                UNSAFE.getLong(slot + 32), UNSAFE.getLong(slot + 40), UNSAFE.getLong(slot + 48));
            head++;
            n++;
            UNSAFE.putOrderedLong(null, base + HEAD, head);
        }
        return n;
    }

    /** @return whether an event is ready to poll (acquire) */
    public boolean hasEvent() {
        final long head = UNSAFE.getLong(base + HEAD);
        return UNSAFE.getLongVolatile(null, base + SLOTS + (long) SLOT * (head & mask)) == head + 1;
    }

    // ------------------------------------------------------------------------------------ waiting

    /**
     * Waits for an event to be ready to poll.
     *
     * @return whether one is
     */
    public boolean await(final WaitStrategy strategy, final long timeout, final java.util.concurrent.TimeUnit unit) {
        return strategy.await(hasEvent, this, unit.toNanos(timeout));
    }

    /**
     * Blocks (futex) until {@code ready} holds, the doorbell rings, or the timeout passes. Registers
     * as a waiter first (a full barrier), then re-checks {@code ready}, so a post or ring that comes
     * after the check always wakes it.
     *
     * @return whether {@code ready} held when it returned
     */
    boolean block(final java.util.function.BooleanSupplier ready, final long timeoutNanos) {
        blocked.incrementAndGet();
        try {
            if (closed) {
                throw new org.softclan.dsm.ClosedException(this + " is closed");
            }
            return block0(ready, timeoutNanos);
        } finally {
            blocked.decrementAndGet();
        }
    }

    private boolean block0(final java.util.function.BooleanSupplier ready, final long timeoutNanos) {
        final long deadline = System.nanoTime() + timeoutNanos;
        UNSAFE.getAndAddInt(null, base + WAITERS, 1);
        try {
            while (true) {
                final int bell = UNSAFE.getIntVolatile(null, base + DOORBELL);
                if (ready.getAsBoolean()) {
                    return true;
                }
                if (closed) {
                    throw new org.softclan.dsm.ClosedException(this + " was closed while a thread waited on it");
                }
                final long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                // bounded slices: a poster on the parking fallback rings without waking anyone
                final long slice = UNSAFE.getIntVolatile(null, base + FALLBACK_SEEN) != 0
                    ? Futex.FALLBACK_SLICE_NANOS : MAX_BLOCK_SLICE_NANOS;
                final int outcome = Futex.wait(base + DOORBELL, bell, Math.min(left, slice));
                if (outcome == Futex.INTERRUPTED && Thread.currentThread().isInterrupted()) {
                    return ready.getAsBoolean();   // a Java interrupt ends the wait; a signal (EINTR) does not
                }
            }
        } finally {
            UNSAFE.getAndAddInt(null, base + WAITERS, -1);
        }
    }

    /**
     * Closes the queue for waiting: threads blocked in it are woken and leave with
     * {@link org.softclan.dsm.ClosedException}; returns once none is inside (after {@code waitMillis} at
     * most), so the owner may unmap the queue. Idempotent.
     *
     * @return whether no thread was left inside
     */
    boolean close(final long waitMillis) {
        closed = true;
        final long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(waitMillis);
        while (blocked.get() > 0 && deadline - System.nanoTime() > 0) {
            try {
                wakeAllWaiters();
            } catch (final RuntimeException | InternalError cut) {
                // the queue's file was cut from outside: its waiters see the closed flag within a slice
            }
            java.util.concurrent.locks.LockSupport.parkNanos(100_000);
        }
        return blocked.get() == 0;
    }

    /** Wakes every thread blocked on this queue now (they re-check their conditions). */
    public void wakeAllWaiters() {
        UNSAFE.getAndAddInt(null, base + DOORBELL, 1);
        Futex.wake(base + DOORBELL, Futex.WAKE_ALL);
    }

    @Override
    public String toString() {
        return "event queue '" + mapping.regionName() + "' (" + capacity + " events, " + size() + " pending, "
            + overflowCount() + " overflowed)";
    }
}
