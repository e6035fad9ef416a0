package org.softclan.dsm;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;

/**
 * The completion of one DMA transfer: poll it ({@link #isDone()}) or wait on it ({@link #await}).
 * A transfer either completes, with every byte stored and snooped, or fails, with {@link #error()}
 * saying why and {@link #bytesTransferred()} how far it got (a DMA that fails part-way leaves the
 * bytes it already moved in place, as hardware does).
 */
public final class DmaTransfer {
    // A transfer is also the command queued on the engine: a type saying what to do, and the fields
    // that type uses; each field means one thing.
    //
    //   type           memory / memoryOffset           mapping / mappingOffset     length   value
    //   WRITE          source, first byte read         destination, first byte     bytes    unused (0)
    //   READ           destination, first byte stored  source, first byte read     bytes    unused (0)
    //   ORDERED_STORE  none (null / 0)                 destination word            8        the long stored
    //
    // The command is ended exactly once, by whichever side takes it first (take, a CAS): the engine's
    // thread, which runs it or fails it; close, which fails it; or the issuer, which takes back a
    // command that close raced with.

    /** What a queued command does. */
    enum Type {
        /** Copy from registered memory into a region, in bursts through the NIC write path. */
        WRITE,
        /** Copy from a region into registered memory, in bursts (a remote read). */
        READ,
        /** Release store of {@link DmaTransfer#value} at an aligned word of a region, through the write path. */
        ORDERED_STORE
    }

    private static final int QUEUED = 0;
    private static final int SUCCEEDED = 1;
    private static final int FAILED = 2;

    /** Nobody has taken the command yet. */
    static final int FREE = 0;
    /** The engine's thread took it: it runs it, or fails it if the engine is closing. */
    static final int BY_ENGINE = 1;
    /** Close took it: it fails it, not yet started. */
    static final int BY_CLOSE = 2;
    /** The issuer took it back: close raced with the issue, and the issue failed instead. */
    static final int BY_ISSUER = 3;

    private static final VarHandle TAKER;

    static {
        try {
            TAKER = MethodHandles.lookup().findVarHandle(DmaTransfer.class, "taker", int.class);
        } catch (final ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final Type type;
    final RegisteredMemory memory;
    final long memoryOffset;
    final OutboundMapping mapping;
    final long mappingOffset;
    final long length;
    final long value;
    private volatile int state = QUEUED;
    private volatile long transferred;
    private volatile Throwable error;
    private volatile int waiters;
    /** The engine it was issued to; set before it is queued, for a waiter to run an invoker engine. */
    DmaEngine engine;
    /** Who took the command ({@link #FREE} or one of the {@code BY_} sides); set once, by CAS. */
    private volatile int taker = FREE;
    /** Steps of retiring, each done once; written only by the side that took the command. */
    boolean memoryReleased;
    /** Counted in the engine's statistics (before its completion is published, so a waiter sees the count). */
    boolean counted;
    boolean completed;
    boolean retired;

    private DmaTransfer(final Type type, final RegisteredMemory memory, final long memoryOffset,
                        final OutboundMapping mapping, final long mappingOffset, final long length,
                        final long value) {
        this.type = type;
        this.memory = memory;
        this.memoryOffset = memoryOffset;
        this.mapping = mapping;
        this.mappingOffset = mappingOffset;
        this.length = length;
        this.value = value;
    }

    static DmaTransfer write(final RegisteredMemory src, final long srcOffset, final OutboundMapping dst,
                             final long dstOffset, final long length) {
        return new DmaTransfer(Type.WRITE, src, srcOffset, dst, dstOffset, length, 0);
    }

    static DmaTransfer read(final OutboundMapping src, final long srcOffset, final RegisteredMemory dst,
                            final long dstOffset, final long length) {
        return new DmaTransfer(Type.READ, dst, dstOffset, src, srcOffset, length, 0);
    }

    static DmaTransfer orderedStore(final OutboundMapping dst, final long offset, final long value) {
        return new DmaTransfer(Type.ORDERED_STORE, null, 0, dst, offset, 8, value);
    }

    /** {@return bytes in the transfer} */
    public long length() {
        return length;
    }

    /** {@return bytes stored so far} */
    public long bytesTransferred() {
        return transferred;
    }

    /** {@return whether the transfer has ended, successfully or not (acquire: data is visible if so)} */
    public boolean isDone() {
        return state != QUEUED;
    }

    /** {@return whether the transfer ended with every byte moved} */
    public boolean isSucceeded() {
        return state == SUCCEEDED;
    }

    /** {@return why the transfer failed, or {@code null}} */
    public Throwable error() {
        return error;
    }

    /**
     * Waits for the transfer to end: on an {@link DmaMode#INVOKER} engine this thread runs the
     * engine's queue up to the transfer first (unless another thread runs it); then spins briefly, then
     * blocks.
     *
     * @param timeout how long to block at most, in {@code unit}s, after the brief spin
     * @param unit    the unit of {@code timeout}
     * @return {@code true} if it ended within the timeout
     * @throws InterruptedException if interrupted while blocked
     */
    public boolean await(final long timeout, final TimeUnit unit) throws InterruptedException {
        final DmaEngine e = engine;
        if (state == QUEUED && e != null) {
            e.runFor(this);
        }
        for (int i = 0; i < 2_000; i++) {
            if (state != QUEUED) {
                return true;
            }
            Thread.onSpinWait();
        }
        final long deadline = System.nanoTime() + unit.toNanos(timeout);
        synchronized (this) {
            waiters++;
            try {
                while (state == QUEUED) {
                    final long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return false;
                    }
                    // slices: a wake-up lost to a fault delivered late in the engine costs one slice
                    TimeUnit.NANOSECONDS.timedWait(this, Math.min(left, TimeUnit.MILLISECONDS.toNanos(10)));
                }
                return true;
            } finally {
                waiters--;
            }
        }
    }

    /**
     * Waits for the transfer to end and fails if it did not succeed.
     *
     * @param timeout how long to block at most, in {@code unit}s, after a brief spin
     * @param unit    the unit of {@code timeout}
     * @throws DsmException naming the transfer, if it failed or did not end within the timeout
     * @throws InterruptedException if interrupted while blocked
     */
    public void join(final long timeout, final TimeUnit unit) throws InterruptedException {
        if (!await(timeout, unit)) {
            throw new DsmException(this + " did not complete within " + timeout + " " + unit);
        }
        if (state == FAILED) {
            throw new DsmException(this + " failed after " + transferred + " bytes: " + error.getMessage(), error);
        }
    }

    /**
     * Takes the command for one side (CAS, once): only the side that took it may run, fail or retire it.
     *
     * @param side {@link #BY_ENGINE}, {@link #BY_CLOSE} or {@link #BY_ISSUER}
     * @return whether this call took it
     */
    boolean take(final int side) {
        return TAKER.compareAndSet(this, FREE, side);
    }

    /** {@return who took the command: {@link #FREE} or one of the {@code BY_} sides (volatile)} */
    int taker() {
        return taker;
    }

    void progress(final long bytes) {
        transferred = bytes;
    }

    void complete(final Throwable failure) {
        error = failure;
        state = failure == null ? SUCCEEDED : FAILED;
        if (waiters != 0) {
            synchronized (this) {
                notifyAll();
            }
        }
    }

    /**
     * Runs a write or read transfer: burst by burst, in address order, each through the NIC's path.
     *
     * @param burstSize bytes per burst
     */
    void move(final int burstSize) {
        final DmaTransfer t = this;
        final boolean write = t.type == Type.WRITE;
        long done = 0;
        while (done < t.length) {
            final long n = Math.min(burstSize, t.length - done);
            final long memOffset = t.memory.baseOffset + t.memoryOffset + done;
            if (write) {
                t.mapping.dmaBurstWrite(t.mappingOffset + done, t.memory.base, memOffset, n);
            } else {
                t.mapping.dmaBurstRead(t.mappingOffset + done, t.memory.base, memOffset, n);
            }
            done += n;
            t.progress(done);
        }
    }

    /**
     * Ends a command: its memory's in-flight count, its completion, its mapping's pending count, each
     * once (a fault delivered late may interrupt this and have the engine call it again). Completion is
     * published before the mapping's PIO gate opens: a PIO store that was waiting for this transfer
     * proceeds only once the transfer reads as done. Called only by the side that took the command.
     *
     * @param failure why it failed, or {@code null} if it completed
     * @param counts  the engine's statistics, counted before the completion is published
     */
    void retire(final Throwable failure, final DmaCounts counts) {
        final DmaTransfer t = this;
        if (!t.memoryReleased) {
            t.memoryReleased = true;   // set before the call: no safepoint poll lies between the two
            if (t.memory != null) {
                t.memory.transferEnded();
            }
        }
        if (!t.counted) {
            t.counted = true;
            counts.count(t, failure);
        }
        if (!t.completed) {
            t.completed = true;
            t.complete(failure);
        }
        if (!t.retired) {
            t.retired = true;
            t.mapping.dmaRetired();
        }
    }

    /** Runs the ordered store of {@link DmaEngine#writeLongOrdered}: checked, stored (release) through the link, snooped. */
    void storeOrdered() {
        final DmaTransfer t = this;
        final OutboundMapping m = t.mapping;
        m.checkBounds(t.mappingOffset, 8);
        if (m.headerState() != RegionLayout.STATE_ACTIVE) {
            throw m.staleFailure();
        }
        m.link.putLongOrdered(m, t.mappingOffset, t.value);
        m.snoopWrite(t.mappingOffset, 8);
        t.progress(8);
    }

    @Override
    public String toString() {
        switch (type) {
            case WRITE:
                return "DMA write of " + length + " bytes to region '" + mapping.regionName() + "' at offset "
                    + mappingOffset;
            case READ:
                return "DMA read of " + length + " bytes from region '" + mapping.regionName() + "' at offset "
                    + mappingOffset;
            default:
                return "DMA ordered store of 8 bytes to region '" + mapping.regionName() + "' at offset "
                    + mappingOffset;
        }
    }
}
