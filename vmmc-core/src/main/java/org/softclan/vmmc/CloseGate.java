package org.softclan.vmmc;

import java.util.concurrent.atomic.AtomicLongArray;

import org.softclan.tripwire.os.Membarrier;

/**
 * The gate every call of a {@link Connection} passes, so that {@link Connection#close()} may run on any
 * thread while others send, receive or wait, and no memory is unmapped under them. A superclass, not a
 * field: the flag and the counts are in the connection's own object, so the gate costs a calling thread
 * no extra load.
 *
 * <p><b>Protocol.</b> A call counts itself into its role, then reads the closed flag; close sets the flag,
 * then reads the counts. The sending and the receiving role are flags (one thread each at a time, as
 * the connection's threading rule says); {@link #OTHER} is a counter (atomic add, a full barrier). Close's
 * volatile store of the flag is a full barrier, so of the two the second to act sees the first: either the
 * entering thread sees the flag and leaves with {@link org.softclan.dsm.ClosedException} before touching
 * memory, or close sees it inside. The sending and receiving roles are entered on every send and poll, so
 * they pay no fence where they need not ({@link #FENCE_FREE}): the flag is set with a release store (plain
 * on x86), and close, after its store of the flag, issues {@link Membarrier#globalBarrier()}, which makes
 * every running thread of this process execute a full barrier: in an entering thread it falls either before
 * its load of the flag (which then sees it set) or after its store of the role (which close's later load of
 * the counts then sees), the asymmetric pair of {@link Membarrier}'s class comment. The Java memory model alone
 * would let the release store pass the later volatile load; this relies on HotSpot's C2 and interpreter,
 * which keep the two in program order (a compiler barrier after an ordered raw access), and on the barrier for
 * the processor's store-load reordering (x86's store buffer; on aarch64 too, where the release store may be
 * compiled as a fence and a plain store). Where only the non-expedited barrier exists (a scheduler grace
 * period of milliseconds, which every close would then wait for) or membarrier is unavailable, the role is
 * set by a volatile store (a full barrier) as before.
 * (Measured: the volatile store was 40% of the sampled time of {@code vmmc bench rpc}'s load thread with an
 * exclusive client, the fence that waits for the stores of the ring's records to drain.) Each role's
 * slot is 128 bytes from the others (the array's data starts 16 bytes into the object), so the sending
 * and the receiving thread do not share a line.
 *
 * <p><b>Release.</b> A thread leaving a closed gate calls {@link #releaseIfIdle()}: the last one out
 * (or close itself, {@link ConnectionCloser}) unmaps the memory, once.
 */
abstract class CloseGate {
    /** Slots of {@link #inside}, 128 bytes apart. */
    static final int SENDING = 7;
    static final int RECEIVING = 23;
    static final int OTHER = 39;
    /**
     * Whether this process is registered for the expedited {@link Membarrier#globalBarrier()} (microseconds),
     * so that entering the sending and receiving roles needs no fence: close issues the barrier instead. False
     * where only the grace-period barrier exists, so that close does not wait milliseconds for it.
     */
    static final boolean FENCE_FREE = Membarrier.isExpedited() && Membarrier.registerGlobalExpedited();

    /** The connection's name, for messages. */
    final String name;
    /** Set (volatile) by the first close; never cleared. */
    volatile boolean closed;
    /** Threads inside an operation, per role ({@link #SENDING}, {@link #RECEIVING}, {@link #OTHER}). */
    final AtomicLongArray inside = new AtomicLongArray(OTHER + 9);

    CloseGate(final String name) {
        this.name = name;
    }

    /**
     * Counts the calling thread into {@code role}, then checks the closed flag.
     *
     * @throws org.softclan.dsm.ClosedException if the connection is closed (the thread is counted out again)
     */
    final void enter(final int role) {
        if (role == OTHER) {
            inside.getAndIncrement(OTHER);
        } else if (FENCE_FREE) {
            inside.lazySet(role, 1);   // release, no fence: close's global barrier orders it before the load below
        } else {
            inside.set(role, 1);
        }
        if (closed) {
            leave(role);
            throw new org.softclan.dsm.ClosedException("connection " + name + " is closed");
        }
    }

    /** Counts the calling thread out of {@code role} (release); the last thread out of a closed gate releases. */
    final void leave(final int role) {
        if (role != OTHER) {
            inside.lazySet(role, 0);
            if (closed) {
                releaseIfIdle();
            }
        } else if (inside.decrementAndGet(OTHER) == 0 && closed) {
            releaseIfIdle();
        }
    }

    /** {@return whether no thread is inside} */
    final boolean idle() {
        return inside.get(SENDING) == 0 && inside.get(RECEIVING) == 0 && inside.get(OTHER) == 0;
    }

    /**
     * Sets the closed flag; the first call counts itself in as {@link #OTHER} before it sets it, and its
     * close counts itself out when done. So a thread that sees the flag also sees the close inside, and
     * cannot release (unmap) what the close is still using: without that, a thread leaving between the
     * flag and the close's count found the gate idle and unmapped the receive region under the close's
     * disarm (a SIGSEGV in the tripwire table, seen once in a soak's close under a waiter).
     *
     * @return whether this call set it (the first close, now counted in)
     */
    final synchronized boolean markClosed() {
        if (closed) {
            return false;
        }
        inside.getAndIncrement(OTHER);   // before the flag: published with it (volatile store below)
        closed = true;   // volatile: every thread entering from now on sees it, or close sees that thread
        if (FENCE_FREE) {
            // a thread that entered a role with a release store: its store is visible to close's loads of the
            // counts from here on, or its load of the flag comes after this barrier and sees it
            try {
                Membarrier.globalBarrier();
            } catch (final IllegalStateException refused) {
                // the kernel refused the barrier it registered this process for (never seen): close must still
                // run; an entering thread's store leaves its core's store buffer within nanoseconds, so close
                // reads the counts a millisecond later (best effort, where the barrier is exact)
                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
            }
        }
        return true;
    }

    /** Unmaps what the gate guards if it is closed and no thread is inside; at most once. */
    abstract void releaseIfIdle();
}
