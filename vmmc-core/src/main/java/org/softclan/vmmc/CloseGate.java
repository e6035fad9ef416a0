package org.softclan.vmmc;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The gate every call of a {@link Connection} passes, so that {@link Connection#close()} may run on any
 * thread while others send, receive or wait, and nothing is unmapped under them.
 *
 * <p><b>Protocol.</b> A call counts itself into its role, then reads the closed flag; close sets the flag,
 * then reads the counts. The sending and the receiving role are flags (one thread each at a time, as the
 * connection's threading rule says), set by a volatile store; {@link #OTHER} is a counter (atomic add).
 * Either is a full barrier, as is close's volatile store of the flag, so of the two the second to act
 * sees the first: either the entering thread sees the flag (and leaves with
 * {@link org.softclan.dsm.ClosedException} before touching memory), or close sees the thread inside.
 *
 * <p><b>Release.</b> The memory goes (the release action runs, once) when the connection is closed and
 * no thread is inside: by close if all have left by then, else by the last thread to leave. Leaving is a
 * release store of the role flag (an atomic decrement for {@link #OTHER}), then a read of the flag.
 *
 * <p><b>Cost.</b> Per call of the sending or receiving role: one volatile store, a volatile read, a
 * release store and a volatile read; each role's word is on a cache line of its own (128 bytes apart).
 */
final class CloseGate {
    /** Role of the one sending thread (a claim keeps it until its commit). Slots 128 bytes apart. */
    static final int SENDING = 7;
    /** Role of the one receiving thread. */
    static final int RECEIVING = 23;
    /** Any other call, from any number of threads (a counter). */
    static final int OTHER = 39;

    private final String name;
    private final Runnable release;
    private volatile boolean closed;
    /** Threads inside, per role (the array's data starts 16 bytes into the object: slots 7, 23, 39). */
    private final AtomicLongArray inside = new AtomicLongArray(OTHER + 9);
    private final AtomicBoolean released = new AtomicBoolean();

    /**
     * @param name    names the connection in the {@link org.softclan.dsm.ClosedException} a late caller gets
     * @param release unmaps what the connection uses; runs once, with no thread inside
     */
    CloseGate(final String name, final Runnable release) {
        this.name = name;
        this.release = release;
    }

    /** {@return whether the gate is closed (volatile read)} */
    boolean isClosed() {
        return closed;
    }

    /** Closes the gate (volatile store); {@return whether this call closed it} */
    synchronized boolean close() {
        final boolean first = !closed;
        closed = true;
        return first;
    }

    /**
     * Counts the calling thread into {@code role}, then checks the closed flag.
     *
     * @throws org.softclan.dsm.ClosedException if the connection is closed (the thread is counted out again)
     */
    void enter(final int role) {
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

    /** Counts the calling thread out of {@code role}; the last thread out of a closed gate releases. */
    void leave(final int role) {
        if (role != OTHER) {
            inside.lazySet(role, 0);
            if (closed) {
                releaseIfIdle();
            }
        } else if (inside.decrementAndGet(OTHER) == 0 && closed) {
            releaseIfIdle();
        }
    }

    /**
     * Counts the calling thread in as {@link #OTHER} without checking the flag: for a call that answers
     * "closed" itself, and for close while it uses the memory. Pair with {@link #leave(int)} or
     * {@link #countOut()}.
     */
    void countIn() {
        inside.getAndIncrement(OTHER);
    }

    /** Undoes {@link #countIn()} without releasing (the caller releases, if it should). */
    void countOut() {
        inside.decrementAndGet(OTHER);
    }

    /** {@return the threads inside, all roles (volatile reads)} */
    long threadsInside() {
        return inside.get(SENDING) + inside.get(RECEIVING) + inside.get(OTHER);
    }

    /** Runs the release action once, if the gate is closed and no thread is inside. */
    void releaseIfIdle() {
        if (!closed || threadsInside() != 0 || !released.compareAndSet(false, true)) {
            return;
        }
        release.run();
    }
}
