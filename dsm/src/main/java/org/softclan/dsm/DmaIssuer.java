package org.softclan.dsm;

/**
 * Where DMA commands are issued: a {@link DmaEngine} itself, which hands each command to the engine as
 * it is issued, or a {@link DmaBatch}, which queues its commands and hands them over together at its
 * {@link #doorbell()}. Layers that move data by DMA (a connection's ring sender, a byte stream) take
 * this type, so the caller chooses how often the engine is handed work.
 *
 * <p>Every command enters the engine's FIFO queue when its issuing call returns, whichever issuer it
 * came through, so the ordering guarantees of {@link DmaEngine} hold for both: commands run in the
 * order their issuing calls returned. What differs is only when the engine is told: the hand-off
 * (waking a {@link DmaMode#DEDICATED} engine's thread, or running the queue on the caller's
 * thread in {@link DmaMode#INVOKER} mode), the step the papers' NIC takes at a doorbell write.
 */
public interface DmaIssuer {
    /** {@return the engine the commands go to (an engine returns itself)} */
    DmaEngine engine();

    /**
     * Issues a transfer from registered memory into a region; see {@link DmaEngine#write}.
     *
     * @param src       registered memory of the engine's endpoint, read from
     * @param srcOffset first byte to send, from the start of {@code src}
     * @param dst       the outbound mapping of the region written into
     * @param dstOffset where the first byte lands, from the start of the region's data area
     * @param length    bytes to move
     * @return the transfer's completion
     */
    DmaTransfer write(RegisteredMemory src, long srcOffset, OutboundMapping dst, long dstOffset, long length);

    /**
     * Issues a transfer from a region into registered memory; see {@link DmaEngine#read}.
     *
     * @param src       the outbound mapping of the region read from
     * @param srcOffset first byte to read, from the start of the region's data area
     * @param dst       registered memory of the engine's endpoint, written into
     * @param dstOffset where the first byte lands, from the start of {@code dst}
     * @param length    bytes to move
     * @return the transfer's completion
     */
    DmaTransfer read(OutboundMapping src, long srcOffset, RegisteredMemory dst, long dstOffset, long length);

    /**
     * Issues an ordered release store of a long; see {@link DmaEngine#writeLongOrdered}.
     *
     * @param dst    the outbound mapping of the region written into
     * @param offset the word's first byte, from the start of the region's data area; a multiple of 8
     * @param value  the long to store, in native byte order
     * @return the store's completion
     */
    DmaTransfer writeLongOrdered(OutboundMapping dst, long offset, long value);

    /**
     * Hands every command issued so far to the engine: wakes a dedicated engine's thread if it blocks, or
     * runs the queue on this thread in invoker mode (unless another thread is running it, which then runs
     * these commands too). A caller about to wait for something those commands cause (room in a ring the
     * peer frees after reading them) rings first. Cheap when there is nothing to hand over.
     */
    void doorbell();
}
