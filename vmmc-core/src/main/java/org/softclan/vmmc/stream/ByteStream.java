package org.softclan.vmmc.stream;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ByteChannel;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.TimeUnit;

import org.softclan.dsm.ClosedException;
import org.softclan.vmmc.Connection;

/**
 * One end of a bidirectional byte stream, carried by the messages of a {@link Connection} (see the
 * package documentation for the framing, the send and receive techniques and the pre-posting rule).
 * Both ends of the connection must use {@code ByteStream}.
 *
 * <p><b>Reads</b> block until at least one byte is available, then return what is there without
 * blocking further; they return -1 once the peer ended its output ({@link #shutdownOutput()} or
 * {@link #close()}) and everything before was read. <b>Writes</b> block until all the bytes were
 * handed to the connection (the peer's ring, or a buffer the peer posted, has room for them) and the
 * caller's buffer may be reused. Blocking waits use the connection's wait strategy in slices of
 * {@value Connection#LIVENESS_SLICE_MS} ms, checking between slices that the peer is alive and that
 * this stream was not closed; they wait forever by default, or up to the read / write timeout the stream
 * was made with ({@link ByteStreamContext#readTimeout}, {@link ByteStreamContext#writeTimeout}). Thread
 * interrupts do not end a wait for bytes, room or a post; a wait for a DMA transfer (a write without a
 * copy, a staging frame of {@link SendTechnique#COPY_DMA}, {@link SendTicket#awaitReady}) ends with
 * {@link java.io.InterruptedIOException}, the interrupt status set again.
 *
 * <p><b>Techniques</b>: how the bytes of a send travel ({@link SendTechnique}: the stream's default
 * {@link ByteStreamContext#sendTechnique}, or per send {@link #send(ByteBuffer, SendTechnique)}; mixed
 * sends arrive in the order sent) and how this end takes delivery ({@link ReceiveTechnique}:
 * {@link ByteStreamContext#receiveTechnique}, {@link #post(int)}, {@link #receivePage}) are described,
 * with the buffer each may reuse when, in the {@linkplain org.softclan.vmmc.stream package documentation}.
 *
 * <p><b>Settings, counters, views</b>: a stream's settings are fixed when {@link ByteStreams} makes it,
 * from a {@link ByteStreamContext} (but for {@link #readTimeout}); its counters are read through {@link #stats()}; a
 * {@link StreamInputStream} and a {@link StreamOutputStream} adapt it to the {@code java.io} streams.
 *
 * <p><b>Threads</b>: one thread may read while another writes; concurrent readers (or writers) are
 * serialised. {@link #close()} may be called from any thread: blocked reads and writes then end with
 * {@link AsynchronousCloseException} within a slice.
 */
public final class ByteStream implements ByteChannel {
    /** Posts outstanding at most (slots of the post table). */
    public static final int POST_SLOTS = StreamControlDescriptor.POST_SLOTS;

    // one object per role, reached directly by the package's posted buffers, received pages and views;
    // the locks: close (StreamCloser), write (StreamWriter), read (StreamReader), post (PostTable), and
    // the pools that guard themselves (SendBuffers, PagePool). Nested only as read -> post and
    // write -> pool; close takes close, then write, then read, one at a time.
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
     * Allocates a direct buffer in memory registered with this stream's endpoint: the buffers
     * {@link SendTechnique#DIRECT_DMA} sends without a copy (slices and duplicates of it too).
     * Freed (deregistered) when the stream closes.
     *
     * @param capacity bytes
     * @return a direct buffer, position 0, limit = capacity
     * @throws IllegalArgumentException if {@code capacity} is not positive
     */
    public ByteBuffer allocateSendBuffer(final int capacity) {
        return sendBuffers.allocate(capacity);
    }

    /**
     * Allocates a send page for {@link SendTechnique#PAGE_EXCHANGE} (from the stream's pool of page
     * memory when one of that size is free).
     *
     * @param capacity bytes
     * @return the page, zero-filled if newly allocated
     * @throws IllegalArgumentException if {@code capacity} is not positive
     */
    public Page newPage(final int capacity) {
        return pages.newPage(capacity);
    }

    /**
     * Sends the remaining bytes of {@code src} with the stream's send technique, with that technique's
     * semantics: for classical techniques the buffer is reusable on return (the ticket is ready); for
     * {@link SendTechnique#DIRECT_DMA} and {@link SendTechnique#V2P_DMA} only once the ticket is ready.
     * {@link #write(ByteBuffer)} is {@code send} followed by waiting for the ticket.
     *
     * @param src the bytes to send, from its position to its limit
     * @return the ticket of this send; {@code src}'s position is advanced past the bytes sent
     * @throws IOException as {@link #write(ByteBuffer)}
     */
    public SendTicket send(final ByteBuffer src) throws IOException {
        return writer.send(src, writer.sendTechnique());
    }

    /**
     * Sends the remaining bytes of {@code src} with {@code technique}, whatever the stream's default.
     * Which buffers each technique takes, and when {@code src} may be reused (on return: PIO, COPY_DMA,
     * PAGE_EXCHANGE; once the ticket is ready: DIRECT_DMA, V2P_DMA), is said at its
     * {@link SendTechnique} constant.
     *
     * @param src       the bytes to send, from its position to its limit
     * @param technique the technique for this send
     * @return the ticket of this send; {@code src}'s position is advanced past the bytes sent
     * @throws NullPointerException     if {@code technique} is {@code null}
     * @throws IllegalArgumentException for DIRECT_DMA, if {@code src} is not from {@link #allocateSendBuffer}
     * @throws IOException as {@link #write(ByteBuffer)}
     */
    public SendTicket send(final ByteBuffer src, final SendTechnique technique) throws IOException {
        return writer.send(src, technique);
    }

    /**
     * Sends {@code length} bytes of a page from {@code offset} by DMA without a copy. Ready on return:
     * the page may be written at once (a write while the transfer is in flight duplicates the page).
     *
     * @param page   the page, from {@link #newPage}
     * @param offset the first byte of the page to send
     * @param length bytes to send
     * @return the ticket (ready)
     * @throws IndexOutOfBoundsException if the range is outside the page
     * @throws IllegalStateException     if the page is closed
     * @throws IOException as {@link #write(ByteBuffer)}
     */
    public SendTicket send(final Page page, final int offset, final int length) throws IOException {
        return writer.send(page, offset, length);
    }

    /**
     * {@return a read-only view of this end's counters (back-pressure, deposits, deliveries, page
     * duplications, the registration cache), whose getters read the live values}
     */
    public ByteStreamStats stats() {
        return new ByteStreamStats(writer, posts, pages);
    }

    /**
     * Reads stream bytes into {@code dst}, blocking until at least one is available (or the stream
     * ended), then taking what is there without blocking. Works in every receive mode: with
     * {@link ReceiveTechnique#PRE_POSTED} it keeps two buffers of
     * {@link ByteStreamContext#internalPostSize} posted itself and copies out of them; bytes that fill a
     * buffer the caller posted are delivered through that buffer, not here.
     *
     * @return the number of bytes read (0 only if {@code dst} has no room), or -1 at the end of stream
     * @throws StreamPeerGoneException    if the peer closed without ending its output, or died, and
     *                                    everything it sent was read
     * @throws StreamTimeoutException     if no byte came within the read timeout
     * @throws AsynchronousCloseException if this stream was closed while waiting
     * @throws ClosedChannelException     if this stream is closed
     * @throws IOException                if the peer sent a malformed frame
     */
    @Override
    public int read(final ByteBuffer dst) throws IOException {
        return reader.read(dst);
    }

    /**
     * Reads as {@link #read} does but never waits: takes the bytes there are now (a non-blocking socket
     * channel's read).
     *
     * @param dst where the bytes go, from its position
     * @return the number of bytes read, 0 if none is waiting (or {@code dst} has no room), -1 at the end
     *         of stream
     * @throws StreamPeerGoneException if nothing is waiting and the peer closed without ending its output
     *                                 (a peer that died is noticed by {@link Connection#checkPeer()}, which a
     *                                 caller asks when it has a reason: a read never asks the OS)
     * @throws IOException             as {@link #read}
     */
    public int readNow(final ByteBuffer dst) throws IOException {
        return reader.readNow(dst);
    }

    /**
     * Whether a {@link #read} would return without waiting: bytes are kept or waiting, the stream ended,
     * broke, or the peer closed (volatile reads of this end's memory, no lock: any thread may ask, also
     * while another reads; a selector's readiness for reading).
     *
     * @return whether a read would not wait (also when this stream is closed: the read reports it)
     */
    public boolean readable() {
        return reader.readable();
    }

    /**
     * Writes as {@link #write} does by PIO through the ring, but never waits: as many whole frames of
     * {@code src}'s bytes as the peer's ring has room for now (a non-blocking socket channel's write).
     *
     * @param src the bytes to write, from its position; the position advances past those written
     * @return the number of bytes written, 0 if the ring had no room
     * @throws IllegalStateException if the peer receives {@link ReceiveTechnique#PRE_POSTED} (its data
     *                               must wait for its posts)
     * @throws IOException           as {@link #write}
     */
    public int writeNow(final ByteBuffer src) throws IOException {
        return writer.writeNow(src);
    }

    /**
     * Whether {@link #writeNow} would write at least one byte now (or fail: this stream or its output
     * closed, the stream broken). When not, asks the peer to publish its read position as it frees
     * room, so that a thread waiting on this stream's Tripwire unit afterwards is woken once there is
     * room ({@link Connection#hasRoomOrAsk}). Takes the write lock.
     *
     * @return whether a write would not wait
     */
    public boolean writable() {
        return writer.writable();
    }

    /**
     * Sets how long reads from now on wait for their first byte (a socket's {@code SO_TIMEOUT}).
     *
     * @param timeout the longest wait, 0 for forever (a read already waiting keeps its own)
     * @param unit    its unit
     * @return this
     * @throws IllegalArgumentException if {@code timeout} is negative
     */
    public ByteStream readTimeout(final long timeout, final TimeUnit unit) {
        end.readTimeoutNanos = StreamEnd.toNanos(timeout, unit);
        return this;
    }

    /**
     * Takes the next received bytes by owner change instead of a copy: a view of the memory they
     * arrived in (one frame of the ring, or a deposit buffer {@link #read} posted), which the caller
     * owns until {@link ReceivedPage#release()}; the sender does not reuse that memory before. Pages
     * may be released in any order. Mixes with {@link #read}: bytes a read left over come first.
     *
     * @param timeout the longest wait for bytes, in {@code unit}s; 0 (or less) waits forever (this method
     *                ignores the {@linkplain ByteStreamContext#readTimeout read timeout})
     * @param unit    the unit of {@code timeout}
     * @return the page, or {@code null} at the end of stream
     * @throws StreamTimeoutException as {@link #read} (within {@code timeout})
     * @throws IOException            as {@link #read}
     */
    public ReceivedPage receivePage(final long timeout, final TimeUnit unit) throws IOException {
        return reader.receivePage(timeout, unit);
    }

    /**
     * Posts a receive buffer of {@code capacity} bytes in this end's deposit region (exported on first
     * use): the peer deposits its next send into it directly when this end receives
     * {@link ReceiveTechnique#PRE_POSTED} or {@link ReceiveTechnique#REDIRECTION} (with REDIRECTION,
     * bytes that came through the ring are copied into it on delivery when the sender did not take it
     * in time). Posts are filled in the order posted; a send larger than the next post fails at the
     * sender with {@link PostedBufferTooSmallException} (PRE_POSTED) or goes through the ring
     * (REDIRECTION).
     *
     * @param capacity bytes of the buffer, at least 1
     * @return the posted buffer; wait for it with {@link PostedBuffer#awaitFilled} (if the peer is gone
     *         already, that reports the end of the stream)
     * @throws IllegalStateException if {@value #POST_SLOTS} posts are unfilled, or the deposit region
     *                               has no free range of that size (release filled buffers)
     * @throws IllegalArgumentException if {@code capacity} is not positive, or larger than the deposit
     *                                  region ({@link ByteStreamContext#depositCapacity(int)})
     * @throws ClosedException          if this stream is closed
     */
    public PostedBuffer post(final int capacity) {
        return posts.post(capacity, false);
    }

    /**
     * Writes all the remaining bytes of {@code src} with the stream's send technique, blocking while
     * the peer's ring is full (or, to a {@link ReceiveTechnique#PRE_POSTED} peer, until it posted a
     * buffer), and returning once {@code src} may be reused, whatever the technique (for
     * {@link SendTechnique#DIRECT_DMA} and {@link SendTechnique#V2P_DMA}: once the transfer completed).
     *
     * @return the number of bytes written: all that remained
     * @throws StreamPeerGoneException       if the peer closed or died
     * @throws StreamTimeoutException        if the write timeout passed first ({@link
     *                                       StreamTimeoutException#bytesTransferred} bytes were sent)
     * @throws PostedBufferTooSmallException if the peer receives PRE_POSTED and its next buffer is
     *                                       smaller than {@code src} (nothing was sent)
     * @throws AsynchronousCloseException    if this stream was closed while waiting
     * @throws ClosedChannelException        if this stream is closed or its output was shut down
     * @throws IllegalArgumentException      for DIRECT_DMA, if {@code src} is not from {@link #allocateSendBuffer}
     */
    @Override
    public int write(final ByteBuffer src) throws IOException {
        return writer.write(src, writer.sendTechnique());
    }

    /**
     * Writes with {@code technique}, classical semantics (the buffer is reusable on return); see
     * {@link #write(ByteBuffer)}.
     *
     * @param src       the bytes to write, from its position to its limit; the position advances to the limit
     * @param technique the technique for this write
     * @return the number of bytes written: all that remained
     * @throws IOException as {@link #write(ByteBuffer)}
     */
    public int write(final ByteBuffer src, final SendTechnique technique) throws IOException {
        return writer.write(src, technique);
    }

    /**
     * Writes {@code length} bytes of {@code src} from {@code offset}; see {@link #write(ByteBuffer)}.
     *
     * @param src    the bytes
     * @param offset the first to write
     * @param length how many
     * @throws IOException as {@link #write(ByteBuffer)}
     */
    public void write(final byte[] src, final int offset, final int length) throws IOException {
        write(ByteBuffer.wrap(src, offset, length));
    }

    /**
     * Ends this side's output: sends the end-of-stream marker, after which the peer's reads return -1
     * once they have taken everything written before. Reading on this side goes on. Idempotent.
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
     * Closes the stream: ends the output if {@link #shutdownOutput()} was not called (after every
     * transfer queued; waiting at most 10 s, or the write timeout if shorter, for room for the marker;
     * if it cannot be sent the peer sees the stream cut short), then closes the connection, the deposit
     * region and the stream's registered memory. Blocked reads and writes on other threads end with
     * {@link AsynchronousCloseException} within {@value Connection#LIVENESS_SLICE_MS} ms. Idempotent;
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
