package org.softclan.dsm;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The bounded FIFO of a {@link DmaEngine}'s commands, and its closing flag: many issuers offer, one
 * thread at a time (the engine's, or an invoker's) peeks at the head, runs it, and removes it once it has ended (so a command is never
 * held only by a local variable that a fault delivered late could lose).
 *
 * <p>The commands are held by a {@link ArrayBlockingQueue}: its lock orders every offer, peek and
 * removal, which the engine's close protocol relies on (see {@link DmaEngine}), and it lets an issuer
 * wait for room without a monitor of ours.
 *
 * <p><b>Memory order</b>: an offer happens-before a peek that returns the command (the queue's lock);
 * the closing flag is volatile and set once by CAS; the parked flag is volatile, so an issuer that
 * offers and then {@linkplain #wake() wakes} after the consumer published that it parks either sees
 * the flag (and unparks it) or was seen by the consumer's last peek before parking. The consumer parks
 * untimed: only a wake or close ends its block (a spurious return only makes it look again).
 */
final class DmaQueue {
    /** How long an issuer waiting for room blocks at most before it checks for close again, in ns. */
    static final long ROOM_WAIT_SLICE_NANOS = 10_000_000L;

    private static final VarHandle CLOSING;

    static {
        try {
            CLOSING = MethodHandles.lookup().findVarHandle(DmaQueue.class, "closing", boolean.class);
        } catch (final ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final ArrayBlockingQueue<DmaTransfer> commands;
    private final int capacity;
    /** The dedicated thread, or {@code null} in invoker mode (no thread parks). */
    private final Thread consumer;
    private final Object owner;
    private volatile boolean closing;
    /** Set by the consumer while it parks (or is about to); read by issuers to unpark it. */
    private volatile boolean parked;

    DmaQueue(final int capacity, final Thread consumer, final Object owner) {
        this.commands = new ArrayBlockingQueue<>(capacity);
        this.capacity = capacity;
        this.consumer = consumer;
        this.owner = owner;
    }

    /** Spins, then yields, then parks briefly: one step of a wait for another thread running the queue. */
    static int backOff(final int idle) {
        if (idle < 100) {
            Thread.onSpinWait();
        } else if (idle < 200) {
            Thread.yield();
        } else {
            LockSupport.parkNanos(10_000);
        }
        return idle + 1;
    }

    /** {@return commands queued or in progress at most} */
    int capacity() {
        return capacity;
    }

    /** {@return commands in the queue, the one in progress included (a snapshot)} */
    int size() {
        return commands.size();
    }

    /** {@return whether close has begun (volatile)} */
    boolean isClosing() {
        return closing;
    }

    /**
     * Sets the closing flag (CAS, once) and wakes the consumer.
     *
     * @return whether this call set it
     */
    boolean markClosing() {
        if (!CLOSING.compareAndSet(this, false, true)) {
            return false;
        }
        if (consumer != null) {
            LockSupport.unpark(consumer);
        }
        return true;
    }

    /**
     * Puts a command at the tail, waiting in slices for room while the queue is open (dedicated mode: the
     * consumer makes room). Does not wake the consumer: the issuer's hand-off ({@link #wake()}) does.
     *
     * @throws ClosedException if close began while this thread waited for room (nothing is queued)
     * @throws DsmException    if interrupted while waiting (interrupt status kept), or if the queue is
     *                         full and the caller is the consumer itself (nothing is queued)
     */
    void offer(final DmaTransfer t) {
        if (!commands.offer(t)) {
            awaitRoom(t);
        }
    }

    /** {@return whether {@code t} was put at the tail (there was room); never waits} */
    boolean tryOffer(final DmaTransfer t) {
        return commands.offer(t);
    }

    /** Wakes the consumer if it blocks (or is about to): the hand-off of commands queued before. */
    void wake() {
        if (parked) {
            LockSupport.unpark(consumer);
        }
    }

    private void awaitRoom(final DmaTransfer t) {
        if (Thread.currentThread() == consumer) {
            throw new DsmException(t + " was issued on the thread of " + owner + " (by a snoop hook?) while its"
                + " queue of " + capacity + " commands is full: that thread would wait for itself; nothing was"
                + " queued. Issue from another thread, or give the engine a larger queueCapacity");
        }
        try {
            while (!commands.offer(t, ROOM_WAIT_SLICE_NANOS, TimeUnit.NANOSECONDS)) {
                if (closing) {
                    throw new ClosedException(t + ": " + owner + " was closed while it waited for room in the"
                        + " queue of " + capacity + " commands");
                }
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DsmException(t + ": interrupted while waiting for room in the queue of " + capacity
                + " commands of " + owner + "; nothing was queued", e);
        }
    }

    /** {@return the command at the head, or {@code null} if the queue is empty} */
    DmaTransfer peek() {
        return commands.peek();
    }

    /** Removes {@code t} (by identity) wherever it is; does nothing if it is gone already. */
    void remove(final DmaTransfer t) {
        commands.remove(t);
    }

    /**
     * For the consumer only: spins {@code spinNanos} for a command, then parks (untimed, until a
     * {@link #wake()} or close) unless the queue is closing.
     *
     * @return the command at the head, or {@code null} to look again
     */
    DmaTransfer awaitHead(final long spinNanos) {
        final long end = System.nanoTime() + spinNanos;
        do {
            final DmaTransfer t = commands.peek();
            if (t != null) {
                return t;
            }
            Thread.onSpinWait();
        } while (System.nanoTime() < end);
        parked = true;
        try {
            final DmaTransfer t = commands.peek();
            if (t != null || closing) {
                return t;
            }
            Thread.interrupted();   // the engine's thread is not interruptible: a stray interrupt must not make it spin
            LockSupport.park(this);
            return null;
        } finally {
            parked = false;
        }
    }
}
