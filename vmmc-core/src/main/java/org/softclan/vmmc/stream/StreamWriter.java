package org.softclan.vmmc.stream;

import static org.softclan.vmmc.stream.StreamFrameDescriptor.DATA;
import static org.softclan.vmmc.stream.StreamFrameDescriptor.DATA_LAST;
import static org.softclan.vmmc.stream.StreamFrameDescriptor.DATA_OFFSET;
import static org.softclan.vmmc.stream.StreamFrameDescriptor.DEPOSIT;
import static org.softclan.vmmc.stream.StreamFrameDescriptor.DEPOSIT_BYTES_OFFSET;
import static org.softclan.vmmc.stream.StreamFrameDescriptor.DEPOSIT_FRAME_LENGTH;
import static org.softclan.vmmc.stream.StreamFrameDescriptor.DEPOSIT_SEQ_OFFSET;
import static org.softclan.vmmc.stream.StreamFrameDescriptor.EOF;
import static org.softclan.vmmc.stream.StreamFrameDescriptor.EOF_FRAME_LENGTH;
import static org.softclan.vmmc.stream.StreamFrameDescriptor.TYPE_OFFSET;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayList;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

import net.openhft.chronicle.core.Jvm;
import org.softclan.dsm.ClosedException;
import org.softclan.dsm.DmaBatch;
import org.softclan.dsm.DmaTransfer;
import org.softclan.dsm.OutboundMapping;
import org.softclan.dsm.RegisteredMemory;
import org.softclan.dsm.StaleRegionException;
import org.softclan.vmmc.Connection;
import org.softclan.vmmc.PeerGoneException;
import org.softclan.vmmc.SendTimeoutException;

/**
 * The send side of a {@link ByteStream}: it finds the memory a send's bytes are in for its technique,
 * then moves them either into the next buffer the peer posted (checked through the
 * {@link PeerPostTable}, then a DEPOSIT notice) or as DATA frames through the peer's ring, with the
 * {@link SendPath} of the technique's family; it also ends the output (EOF) and, on close, waits for
 * the transfers it queued and releases the sender's memory.
 *
 * <p><b>Lock</b>: the write lock serialises writers and guards everything here, the
 * {@link PeerPostTable}, the {@link StagingRing} and the registration cache. Under it the writer takes
 * the {@link SendBuffers} and {@link PagePool} locks (each guards itself); close takes it after the
 * close lock and before the read lock.
 *
 * <p><b>Memory order</b>: frames are published by the connection's commit (release); the DEPOSIT
 * notice of a PIO deposit is plain stores before that commit, with the engine ordered writes queued
 * after the deposit's bytes (the engine runs in FIFO order). {@link #writeBlockedNanos} is volatile,
 * written under the lock.
 *
 * <p><b>Allocation</b>: a send allocates its ticket; the frame path allocates nothing per frame.
 */
final class StreamWriter {
    /** How long {@link ByteStream#close()} waits at most for room to send the end-of-stream marker. */
    static final long CLOSE_LINGER_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final StreamEnd end;
    private final SendBuffers sendBuffers;
    private final PagePool pages;
    private final Object writeLock = new Object();
    /** The technique of sends that name none ({@link ByteStreamContext#sendTechnique}); final. */
    private final SendTechnique sendTechnique;

    // guarded by writeLock
    private final PeerPostTable peer;
    private final StagingRing staging;
    private final SendPath pio;
    private final SendPath stagedCopy;
    private final SendPath zeroCopy;
    private boolean outputShut;
    private boolean closingOutput;
    private volatile long writeBlockedNanos;
    /** Stream bytes sent (all techniques): a plain add under the write lock, read racily for statistics. */
    private long bytesSent;
    /** Sends and writes that sent bytes: as {@link #bytesSent}. */
    private long sends;
    /** The endpoint's DMA engine as a batch: its doorbell rung once per frame or deposit. */
    private DmaBatch dma;
    private RegistrationCache cache;
    /** The last DMA operation this stream queued (the engine runs in FIFO order): awaited before unmapping. */
    private DmaTransfer lastIssued;

    /**
     * @param end         the stream's shared state
     * @param sendBuffers the stream's DIRECT_DMA buffers
     * @param pages       the stream's page memory
     * @param technique   the technique of sends that name none
     */
    StreamWriter(final StreamEnd end, final SendBuffers sendBuffers, final PagePool pages,
                 final SendTechnique technique) {
        this.end = end;
        this.sendTechnique = Objects.requireNonNull(technique, "technique");
        this.sendBuffers = sendBuffers;
        this.pages = pages;
        this.peer = new PeerPostTable(end, this);
        this.staging = new StagingRing(end, this);
        this.pio = new SendPath.Pio(this, end);
        this.stagedCopy = new SendPath.StagedCopy(this, end, staging);
        this.zeroCopy = new SendPath.ZeroCopy(this, end);
    }

    /** {@return the technique of sends that name none} */
    SendTechnique sendTechnique() {
        return sendTechnique;
    }

    /** {@return the registration cache of {@link SendTechnique#V2P_DMA} (created on first use, under the write lock)} */
    RegistrationCache registrationCache() {
        synchronized (writeLock) {
            if (cache == null) {
                cache = new RegistrationCache(end.endpoint, RegistrationCache.DEFAULT_CAPACITY);
            }
            return cache;
        }
    }

    /** {@return the nanoseconds writes have waited for room or a post (volatile read)} */
    long writeBlockedNanos() {
        return writeBlockedNanos;
    }

    /** Adds to the time writes waited; called holding the write lock. */
    void addBlocked(final long nanos) {
        writeBlockedNanos += nanos;
    }

    /** {@return stream bytes sent so far (a racy read of a plain field: for statistics)} */
    long bytesSent() {
        return bytesSent;
    }

    /** {@return sends and writes that sent bytes so far (a racy read: for statistics)} */
    long sends() {
        return sends;
    }

    /** Counts one send of {@code n} bytes; called holding the write lock. */
    private void sent(final long n) {
        if (n > 0) {
            bytesSent += n;
            sends++;
        }
    }

    /** {@return the number of sends deposited straight into buffers the peer posted} */
    long depositsSent() {
        return peer.depositsSent();
    }

    /** As {@link ByteStream#send(ByteBuffer, SendTechnique)}. */
    SendTicket send(final ByteBuffer src, final SendTechnique technique) throws IOException {
        Objects.requireNonNull(technique, "technique");
        final boolean wasOpen = !end.closed;   // a close while this waits for the lock is an asynchronous close
        synchronized (writeLock) {
            final int total = src.remaining();
            final DmaTransfer last = sendLocked(src, technique, wasOpen);
            sent(total);
            if (technique == SendTechnique.PAGE_EXCHANGE && last != null) {
                awaitTransfer(last, 0);
                return new Ticket(this, technique, total, null);
            }
            return new Ticket(this, technique, total, technique.classicalSemantics() ? null : last);
        }
    }

    /** As {@link ByteStream#send(Page, int, int)}. */
    SendTicket send(final Page page, final int offset, final int length) throws IOException {
        final PageMemory mem = page.memory();
        Objects.checkFromIndexSize(offset, length, mem.capacity);
        final boolean wasOpen = !end.closed;
        synchronized (writeLock) {
            ensureWritable(wasOpen);
            final DmaTransfer last = transfer(null, mem.memory, offset, length, SendTechnique.PAGE_EXCHANGE,
                System.nanoTime(), end.writeTimeoutNanos);
            if (last != null) {
                mem.busy = last;
            }
            sent(length);
            return new Ticket(this, SendTechnique.PAGE_EXCHANGE, length, null);
        }
    }

    /** As {@link ByteStream#write(ByteBuffer, SendTechnique)}. */
    int write(final ByteBuffer src, final SendTechnique technique) throws IOException {
        final boolean wasOpen = !end.closed;   // a close while this waits for the lock is an asynchronous close
        try {
            synchronized (writeLock) {
                final int total = src.remaining();
                final DmaTransfer last = sendLocked(src, technique, wasOpen);
                sent(total);
                if (last != null) {
                    awaitTransfer(last, 0);   // DIRECT_DMA, V2P_DMA, PAGE_EXCHANGE on a plain buffer
                }
                return total;
            }
        } catch (final InternalError e) {
            throw end.regionCut(e);
        }
    }

    /** As {@link ByteStream#writeNow(ByteBuffer)}. */
    int writeNow(final ByteBuffer src) throws IOException {
        final boolean wasOpen = !end.closed;
        try {
            synchronized (writeLock) {
                ensureWritable(wasOpen);
                if (peer.checkedMode() - 1 == ReceiveTechnique.PRE_POSTED.ordinal()) {
                    throw new IllegalStateException(end + ": the peer receives PRE_POSTED: a write that does not wait"
                        + " cannot wait for its posts either; use write()");
                }
                int sent = 0;
                while (src.hasRemaining()) {
                    int n = Math.min(src.remaining(), end.frame - DATA_OFFSET);
                    // a partial write, as TCP's: the largest frame (halving) the ring has room for now, so
                    // that a write takes bytes whenever writable() said it would
                    while (n > 1 && !end.connection.hasRoom(DATA_OFFSET + n)) {
                        n >>>= 1;
                    }
                    final long at = end.connection.tryClaim(DATA_OFFSET + n, null);
                    if (at == Connection.BACK_PRESSURED) {
                        break;
                    }
                    end.tx.putByte(at + TYPE_OFFSET, DATA_LAST);   // each frame a whole send
                    final int limit = src.limit();
                    src.limit(src.position() + n);
                    try {
                        end.tx.put(at + DATA_OFFSET, src);
                    } finally {
                        src.limit(limit);
                    }
                    end.connection.commit(null);
                    peer.countRingBytes(n);
                    sent += n;
                }
                sent(sent);
                return sent;
            }
        } catch (final PeerGoneException | StaleRegionException e) {
            throw new StreamPeerGoneException(end + ": cannot write: " + e.getMessage(), StreamEnd.gone(e));
        } catch (final ClosedException e) {
            throw end.closedMeanwhile();
        } catch (final InternalError e) {
            throw end.regionCut(e);
        }
    }

    /** As {@link ByteStream#writable()}: under the write lock (a {@link #writeNow} holds it briefly). */
    boolean writable() {
        if (end.closed) {
            return true;
        }
        synchronized (writeLock) {
            try {
                return outputShut || end.isBroken() || end.connection.hasRoomOrAsk(DATA_OFFSET + 1);
            } catch (final RuntimeException gone) {
                return true;   // the next write reports it
            }
        }
    }

    /**
     * Waits for a DMA transfer (a ticket's readiness) in slices, checking the timeout between them; a
     * close of the stream does not end the wait.
     *
     * @param timeoutNanos 0 for forever
     */
    void awaitTransfer(final DmaTransfer t, final long timeoutNanos) throws IOException {
        final long begin = System.nanoTime();
        try {
            while (!t.await(StreamEnd.SLICE_NANOS, TimeUnit.NANOSECONDS)) {
                if (timeoutNanos > 0 && System.nanoTime() - begin >= timeoutNanos) {
                    throw new StreamTimeoutException(end + ": the transfer of " + t.length() + " bytes was not done"
                        + " within " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms", 0);
                }
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException(end + ": interrupted waiting for " + t);
        }
        if (!t.isSucceeded()) {
            final Throwable why = t.error();
            if (why instanceof ClosedException) {
                throw end.closedMeanwhile();
            }
            throw new StreamPeerGoneException(end + ": " + t + " failed: " + why.getMessage(),
                StreamEnd.gone(why));
        }
    }

    private void ensureWritable(final boolean wasOpen) throws IOException {
        end.ensureOpen(wasOpen);
        if (outputShut) {
            throw new ClosedChannelException();
        }
        end.checkBroken();
    }

    /**
     * Sends {@code src} with {@code technique}; called holding the write lock.
     *
     * @return the last transfer that reads the caller's memory (DMA techniques without a copy), or null
     */
    private DmaTransfer sendLocked(final ByteBuffer src, final SendTechnique technique, final boolean wasOpen)
        throws IOException {
        ensureWritable(wasOpen);
        final int total = src.remaining();
        if (total == 0) {
            return null;
        }
        RegisteredMemory mem = null;
        long memOffset = 0;
        SendTechnique t = technique;
        if (t == SendTechnique.DIRECT_DMA) {
            final SendBuffers.SendBuffer b = sendBuffers.of(src);
            if (b == null) {
                throw new IllegalArgumentException(end + ": DIRECT_DMA sends only buffers from allocateSendBuffer(),"
                    + " and " + src + " (" + (src.isDirect() ? "direct" : "heap") + ") is not one; use V2P_DMA or"
                    + " COPY_DMA for other buffers");
            }
            mem = b.memory();
            memOffset = Jvm.address(src) - b.address() + src.position();
        } else if (t == SendTechnique.V2P_DMA || t == SendTechnique.PAGE_EXCHANGE) {
            mem = registrationCache().lookup(src);
            if (mem == null) {
                t = SendTechnique.COPY_DMA;
            } else {
                memOffset = RegistrationCache.offsetOf(src);
            }
        }
        return transfer(src, mem, memOffset, total, t, System.nanoTime(), end.writeTimeoutNanos);
    }

    /** {@return the send path of {@code t}'s family} */
    private SendPath path(final SendTechnique t) {
        return switch (t) {
            case PIO -> pio;
            case COPY_DMA -> stagedCopy;
            case DIRECT_DMA, V2P_DMA, PAGE_EXCHANGE -> zeroCopy;
        };
    }

    /**
     * Moves {@code total} bytes: from {@code src} (PIO, COPY_DMA) or from registered memory at
     * {@code memOffset} (the zero-copy techniques), into a buffer the peer posted or through its ring.
     * Advances {@code src}'s position (if given) past the bytes sent, also when it throws.
     */
    private DmaTransfer transfer(final ByteBuffer src, final RegisteredMemory mem, final long memOffset,
                                 final int total, final SendTechnique t, final long begin, final long timeout)
        throws IOException {
        try {
            return route(src, mem, memOffset, total, t, begin, timeout);
        } catch (final IOException | RuntimeException | Error e) {
            if (dma != null) {
                dma.doorbell();   // commands of a frame cut short by a failure are handed over too (they end)
            }
            throw e;
        }
    }

    /** {@link #transfer}'s choice of path (a posted buffer or the ring) and its failures' translation. */
    private DmaTransfer route(final ByteBuffer src, final RegisteredMemory mem, final long memOffset,
                              final int total, final SendTechnique t, final long begin, final long timeout)
        throws IOException {
        try {
            final long peerMode = peer.checkedMode() - 1;
            final SendPath path = path(t);
            if (peerMode == ReceiveTechnique.PRE_POSTED.ordinal() || peerMode == ReceiveTechnique.REDIRECTION.ordinal()) {
                final boolean strict = peerMode == ReceiveTechnique.PRE_POSTED.ordinal();
                final long state = strict ? peer.await(begin, timeout) : peer.peek();
                if (state != -1) {
                    final OutboundMapping dst = peer.inspect(state);   // the peer's words, checked
                    final long capacity = peer.offeredCapacity();
                    if (total <= capacity) {
                        if (peer.tryTake(state)) {
                            return deposit(src, mem, memOffset, total, path, dst, peer.offeredSeq(), peer.offeredAt(),
                                begin, timeout);
                        }
                    } else if (strict) {
                        throw new PostedBufferTooSmallException(end + ": a send of " + total + " bytes does not fit"
                            + " the buffer of " + capacity + " bytes the peer posted next (it receives pre-posted);"
                            + " nothing was written and the buffer stays posted", total, capacity);
                    }
                }
            }
            return throughRing(src, mem, memOffset, total, path, begin, timeout);
        } catch (final PeerGoneException | StaleRegionException e) {
            throw new StreamPeerGoneException(end + ": cannot write: " + e.getMessage(), StreamEnd.gone(e));
        } catch (final ClosedException e) {
            throw end.closedMeanwhile();
        }
    }

    /** {@return a batch of the endpoint's DMA engine, made on first use; called holding the write lock} */
    DmaBatch engine() {
        if (dma == null) {
            dma = end.endpoint.dma().newBatch();
        }
        return dma;
    }

    /** The ring path: frames of at most {@code frame - DATA_OFFSET} stream bytes; the last of the send is DATA_LAST. */
    private DmaTransfer throughRing(final ByteBuffer src, final RegisteredMemory mem, final long memOffset,
                                    final int total, final SendPath path, final long begin, final long timeout)
        throws IOException {
        DmaTransfer last = null;
        int sent = 0;
        while (sent < total) {
            final int n = Math.min(total - sent, end.frame - DATA_OFFSET);
            final byte type = sent + n == total ? DATA_LAST : DATA;
            try {
                last = path.ringFrame(src, mem, memOffset, sent, n, type, begin, timeout);
            } catch (final StreamTimeoutException e) {
                throw new StreamTimeoutException(end + ": " + sent + " of " + total
                    + " bytes were sent before the write timeout of " + TimeUnit.NANOSECONDS.toMillis(timeout)
                    + " ms (the peer's ring stayed full)", sent);
            }
            sent += n;
            peer.countRingBytes(n);
        }
        return last;
    }

    /**
     * Deposits into the peer's posted buffer {@code seq} at {@code at} of {@code dst}, then sends the
     * DEPOSIT frame; gives the post back if there is no room for the frame in time.
     */
    private DmaTransfer deposit(final ByteBuffer src, final RegisteredMemory mem, final long memOffset, final int total,
                                final SendPath path, final OutboundMapping dst, final long seq, final long at,
                                final long begin, final long timeout) throws IOException {
        final DmaBatch e = path.depositEngine();
        final long frameAt;
        try {
            frameAt = claimFrame(DEPOSIT_FRAME_LENGTH, e, begin, timeout);
        } catch (final StreamTimeoutException timedOut) {
            // give the post back: nothing was written into it
            peer.giveBack(seq);
            throw new StreamTimeoutException(end + ": 0 of " + total + " bytes were sent before the write timeout of "
                + TimeUnit.NANOSECONDS.toMillis(timeout) + " ms (no room for the deposit notice)", 0);
        }
        final DmaTransfer last = path.deposit(src, mem, memOffset, total, dst, at, e);
        if (e == null) {
            end.tx.putLong(frameAt + TYPE_OFFSET, DEPOSIT);
            end.tx.putLong(frameAt + DEPOSIT_SEQ_OFFSET, seq);
            end.tx.putLong(frameAt + DEPOSIT_BYTES_OFFSET, total);
        } else {
            issued(e.writeLongOrdered(end.tx, frameAt + TYPE_OFFSET, DEPOSIT));
            issued(e.writeLongOrdered(end.tx, frameAt + DEPOSIT_SEQ_OFFSET, seq));
            issued(e.writeLongOrdered(end.tx, frameAt + DEPOSIT_BYTES_OFFSET, total));
        }
        issued(end.connection.commit(e));
        if (e != null) {
            e.doorbell();   // one hand-off for the deposit's data, its notice and the write pointer
        }
        peer.countDeposit();
        return last;
    }

    /** Notes a DMA operation this stream queued; called holding the write lock. */
    DmaTransfer issued(final DmaTransfer t) {
        if (t != null) {
            lastIssued = t;
        }
        return t;
    }

    /** Claims a record of {@code length} bytes, waiting for room in slices; called holding the write lock. */
    long claimFrame(final int length, final DmaBatch via, final long begin, final long timeout)
        throws IOException {
        final long at = end.connection.tryClaim(length, via);
        if (at != Connection.BACK_PRESSURED) {
            return at;
        }
        final long waitStart = System.nanoTime();
        try {
            while (true) {
                if (end.closed && !closingOutput) {
                    throw new AsynchronousCloseException();
                }
                long slice = StreamEnd.SLICE_NANOS;
                if (timeout > 0) {
                    final long left = timeout - (System.nanoTime() - begin);
                    if (left <= 0) {
                        throw new StreamTimeoutException(end + ": the peer's ring stayed full", 0);
                    }
                    slice = Math.min(slice, left);
                }
                try {
                    return end.connection.claim(length, slice, via);
                } catch (final SendTimeoutException stillFull) {
                    // next slice
                }
            }
        } finally {
            writeBlockedNanos += System.nanoTime() - waitStart;
        }
    }

    /** Sends the EOF frame by PIO (after every transfer queued: a PIO store waits for them). */
    private void sendEof(final long timeout, final boolean closing) throws IOException {
        closingOutput = closing;
        try {
            final long at = claimFrame(EOF_FRAME_LENGTH, null, System.nanoTime(), timeout);
            end.tx.putByte(at + TYPE_OFFSET, EOF);
            end.connection.commit(null);
        } catch (final PeerGoneException | StaleRegionException e) {
            throw new StreamPeerGoneException(end + ": cannot write: " + e.getMessage(), StreamEnd.gone(e));
        } catch (final ClosedException e) {
            throw end.closedMeanwhile();
        } finally {
            closingOutput = false;
        }
    }

    /** As {@link ByteStream#shutdownOutput()}. */
    void shutdownOutput() throws IOException {
        final boolean wasOpen = !end.closed;
        synchronized (writeLock) {
            end.ensureOpen(wasOpen);
            if (!outputShut) {
                sendEof(end.writeTimeoutNanos, false);
                outputShut = true;
            }
        }
    }

    /**
     * Close's step under the write lock: ends the output unless it was (waiting at most
     * {@link #CLOSE_LINGER_NANOS}, or the write timeout if shorter, for room for the marker), then waits
     * for the transfers this stream queued and releases the sender's memory.
     */
    void closeOutput() {
        synchronized (writeLock) {
            if (!outputShut) {
                outputShut = true;
                final long timeout = end.writeTimeoutNanos;
                try {
                    sendEof(timeout > 0 ? Math.min(timeout, CLOSE_LINGER_NANOS) : CLOSE_LINGER_NANOS, true);
                } catch (final IOException peerGoneOrFull) {
                    // the peer sees the stream cut short
                }
            }
            releaseSenderResources();
        }
    }

    private void releaseSenderResources() {
        // the engine runs in FIFO order: once the last operation this stream queued is done, no transfer
        // of this stream writes into the peer's ring or deposit region, which are unmapped below
        final DmaTransfer queued = lastIssued;
        if (queued != null) {
            try {
                queued.await(CLOSE_LINGER_NANOS, TimeUnit.NANOSECONDS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        final ArrayList<AutoCloseable> all = new ArrayList<>();
        staging.drainInto(all, CLOSE_LINGER_NANOS);
        if (cache != null) {
            all.add(cache);
        }
        sendBuffers.drainInto(all);
        pages.drainInto(all);
        final OutboundMapping peerDeposit = peer.importedDeposit();
        if (peerDeposit != null) {
            all.add(peerDeposit);
        }
        for (final AutoCloseable c : all) {
            try {
                c.close();
            } catch (final Exception e) {
                // closing what is left of a stream that is gone
            }
        }
    }

    @Override
    public String toString() {
        return "writer of " + end;
    }
}
