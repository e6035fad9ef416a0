package org.softclan.vmmc;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The gate every call of a {@link Connection} passes, so that {@link Connection#close()} may run on any
 * thread while others send, receive or wait, and no memory is unmapped under them. A superclass, not a
 * field: the flag and the counts are in the connection's own object, so the gate costs a calling thread
 * no extra load.
 *
 * <p><b>Protocol.</b> A call counts itself into its role, then reads the closed flag; close sets the flag,
 * then reads the counts. The sending and the receiving role are flags (one thread each at a time, as
 * the connection's threading rule says), set by a volatile store; {@link #OTHER} is a counter (atomic
 * add). Either is a full barrier, as is close's volatile store of the flag, so of the two the second to
 * act sees the first: either the entering thread sees the flag and leaves with
 * {@link org.softclan.dsm.ClosedException} before touching memory, or close sees it inside. Each role's
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
        return true;
    }

    /** Unmaps what the gate guards if it is closed and no thread is inside; at most once. */
    abstract void releaseIfIdle();
}
