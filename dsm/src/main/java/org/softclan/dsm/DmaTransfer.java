package org.softclan.dsm;

import java.util.concurrent.TimeUnit;

/**
 * The completion of one DMA transfer: poll it ({@link #isDone()}) or wait on it ({@link #await}).
 * A transfer either completes, with every byte stored and snooped, or fails, with {@link #error()}
 * saying why and {@link #bytesTransferred()} how far it got (a DMA that fails part-way leaves the
 * bytes it already moved in place, as hardware does).
 */
public final class DmaTransfer {
    private static final int QUEUED = 0;
    private static final int SUCCEEDED = 1;
    private static final int FAILED = 2;

    final boolean write;
    final RegisteredMemory memory;
    final long memoryOffset;
    final OutboundMapping mapping;
    final long mappingOffset;
    final long length;
    private volatile int state = QUEUED;
    private volatile long transferred;
    private volatile Throwable error;
    private volatile int waiters;
    /** Steps of retiring, each done once; written only by the engine's thread. */
    boolean memoryReleased;
    boolean completed;
    boolean retired;

    DmaTransfer(final boolean write, final RegisteredMemory memory, final long memoryOffset,
                final OutboundMapping mapping, final long mappingOffset, final long length) {
        this.write = write;
        this.memory = memory;
        this.memoryOffset = memoryOffset;
        this.mapping = mapping;
        this.mappingOffset = mappingOffset;
        this.length = length;
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
     * Waits for the transfer to end: spins briefly, then blocks.
     *
     * @param timeout how long to block at most, in {@code unit}s, after the brief spin
     * @param unit    the unit of {@code timeout}
     * @return {@code true} if it ended within the timeout
     * @throws InterruptedException if interrupted while blocked
     */
    public boolean await(final long timeout, final TimeUnit unit) throws InterruptedException {
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

    @Override
    public String toString() {
        return "DMA " + (write ? "write of " : "read of ") + length + " bytes " + (write ? "to" : "from") + " region '"
            + mapping.regionName() + "' at offset " + mappingOffset;
    }
}
