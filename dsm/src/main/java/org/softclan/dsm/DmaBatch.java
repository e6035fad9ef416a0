package org.softclan.dsm;

/**
 * Commands issued to a {@link DmaEngine} and handed over together: each call queues its command at once
 * (in the engine's FIFO, counted as pending on its mapping and memory, with every check of the
 * engine's own call), but the engine is told only at {@link #doorbell()}. A frame's header, data and
 * publishing store so cost one hand-off instead of three: one wake-up of a dedicated engine's thread,
 * or one run of the queue on the caller's thread in {@link DmaMode#INVOKER} mode.
 *
 * <p>The issuer must ring before it waits for anything those commands cause (a reader's room, a
 * peer's answer), and before it returns control to code that does not know about the batch; waiting
 * for a command's own completion ({@link DmaTransfer#await}) or a PIO access through its mapping need
 * no ring (they run an invoker engine's queue, or wake a dedicated one, themselves; a command issued to
 * a mapping by another engine first rings the engine that had commands pending there). A batch is a lightweight handle with no state of
 * its own; it may be used by one thread or many, and it is never closed (its engine is).
 */
public final class DmaBatch implements DmaIssuer {
    private final DmaEngine engine;

    DmaBatch(final DmaEngine engine) {
        this.engine = engine;
    }

    /** {@return the engine this batch issues to} */
    @Override
    public DmaEngine engine() {
        return engine;
    }

    /**
     * As {@link DmaEngine#write}, without the hand-off.
     *
     * @return the transfer's completion
     */
    @Override
    public DmaTransfer write(final RegisteredMemory src, final long srcOffset, final OutboundMapping dst,
                             final long dstOffset, final long length) {
        return engine.write(src, srcOffset, dst, dstOffset, length, false);
    }

    /**
     * As {@link DmaEngine#read}, without the hand-off.
     *
     * @return the transfer's completion
     */
    @Override
    public DmaTransfer read(final OutboundMapping src, final long srcOffset, final RegisteredMemory dst,
                            final long dstOffset, final long length) {
        return engine.read(src, srcOffset, dst, dstOffset, length, false);
    }

    /**
     * As {@link DmaEngine#writeLongOrdered}, without the hand-off.
     *
     * @return the store's completion
     */
    @Override
    public DmaTransfer writeLongOrdered(final OutboundMapping dst, final long offset, final long value) {
        return engine.writeLongOrdered(dst, offset, value, false);
    }

    @Override
    public void doorbell() {
        engine.doorbell();
    }

    @Override
    public String toString() {
        return "DMA batch of " + engine;
    }
}
