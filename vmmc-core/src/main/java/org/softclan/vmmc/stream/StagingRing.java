package org.softclan.vmmc.stream;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.softclan.dsm.DmaTransfer;
import org.softclan.dsm.RegisteredMemory;

/**
 * The staging memory of {@link SendTechnique#COPY_DMA}: {@value #SLOTS} frames of registered memory
 * used in turn. The writing thread copies a frame's bytes into the next free one and lets the DMA
 * engine move them, so the copy of the next frame overlaps the transfer of this one; a frame is free
 * again once the transfer that read it ended. Registered on first use.
 *
 * <p><b>Lock</b>: the writer's, guarded by the write lock ({@link StreamWriter}). The staging buffer is
 * touched only by the writing thread and, through the engine, after the transfer was queued.
 */
final class StagingRing {
    /** Frames of staging memory. */
    static final int SLOTS = 8;

    private final StreamEnd end;
    private final StreamWriter writer;
    private ByteBuffer staging;
    private RegisteredMemory stagingMemory;
    private final DmaTransfer[] busy = new DmaTransfer[SLOTS];
    private int next;

    /**
     * @param end    the stream's shared state (its endpoint registers the memory, its frame sizes a slot)
     * @param writer the writer that waits for transfers
     */
    StagingRing(final StreamEnd end, final StreamWriter writer) {
        this.end = end;
        this.writer = writer;
    }

    /**
     * A free staging frame: the one used last if its transfer ended, else the next in turn (waiting for the
     * DMA that last read it); allocates the staging ring on first use.
     *
     * @return the slot's number; its bytes start at {@link #offset(int)}
     * @throws IOException as {@link StreamWriter#awaitTransfer} if the transfer that last read it failed
     */
    int acquire() throws IOException {
        if (staging == null) {
            staging = ByteBuffer.allocateDirect(SLOTS * end.frame);
            stagingMemory = end.endpoint.register(staging);
        }
        // the slot used last again if its transfer ended (an invoker engine ends it at the frame's doorbell):
        // the same frame of memory stays in this core's cache for the copy in and the engine's copy out
        final int reuse = (next + SLOTS - 1) % SLOTS;
        final DmaTransfer last = busy[reuse];
        if (last == null || last.isDone()) {
            busy[reuse] = null;
            return reuse;
        }
        final int slot = next;
        next = (slot + 1) % SLOTS;
        final DmaTransfer t = busy[slot];
        if (t != null && !t.isDone()) {
            writer.awaitTransfer(t, 0);
        }
        busy[slot] = null;
        return slot;
    }

    /** {@return the offset of slot {@code slot} in the staging buffer: one frame per slot} */
    int offset(final int slot) {
        return slot * end.frame;
    }

    /** {@return the staging buffer (after the first {@link #acquire()})} */
    ByteBuffer buffer() {
        return staging;
    }

    /** {@return the registration of the staging buffer (after the first {@link #acquire()})} */
    RegisteredMemory memory() {
        return stagingMemory;
    }

    /** Notes the transfer that reads slot {@code slot}: the slot is free once it ended. */
    void busy(final int slot, final DmaTransfer t) {
        busy[slot] = t;
    }

    /**
     * On close: waits for every transfer still reading a slot (at most {@code lingerNanos} each), then
     * adds the registration, if any, to {@code toClose}.
     */
    void drainInto(final List<AutoCloseable> toClose, final long lingerNanos) {
        for (final DmaTransfer t : busy) {
            if (t != null) {
                try {
                    t.await(lingerNanos, TimeUnit.NANOSECONDS);
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        if (stagingMemory != null) {
            toClose.add(stagingMemory);
        }
    }

    @Override
    public String toString() {
        return "staging ring of " + end;
    }
}
