package org.softclan.vmmc.stream;

import static org.softclan.vmmc.stream.StreamFrameDescriptor.DATA_OFFSET;
import static org.softclan.vmmc.stream.StreamFrameDescriptor.TYPE_OFFSET;

import java.io.IOException;
import java.nio.ByteBuffer;

import org.softclan.dsm.DmaBatch;
import org.softclan.dsm.DmaTransfer;
import org.softclan.dsm.OutboundMapping;
import org.softclan.dsm.RegisteredMemory;

/**
 * How one family of send techniques moves a send's bytes: as DATA frames into the peer's ring, or
 * into a buffer the peer posted (followed by the DEPOSIT notice the {@link StreamWriter} writes).
 * There are three families: {@link Pio} (the calling thread stores the bytes), {@link StagedCopy}
 * ({@link SendTechnique#COPY_DMA}: a copy into staging memory, moved by the DMA engine) and
 * {@link ZeroCopy} ({@link SendTechnique#DIRECT_DMA}, {@link SendTechnique#V2P_DMA} and
 * {@link SendTechnique#PAGE_EXCHANGE}: the engine moves registered memory without a copy; the three
 * differ only in how the writer finds that memory and when the caller may reuse it).
 *
 * <p>Called by the writer holding its write lock. <b>Memory order</b>: a PIO frame's type and bytes are
 * plain stores, published by the connection's commit (release); with the engine, the type word is an
 * ordered write queued before the bytes and the commit, and the engine runs its queue in FIFO order.
 * <b>Hand-off</b>: the engine's commands are issued through the writer's {@link DmaBatch}, whose
 * doorbell is rung once per frame (and by the writer once per deposit), so a frame's record header,
 * type word, data and write pointer cost one wake-up of a dedicated engine or one run of an invoker one.
 * <b>Allocation</b>: none per frame.
 */
abstract class SendPath {
    final StreamWriter writer;
    final StreamEnd end;

    SendPath(final StreamWriter writer, final StreamEnd end) {
        this.writer = writer;
        this.end = end;
    }

    /**
     * Sends one DATA or DATA_LAST frame of {@code n} stream bytes through the peer's ring: claims it
     * (waiting for room), writes it, commits it, and advances {@code src}'s position (if given) past them.
     *
     * @param src       the caller's buffer (PIO, COPY_DMA), or {@code null} for registered memory alone
     * @param mem       the registered memory of the bytes (zero-copy techniques), or {@code null}
     * @param memOffset where the send starts in {@code mem}
     * @param sent      bytes of the send already sent
     * @param n         bytes in this frame
     * @param type      DATA or DATA_LAST
     * @return the transfer that reads the caller's memory, or {@code null} if none does
     */
    abstract DmaTransfer ringFrame(ByteBuffer src, RegisteredMemory mem, long memOffset, int sent, int n, byte type,
                                   long begin, long timeout) throws IOException;

    /** {@return the engine that writes the DEPOSIT notice of a deposit, or {@code null} for plain stores} */
    abstract DmaBatch depositEngine();

    /**
     * Writes a whole send into the peer's posted buffer at {@code at} of its deposit region (the frame of
     * the notice is claimed already), advancing {@code src}'s position (if given) past it.
     *
     * @param e the engine {@link #depositEngine()} gave
     * @return the transfer that reads the caller's memory, or {@code null} if none does
     */
    abstract DmaTransfer deposit(ByteBuffer src, RegisteredMemory mem, long memOffset, int total, OutboundMapping dst,
                                 long at, DmaBatch e) throws IOException;

    /** {@link SendTechnique#PIO}: the calling thread stores the bytes through the mapping. */
    static final class Pio extends SendPath {
        Pio(final StreamWriter writer, final StreamEnd end) {
            super(writer, end);
        }

        @Override
        DmaTransfer ringFrame(final ByteBuffer src, final RegisteredMemory mem, final long memOffset, final int sent,
                              final int n, final byte type, final long begin, final long timeout) throws IOException {
            final long at = writer.claimFrame(DATA_OFFSET + n, null, begin, timeout);
            end.tx.putByte(at + TYPE_OFFSET, type);
            final int limit = src.limit();
            src.limit(src.position() + n);
            try {
                end.tx.put(at + DATA_OFFSET, src);
            } finally {
                src.limit(limit);
            }
            end.connection.commit(null);
            return null;
        }

        @Override
        DmaBatch depositEngine() {
            return null;
        }

        @Override
        DmaTransfer deposit(final ByteBuffer src, final RegisteredMemory mem, final long memOffset, final int total,
                            final OutboundMapping dst, final long at, final DmaBatch e) {
            dst.put(at, src);
            return null;
        }
    }

    /**
     * {@link SendTechnique#COPY_DMA}: the bytes are copied into the {@link StagingRing} and the engine
     * moves them from there, so the caller's buffer is free on return.
     */
    static final class StagedCopy extends SendPath {
        private final StagingRing staging;

        StagedCopy(final StreamWriter writer, final StreamEnd end, final StagingRing staging) {
            super(writer, end);
            this.staging = staging;
        }

        @Override
        DmaTransfer ringFrame(final ByteBuffer src, final RegisteredMemory mem, final long memOffset, final int sent,
                              final int n, final byte type, final long begin, final long timeout) throws IOException {
            final int slot = staging.acquire();
            final int so = staging.offset(slot);
            staging.buffer().put(so + TYPE_OFFSET, type);
            staging.buffer().put(so + DATA_OFFSET, src, src.position(), n);
            final DmaBatch e = writer.engine();
            final long at = writer.claimFrame(DATA_OFFSET + n, e, begin, timeout);
            src.position(src.position() + n);
            staging.busy(slot, writer.issued(e.write(staging.memory(), so, end.tx, at, DATA_OFFSET + n)));
            writer.issued(end.connection.commit(e));
            e.doorbell();   // one hand-off for the frame: header, data, write pointer
            return null;
        }

        @Override
        DmaBatch depositEngine() {
            return writer.engine();
        }

        @Override
        DmaTransfer deposit(final ByteBuffer src, final RegisteredMemory mem, final long memOffset, final int total,
                            final OutboundMapping dst, final long at, final DmaBatch e) throws IOException {
            int done = 0;
            while (done < total) {
                final int n = Math.min(total - done, end.frame);
                final int slot = staging.acquire();
                staging.buffer().put(staging.offset(slot), src, src.position(), n);
                src.position(src.position() + n);
                staging.busy(slot, writer.issued(e.write(staging.memory(), staging.offset(slot), dst, at + done, n)));
                done += n;
            }
            return null;
        }
    }

    /**
     * {@link SendTechnique#DIRECT_DMA}, {@link SendTechnique#V2P_DMA}, {@link SendTechnique#PAGE_EXCHANGE}:
     * the engine moves the caller's registered memory without a copy; the type word goes through the
     * engine too, so the writing thread never waits for it.
     */
    static final class ZeroCopy extends SendPath {
        ZeroCopy(final StreamWriter writer, final StreamEnd end) {
            super(writer, end);
        }

        @Override
        DmaTransfer ringFrame(final ByteBuffer src, final RegisteredMemory mem, final long memOffset, final int sent,
                              final int n, final byte type, final long begin, final long timeout) throws IOException {
            final DmaBatch e = writer.engine();
            final long at = writer.claimFrame(DATA_OFFSET + n, e, begin, timeout);
            // the rest of the type's word is overwritten by the data
            writer.issued(e.writeLongOrdered(end.tx, at + TYPE_OFFSET, type));
            final DmaTransfer last = writer.issued(e.write(mem, memOffset + sent, end.tx, at + DATA_OFFSET, n));
            writer.issued(end.connection.commit(e));
            e.doorbell();   // one hand-off for the frame: header, type, data, write pointer
            if (src != null) {
                src.position(src.position() + n);
            }
            return last;
        }

        @Override
        DmaBatch depositEngine() {
            return writer.engine();
        }

        @Override
        DmaTransfer deposit(final ByteBuffer src, final RegisteredMemory mem, final long memOffset, final int total,
                            final OutboundMapping dst, final long at, final DmaBatch e) {
            final DmaTransfer last = writer.issued(e.write(mem, memOffset, dst, at, total));
            if (src != null) {
                src.position(src.position() + total);
            }
            return last;
        }
    }
}
