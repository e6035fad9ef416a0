package org.softclan.vmmc.stream;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.util.concurrent.TimeUnit;

import org.softclan.vmmc.Connection;

/**
 * One end of a bidirectional byte stream over a {@link Connection}'s messages (both ends must use it), made by
 * {@link ByteStreams} with a {@link ByteStreamContext}'s settings. What its methods share (blocking, timeouts,
 * interrupts, threads, framing, techniques) is in the {@linkplain org.softclan.vmmc.stream package documentation}.
 */
public final class ByteStream implements ByteChannel {
    /** Posts outstanding at most (slots of the post table). */
    public static final int POST_SLOTS = StreamControlDescriptor.POST_SLOTS;

    // one object per role, reached by posted buffers, received pages and views; locks: see each role's class
    final StreamEnd end;
    final PostTable posts;
    final StreamReader reader;
    private final PagePool pages;
    private final SendBuffers sendBuffers;
    final StreamWriter writer;
    final StreamCloser closer;

    /** As {@link ByteStreams#over}, which closes the connection if this throws; {@code ctx}'s receive technique last. */
    ByteStream(final Connection connection, final ByteStreamContext ctx) {
        this.end = new StreamEnd(connection, ctx);
        this.posts = new PostTable(end, this, ctx);
        this.reader = new StreamReader(end, posts, this);
        this.pages = new PagePool(end);
        this.sendBuffers = new SendBuffers(end);
        this.writer = new StreamWriter(end, sendBuffers, pages, ctx.sendTechnique);
        if (ctx.receiveTechnique != ReceiveTechnique.BUFFERED) {
            posts.receiveTechnique(ctx.receiveTechnique);
        }
        this.closer = new StreamCloser(end, writer, reader, posts);   // last: it registers the stream
    }

    /** {@return the connection that carries this stream (the stream owns it: do not use it directly)} */
    public Connection connection() {
        return end.connection;
    }

    /**
     * Allocates a direct buffer in memory registered with this stream's endpoint, which (with its slices and
     * duplicates) {@link SendTechnique#DIRECT_DMA} sends without a copy; deregistered when the stream closes.
     *
     * @param capacity bytes
     * @return a direct buffer, position 0, limit = capacity
     * @throws IllegalArgumentException if {@code capacity} is not positive
     */
    public ByteBuffer allocateSendBuffer(final int capacity) {
        return sendBuffers.allocate(capacity);
    }

    /**
     * Allocates a send page for {@link SendTechnique#PAGE_EXCHANGE}, from the stream's pool if one that big is free.
     *
     * @param capacity bytes
     * @return the page, zero-filled if newly allocated
     * @throws IllegalArgumentException if {@code capacity} is not positive
     */
    public Page newPage(final int capacity) {
        return pages.newPage(capacity);
    }

    /**
     * As {@link #send(ByteBuffer, SendTechnique)} with the stream's send technique, throwing what it throws.
     *
     * @param src the bytes to send, from its position to its limit; the position advances past them
     * @return the ticket of this send
     * @throws IOException as {@link #write(ByteBuffer)}
     */
    public SendTicket send(final ByteBuffer src) throws IOException {
        return writer.send(src, writer.sendTechnique());
    }

    /**
     * Sends the remaining bytes of {@code src}, blocking as {@link #write(ByteBuffer)} for room or a post; {@code src}
     * may be reused once the ticket is ready: on return, but with DIRECT_DMA and V2P_DMA after the transfer.
     *
     * @param src the bytes to send, from its position to its limit; the position advances past them
     * @param technique the technique for this send (its {@link SendTechnique} constant says which buffers it takes)
     * @return the ticket of this send
     * @throws NullPointerException if {@code technique} is {@code null}
     * @throws IllegalArgumentException for DIRECT_DMA, if {@code src} is not from {@link #allocateSendBuffer}
     * @throws IOException as {@link #write(ByteBuffer)}
     */
    public SendTicket send(final ByteBuffer src, final SendTechnique technique) throws IOException {
        return writer.send(src, technique);
    }

    /**
     * Sends {@code length} bytes of a page from {@code offset} by DMA without a copy, blocking as
     * {@link #write(ByteBuffer)}. Ready on return: the page may be written at once (a write while the transfer
     * is in flight duplicates the page first).
     *
     * @param page the page, from {@link #newPage}
     * @param offset the index of the first byte of the page to send
     * @param length the number of bytes to send
     * @return the ticket (ready)
     * @throws IndexOutOfBoundsException if the range is outside the page
     * @throws IllegalStateException if the page is closed
     * @throws IOException as {@link #write(ByteBuffer)}
     */
    public SendTicket send(final Page page, final int offset, final int length) throws IOException {
        return writer.send(page, offset, length);
    }

    /** {@return a read-only view of this end's counters, whose getters read the live values} */
    public ByteStreamStats stats() {
        return new ByteStreamStats(writer, posts, pages);
    }

    /**
     * Reads stream bytes into {@code dst}, blocking until at least one is available (or the stream ended), then
     * taking what is there without blocking; in every receive mode (PRE_POSTED: see the package documentation).
     *
     * @return the number of bytes read (0 only if {@code dst} has no room), or -1 at the end of stream
     * @throws StreamPeerGoneException if the peer closed without ending its output, or died, and all it sent was read
     * @throws StreamTimeoutException if no byte came within the read timeout
     * @throws java.nio.channels.AsynchronousCloseException if this stream was closed while waiting
     * @throws java.nio.channels.ClosedChannelException if this stream is closed
     * @throws IOException if the peer sent a malformed frame
     */
    @Override
    public int read(final ByteBuffer dst) throws IOException {
        return reader.read(dst);
    }

    /**
     * As {@link #read}, but never waits: takes the bytes there are now (a non-blocking socket channel's read).
     *
     * @param dst where the bytes go, from its position; the position advances past them
     * @return the number of bytes read, 0 if none is waiting (or {@code dst} has no room), -1 at the end of stream
     * @throws StreamPeerGoneException if nothing is waiting and the peer closed without ending its output (a peer
     *         that died is noticed by {@link Connection#checkPeer()}, which a caller asks when it has a reason)
     * @throws IOException as {@link #read}
     */
    public int readNow(final ByteBuffer dst) throws IOException {
        return reader.readNow(dst);
    }

    /**
     * Whether a {@link #read} would return without waiting (a selector's readiness): bytes kept or waiting, the
     * stream ended or broke, the peer closed. No lock (volatile reads): any thread may ask, also while one reads.
     *
     * @return whether a read would not wait (also when this stream is closed: the read reports it)
     */
    public boolean readable() {
        return reader.readable();
    }

    /**
     * As {@link #write} by PIO, but never waits: writes as many whole frames of {@code src}'s bytes as the
     * peer's ring has room for now (a non-blocking socket channel's write).
     *
     * @param src the bytes to write, from its position; the position advances past those written
     * @return the number of bytes written, 0 if the ring had no room
     * @throws IllegalStateException if the peer receives PRE_POSTED (its data must wait for its posts)
     * @throws IOException as {@link #write}
     */
    public int writeNow(final ByteBuffer src) throws IOException {
        return writer.writeNow(src);
    }

    /**
     * Whether {@link #writeNow} would write at least one byte now (or fail: stream or output closed, or broken).
     * When not, asks the peer to publish its read position as it frees room ({@link Connection#hasRoomOrAsk}), so
     * that a thread then waiting on this stream's Tripwire unit is woken once there is room. Takes the write lock.
     *
     * @return whether a write would not wait
     */
    public boolean writable() {
        return writer.writable();
    }

    /**
     * Sets how long reads from now on wait for their first byte (a socket's {@code SO_TIMEOUT}).
     *
     * @param timeout the longest wait, in {@code unit}s; 0 for forever (a read already waiting keeps its own)
     * @param unit the unit of {@code timeout}
     * @return this
     * @throws IllegalArgumentException if {@code timeout} is negative
     */
    public ByteStream readTimeout(final long timeout, final TimeUnit unit) {
        end.readTimeoutNanos = StreamEnd.toNanos(timeout, unit);
        return this;
    }

    /**
     * Takes the next received bytes by owner change, not a copy: a {@link ReceivedPage} over the memory they
     * arrived in, the caller's until released. Mixes with {@link #read}: bytes a read left over come first.
     *
     * @param timeout the longest wait for bytes, in {@code unit}s; 0 (or less) forever, whatever the read timeout
     * @param unit the unit of {@code timeout}
     * @return the page, or {@code null} at the end of stream
     * @throws StreamTimeoutException if no byte came within {@code timeout}
     * @throws IOException as {@link #read}
     */
    public ReceivedPage receivePage(final long timeout, final TimeUnit unit) throws IOException {
        return reader.receivePage(timeout, unit);
    }

    /**
     * Posts a receive buffer in this end's deposit region (exported on first use) for the peer's sends to fill
     * directly in PRE_POSTED or REDIRECTION mode, in the order posted (how: the package documentation).
     *
     * @param capacity bytes of the buffer, at least 1
     * @return the posted buffer; {@link PostedBuffer#awaitFilled} waits for it (or reports the end of stream)
     * @throws IllegalStateException if {@value #POST_SLOTS} posts are unfilled, or no free deposit range is that big
     * @throws IllegalArgumentException if {@code capacity} is not positive, or larger than the deposit region
     *         ({@link ByteStreamContext#depositCapacity(int)})
     * @throws org.softclan.dsm.ClosedException if this stream is closed
     */
    public PostedBuffer post(final int capacity) {
        return posts.post(capacity, false);
    }

    /**
     * Writes all the remaining bytes of {@code src} with the stream's send technique, blocking while the peer's
     * ring is full (to a PRE_POSTED peer: until it posted a buffer) and until {@code src} may be reused.
     *
     * @return the number of bytes written: all that remained; {@code src}'s position advances to its limit
     * @throws StreamPeerGoneException if the peer closed or died
     * @throws StreamTimeoutException if the write timeout passed first (its {@code bytesTransferred()} were sent)
     * @throws PostedBufferTooSmallException if the peer receives PRE_POSTED and its next post is smaller (none sent)
     * @throws java.nio.channels.AsynchronousCloseException if this stream was closed while waiting
     * @throws java.nio.channels.ClosedChannelException if this stream is closed or its output was shut down
     * @throws IllegalArgumentException for DIRECT_DMA, if {@code src} is not from {@link #allocateSendBuffer}
     */
    @Override
    public int write(final ByteBuffer src) throws IOException {
        return writer.write(src, writer.sendTechnique());
    }

    /**
     * As {@link #write(ByteBuffer)}, with {@code technique}: {@code src} may be reused on return with any.
     *
     * @param src the bytes to write, from its position to its limit; the position advances to the limit
     * @param technique the technique for this write, whatever the stream's default
     * @return the number of bytes written: all that remained
     * @throws IOException as {@link #write(ByteBuffer)}
     */
    public int write(final ByteBuffer src, final SendTechnique technique) throws IOException {
        return writer.write(src, technique);
    }

    /**
     * As {@link #write(ByteBuffer)}, of {@code length} bytes of {@code src} from {@code offset}.
     *
     * @param src the bytes
     * @param offset the index of the first byte to write
     * @param length the number of bytes to write
     * @throws IndexOutOfBoundsException if the range is outside {@code src}
     * @throws IOException as {@link #write(ByteBuffer)}
     */
    public void write(final byte[] src, final int offset, final int length) throws IOException {
        write(ByteBuffer.wrap(src, offset, length));
    }

    /**
     * Ends this side's output: sends the end-of-stream marker, after which the peer's reads return -1 once they
     * have taken everything written before. Reading on this side goes on. Idempotent.
     *
     * @return this
     * @throws IOException as {@link #write(ByteBuffer)} (the marker waits for room like a write)
     */
    public ByteStream shutdownOutput() throws IOException {
        writer.shutdownOutput();
        return this;
    }

    /** @return whether this stream is open ({@link #close()} not called) */
    @Override
    public boolean isOpen() {
        return !end.closed;
    }

    /**
     * Closes the stream: ends the output unless {@link #shutdownOutput()} did (after every transfer queued;
     * waiting for room for the marker at most 10 s, or the write timeout if shorter, else the peer sees the
     * stream cut short), then closes the connection, deposit region and registered memory. Idempotent; blocked
     * calls on other threads end with {@link java.nio.channels.AsynchronousCloseException} within a slice;
     * bytes not yet read are dropped, received pages and posted buffers become invalid.
     */
    @Override
    public void close() {
        closer.close();
    }

    @Override
    public String toString() {
        return end.toString();
    }
}
