package org.softclan.vmmc.stream;

import static net.openhft.chronicle.core.UnsafeMemory.UNSAFE;
import static org.softclan.vmmc.stream.StreamControlDescriptor.*;
import static org.softclan.vmmc.stream.StreamFrameDescriptor.*;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ByteChannel;
import java.nio.channels.ClosedChannelException;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.core.Jvm;
import org.softclan.dsm.ClosedException;
import org.softclan.dsm.DmaEngine;
import org.softclan.dsm.DmaTransfer;
import org.softclan.dsm.DsmException;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.InboundMapping;
import org.softclan.dsm.OutboundMapping;
import org.softclan.dsm.RegisteredMemory;
import org.softclan.vmmc.Connection;
import org.softclan.vmmc.MessageHandler;
import org.softclan.vmmc.PeerGoneException;
import org.softclan.vmmc.PeerProtocolException;
import org.softclan.vmmc.SendTimeoutException;

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
 * this stream was not closed; they wait forever by default, or up to {@link #readTimeout} /
 * {@link #writeTimeout}. Thread interrupts do not end a wait for bytes, room or a post; a wait for a DMA
 * transfer (a write without a copy, a staging frame of {@link SendTechnique#COPY_DMA},
 * {@link SendTicket#awaitReady}) ends with {@link java.io.InterruptedIOException}, the interrupt status
 * set again.
 *
 * <p><b>Send techniques</b> ({@link #sendTechnique(SendTechnique)}, per send
 * {@link #send(ByteBuffer, SendTechnique)}): {@link SendTechnique#PIO} stores the caller's bytes
 * straight into the peer's ring from the calling thread; {@link SendTechnique#COPY_DMA} copies them into
 * a per-stream staging ring of registered memory and lets the endpoint's DMA engine move them (the copy
 * of the next send overlaps the transfer of this one); {@link SendTechnique#DIRECT_DMA} moves buffers
 * from {@link #allocateSendBuffer(int)} without a copy; {@link SendTechnique#V2P_DMA} registers the
 * caller's own buffer through a {@link RegistrationCache} and moves it without a copy;
 * {@link SendTechnique#PAGE_EXCHANGE} moves {@link Page}s without a copy and duplicates a page written
 * while in flight. With DMA techniques the record headers and the publishing store go through the
 * engine too, so the writing thread never waits for the engine. Techniques may be mixed on one stream:
 * bytes arrive in the order sent.
 *
 * <p><b>Receive techniques</b> ({@link #receiveTechnique(ReceiveTechnique)}): {@link ReceiveTechnique#BUFFERED}
 * (bytes wait in the ring, {@link #read} copies them out, {@link #receivePage} hands them over without
 * a copy); {@link ReceiveTechnique#PRE_POSTED} (the sender deposits each send into the next buffer this
 * end {@linkplain #post(int) posted}, waiting while there is none); {@link ReceiveTechnique#REDIRECTION}
 * (deposit into a buffer posted in time, else through the ring and copied into the posted buffer on
 * delivery).
 *
 * <p><b>Threads</b>: one thread may read while another writes; concurrent readers (or writers) are
 * serialised. {@link #close()} may be called from any thread: blocked reads and writes then end with
 * {@link AsynchronousCloseException} within a slice.
 */
public final class ByteStream implements ByteChannel {
    /** How long {@link #close()} waits at most for room to send the end-of-stream marker. */
    static final long CLOSE_LINGER_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** Frames of staging memory for {@link SendTechnique#COPY_DMA}. */
    static final int STAGING_SLOTS = 8;
    /** Posts outstanding at most (slots of the post table). */
    public static final int POST_SLOTS = StreamControlDescriptor.POST_SLOTS;
    /** Default size of the deposit region a receiver exports for posted buffers. */
    public static final int DEFAULT_DEPOSIT_CAPACITY = 8 << 20;
    /** Posts {@link #read} keeps outstanding in {@link ReceiveTechnique#PRE_POSTED} mode. */
    static final int INTERNAL_POSTS = 2;

    // the control area and the post table: StreamControlDescriptor; the frames: StreamFrameDescriptor
    /** Slots {@link #peekPeerPost} looks at, at most, before it calls the post table inconsistent. */
    private static final int POST_SCAN_LIMIT = 4 * POST_SLOTS;

    private static final long SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(Connection.LIVENESS_SLICE_MS);
    private static final byte[] EOF_FRAME = {EOF};
    private static final SecureRandom KEYS = new SecureRandom();

    private final Connection connection;
    private final Endpoint endpoint;
    private final OutboundMapping tx;
    private final InboundMapping rx;
    private final int frame;
    private final Object readLock = new Object();
    private final Object writeLock = new Object();
    private final Object closeLock = new Object();
    private final Object postLock = new Object();
    private volatile boolean closed;
    private volatile long readTimeoutNanos;
    private volatile long writeTimeoutNanos;
    private volatile SendTechnique sendTechnique = SendTechnique.PIO;
    private volatile ReceiveTechnique receiveTechnique = ReceiveTechnique.BUFFERED;

    // reader state (guarded by readLock)
    private final MessageHandler handler = this::onFrame;
    private ByteBuffer target;
    private final ArrayDeque<Chunk> pending = new ArrayDeque<>();
    private long pendingBytes;
    private boolean eof;
    /**
     * The first protocol violation found in what the peer wrote (a frame, a DEPOSIT notice, the control
     * area, the post table): the stream is broken from then on, reads and writes fail with it.
     */
    private volatile String violation;
    /** Threads inside a {@link ReceivedPage} or {@link PostedBuffer} accessor (they read the ring or the deposit region). */
    private final AtomicLong memoryUsers = new AtomicLong();
    /** Set once the deposit region and the connection were closed (by close or the last memory user out). */
    private final java.util.concurrent.atomic.AtomicBoolean memoryReleased = new java.util.concurrent.atomic.AtomicBoolean();
    /** Set by {@link #close()} once nothing but page and buffer accessors may still use the memory. */
    private volatile boolean releasing;

    // posting state (guarded by postLock)
    private int depositCapacity = DEFAULT_DEPOSIT_CAPACITY;
    private int internalPostSize = 1 << 20;
    private InboundMapping deposit;
    private BytesStore<?, Void> depositBytes;
    private final TreeMap<Long, Long> depositFree = new TreeMap<>();
    private long postSeq = 1;
    private final PostedBuffer[] posts = new PostedBuffer[POST_SLOTS];
    private final ArrayDeque<PostedBuffer> unfilled = new ArrayDeque<>();
    private int internalOutstanding;
    private final AtomicLong deliveredDirect = new AtomicLong();
    private final AtomicLong deliveredCopied = new AtomicLong();

    // writer state (guarded by writeLock)
    private boolean outputShut;
    private boolean closingOutput;
    private volatile long writeBlockedNanos;
    private DmaEngine dma;
    private ByteBuffer staging;
    private RegisteredMemory stagingMemory;
    private final DmaTransfer[] stagingBusy = new DmaTransfer[STAGING_SLOTS];
    private int stagingNext;
    private RegistrationCache cache;
    private OutboundMapping peerDeposit;
    private long nextPeerPost = 1;
    private final AtomicLong depositsSent = new AtomicLong();
    /** Stream bytes sent in DATA frames: the receiver can fill at most that many posts from the ring. */
    private long ringBytesSent;
    /** The last DMA operation this stream queued (the engine runs in FIFO order): awaited before unmapping. */
    private DmaTransfer lastIssued;

    // DIRECT_DMA buffers and page memory (guarded by themselves)
    private final ArrayList<SendBuffer> sendBuffers = new ArrayList<>();
    private final ArrayDeque<PageMemory> freePages = new ArrayDeque<>();
    private final ArrayList<PageMemory> retiredPages = new ArrayList<>();
    private final AtomicLong pageDuplications = new AtomicLong();

    private record SendBuffer(long address, int capacity, ByteBuffer buffer, RegisteredMemory memory) {
    }

    /** Stream bytes waiting for a read: the rest of a held ring record or of a filled internal post. */
    private static final class Chunk {
        final BytesStore<?, ?> store;
        long offset;
        int remaining;
        final long token;
        final PostedBuffer post;

        Chunk(final BytesStore<?, ?> store, final long offset, final int remaining, final long token,
              final PostedBuffer post) {
            this.store = store;
            this.offset = offset;
            this.remaining = remaining;
            this.token = token;
            this.post = post;
        }
    }

    private ByteStream(final Connection connection) {
        this.connection = connection;
        this.tx = connection.outbound();
        this.rx = connection.inbound();
        this.endpoint = tx.endpoint();
        this.frame = Math.min(connection.maxMessage(), MAX_FRAME);
        if (frame < DEPOSIT_FRAME_LENGTH) {
            throw new IllegalArgumentException(connection + " carries messages of at most " + frame + " bytes");
        }
    }

    /**
     * Makes a stream of a connection. The stream owns the connection from now on (closing the stream
     * closes it); the peer must make a stream of its end too, and neither side may use the connection
     * directly any more.
     *
     * @param connection an open connection, fresh (nothing sent or received yet)
     * @return the stream
     */
    public static ByteStream over(final Connection connection) {
        return new ByteStream(Objects.requireNonNull(connection, "connection"));
    }

    /** {@return the connection that carries this stream (the stream owns it: do not use it directly)} */
    public Connection connection() {
        return connection;
    }

    /**
     * Sets how long a read waits for the first byte (default: forever).
     *
     * @param timeout the longest wait, 0 for forever
     * @param unit    its unit
     * @return this
     */
    public ByteStream readTimeout(final long timeout, final TimeUnit unit) {
        this.readTimeoutNanos = toNanos(timeout, unit);
        return this;
    }

    /**
     * Sets how long a write waits for room in the peer's ring (or for a posted buffer), overall
     * (default: forever).
     *
     * @param timeout the longest wait, 0 for forever
     * @param unit    its unit
     * @return this
     */
    public ByteStream writeTimeout(final long timeout, final TimeUnit unit) {
        this.writeTimeoutNanos = toNanos(timeout, unit);
        return this;
    }

    private static long toNanos(final long timeout, final TimeUnit unit) {
        if (timeout < 0) {
            throw new IllegalArgumentException("negative timeout " + timeout);
        }
        return unit.toNanos(timeout);
    }

    // ---------------------------------------------------------------------------------- techniques

    /**
     * Sets the send technique that {@link #write(ByteBuffer)}, {@link #send(ByteBuffer)} and the
     * {@link #outputStream()} use from now on (default {@link SendTechnique#PIO}). Sends already made
     * keep their place in the stream: bytes arrive in the order sent, whatever moved them.
     *
     * @param technique the technique of the sends from now on
     * @return this
     * @throws NullPointerException if {@code technique} is {@code null}
     */
    public ByteStream sendTechnique(final SendTechnique technique) {
        this.sendTechnique = Objects.requireNonNull(technique, "technique");
        return this;
    }

    /** {@return the stream's current send technique} */
    public SendTechnique sendTechnique() {
        return sendTechnique;
    }

    /**
     * Sets how this end receives (default {@link ReceiveTechnique#BUFFERED}); set it before the first
     * read. The peer's writes adapt from their next send on: with {@link ReceiveTechnique#PRE_POSTED}
     * they deposit into the buffers this end {@linkplain #post(int) posts} (waiting while there is
     * none), with {@link ReceiveTechnique#REDIRECTION} they deposit into a buffer posted in time and
     * use the ring otherwise. Bytes the peer sent through the ring before it saw the change are still
     * delivered, to {@link #read}. Exports this end's deposit region (once) for the two posting modes.
     * The mode word in the peer's control area is written with an ordered (release) store, then the
     * peer is nudged.
     *
     * @param technique how this end receives from now on
     * @return this
     * @throws NullPointerException if {@code technique} is {@code null}
     */
    public ByteStream receiveTechnique(final ReceiveTechnique technique) {
        Objects.requireNonNull(technique, "technique");
        synchronized (postLock) {
            if (technique != ReceiveTechnique.BUFFERED) {
                ensureDeposit();
            }
            this.receiveTechnique = technique;
            try {
                tx.putLongOrdered(MODE_OFFSET, technique.ordinal() + 1L);
                connection.nudgePeer();
            } catch (final DsmException gone) {
                // the peer is gone: nothing will be sent to adapt
            }
        }
        return this;
    }

    /** {@return this end's receive technique} */
    public ReceiveTechnique receiveTechnique() {
        return receiveTechnique;
    }

    /**
     * Sets the size of the deposit region this end exports for posted buffers (default
     * {@value #DEFAULT_DEPOSIT_CAPACITY} bytes); only before the first post or posting receive mode.
     * Lowers the {@linkplain #internalPostSize internal post size} to half of it if that is larger.
     *
     * @param bytes size of the deposit region, at least 4096
     * @return this
     * @throws IllegalStateException    if the deposit region exists already
     * @throws IllegalArgumentException if {@code bytes} is less than 4096
     */
    public ByteStream depositCapacity(final int bytes) {
        synchronized (postLock) {
            if (deposit != null) {
                throw new IllegalStateException(this + ": the deposit region exists already");
            }
            if (bytes < 4096) {
                throw new IllegalArgumentException("deposit capacity " + bytes + " must be at least 4096");
            }
            this.depositCapacity = bytes;
            this.internalPostSize = Math.min(internalPostSize, bytes / INTERNAL_POSTS);
        }
        return this;
    }

    /**
     * Sets the size of the buffers {@link #read} posts by itself in {@link ReceiveTechnique#PRE_POSTED}
     * mode (default 1 MiB, at most half the deposit region): the largest single send the peer can make
     * to a reader that only reads.
     *
     * @param bytes size of each internal post, 1 to half the deposit capacity
     * @return this
     * @throws IllegalArgumentException if {@code bytes} is less than 1 or more than half the deposit capacity
     */
    public ByteStream internalPostSize(final int bytes) {
        synchronized (postLock) {
            if (bytes < 1 || bytes > depositCapacity / INTERNAL_POSTS) {
                throw new IllegalArgumentException("internal post size " + bytes + " must be 1.." + depositCapacity
                    / INTERNAL_POSTS + " (half the deposit region)");
            }
            this.internalPostSize = bytes;
        }
        return this;
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
        if (capacity <= 0) {
            throw new IllegalArgumentException("send buffer capacity " + capacity + " must be positive");
        }
        final ByteBuffer b = ByteBuffer.allocateDirect(capacity);
        final RegisteredMemory m = endpoint.register(b);
        synchronized (sendBuffers) {
            sendBuffers.add(new SendBuffer(Jvm.address(b), capacity, b, m));
        }
        return b;
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
        if (capacity <= 0) {
            throw new IllegalArgumentException("page capacity " + capacity + " must be positive");
        }
        return new Page(this, acquirePageMemory(capacity));
    }

    /** {@return how often page writes found their page in flight and duplicated it} */
    public long pageDuplications() {
        return pageDuplications.get();
    }

    /** {@return the registration cache of {@link SendTechnique#V2P_DMA} (created on first use)} */
    public RegistrationCache registrationCache() {
        synchronized (writeLock) {
            if (cache == null) {
                cache = new RegistrationCache(endpoint, RegistrationCache.DEFAULT_CAPACITY);
            }
            return cache;
        }
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
        return send(src, sendTechnique);
    }

    /**
     * Sends the remaining bytes of {@code src} with {@code technique}, whatever the stream's default.
     *
     * <ul>
     *   <li>{@link SendTechnique#PIO}, {@link SendTechnique#COPY_DMA}: ready on return.</li>
     *   <li>{@link SendTechnique#DIRECT_DMA}: {@code src} must be (a view of) a buffer from
     *       {@link #allocateSendBuffer}, else {@link IllegalArgumentException}; reuse once ready.</li>
     *   <li>{@link SendTechnique#V2P_DMA}: a direct buffer, or a writable heap buffer (its array is
     *       registered); reuse once ready. A buffer that cannot be registered (read-only heap) is
     *       copied as with {@link SendTechnique#COPY_DMA}.</li>
     *   <li>{@link SendTechnique#PAGE_EXCHANGE} on a plain buffer: nothing can intercept writes to it,
     *       so it is moved as with {@code V2P_DMA} and this call waits for the transfer before
     *       returning (classical semantics, ready on return). {@link #send(Page, int, int)} is the
     *       copy-on-write path.</li>
     * </ul>
     *
     * @param src       the bytes to send, from its position to its limit
     * @param technique the technique for this send
     * @return the ticket of this send; {@code src}'s position is advanced past the bytes sent
     * @throws NullPointerException if {@code technique} is {@code null}
     * @throws IOException as {@link #write(ByteBuffer)}
     */
    public SendTicket send(final ByteBuffer src, final SendTechnique technique) throws IOException {
        Objects.requireNonNull(technique, "technique");
        final boolean wasOpen = !closed;   // a close while this waits for the lock is an asynchronous close
        synchronized (writeLock) {
            final int total = src.remaining();
            final DmaTransfer last = sendLocked(src, technique, wasOpen);
            if (technique == SendTechnique.PAGE_EXCHANGE && last != null) {
                awaitTransfer(last, 0);
                return new Ticket(this, technique, total, null);
            }
            return new Ticket(this, technique, total, technique.classicalSemantics() ? null : last);
        }
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
        final PageMemory mem = page.memory();
        Objects.checkFromIndexSize(offset, length, mem.capacity);
        final boolean wasOpen = !closed;
        synchronized (writeLock) {
            ensureWritable(wasOpen);
            final DmaTransfer last = transfer(null, mem.memory, offset, length, SendTechnique.PAGE_EXCHANGE,
                System.nanoTime(), writeTimeoutNanos);
            if (last != null) {
                mem.busy = last;
            }
            return new Ticket(this, SendTechnique.PAGE_EXCHANGE, length, null);
        }
    }

    /**
     * {@return the nanoseconds writes have spent so far waiting for room in the peer's ring or for a post
     * (back-pressure)}
     */
    public long writeBlockedNanos() {
        return writeBlockedNanos;
    }

    /** {@return the number of sends this end deposited straight into buffers the peer posted} */
    public long depositsSent() {
        return depositsSent.get();
    }

    /**
     * {@return the number of posted buffers of this end (its own or those {@link #read} posts) filled by
     * the sender's deposit}
     */
    public long deliveredDirect() {
        return deliveredDirect.get();
    }

    /**
     * {@return the number of posted buffers of this end filled from the ring by a copy on delivery
     * ({@link ReceiveTechnique#REDIRECTION})}
     */
    public long deliveredCopied() {
        return deliveredCopied.get();
    }

    // ------------------------------------------------------------------------------------- reading

    /**
     * Reads stream bytes into {@code dst}, blocking until at least one is available (or the stream
     * ended), then taking what is there without blocking. Works in every receive mode: with
     * {@link ReceiveTechnique#PRE_POSTED} it keeps {@value #INTERNAL_POSTS} buffers of
     * {@link #internalPostSize} posted itself and copies out of them; bytes that fill a buffer the caller
     * posted are delivered through that buffer, not here.
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
        try {
            return read0(dst);
        } catch (final InternalError e) {
            throw regionCut(e);
        }
    }

    private int read0(final ByteBuffer dst) throws IOException {
        final boolean wasOpen = !closed;   // a close while this waits for the lock is an asynchronous close
        synchronized (readLock) {
            ensureOpen(wasOpen);
            if (!dst.hasRemaining()) {
                return 0;
            }
            final int start = dst.position();
            takePending(dst);
            try {
                if (dst.position() == start) {
                    checkBroken();   // what came before the bad word was delivered; now the error
                }
                if (receiveTechnique == ReceiveTechnique.PRE_POSTED) {
                    ensureInternalPosts();
                }
                target = dst;
                if (dst.position() == start && !eof) {
                    awaitFrames(() -> dst.position() != start || eof, readTimeoutNanos, "no byte arrived");
                }
                // one frame at a time: nothing after a bad frame is handed over
                while (dst.hasRemaining() && pending.isEmpty() && !eof && violation == null && connection.hasMessage()) {
                    connection.poll(handler, 1);
                }
            } catch (final ClosedException e) {
                throw closedMeanwhile();
            } catch (final PeerGoneException e) {
                if (dst.position() == start) {
                    throw streamGone(e);
                }
                // the bytes read before it are returned; the next read reports it
            } finally {
                target = null;
            }
            final int n = dst.position() - start;
            return n == 0 && eof ? -1 : n;
        }
    }

    /**
     * Takes the next received bytes by owner change instead of a copy: a view of the memory they
     * arrived in (one frame of the ring, or a deposit buffer {@link #read} posted), which the caller
     * owns until {@link ReceivedPage#release()}; the sender does not reuse that memory before. Pages
     * may be released in any order. Mixes with {@link #read}: bytes a read left over come first.
     *
     * @param timeout the longest wait for bytes, in {@code unit}s; 0 (or less) waits forever (this method
     *                ignores the {@linkplain #readTimeout read timeout})
     * @param unit    the unit of {@code timeout}
     * @return the page, or {@code null} at the end of stream
     * @throws StreamTimeoutException as {@link #read} (within {@code timeout})
     * @throws IOException            as {@link #read}
     */
    public ReceivedPage receivePage(final long timeout, final TimeUnit unit) throws IOException {
        final boolean wasOpen = !closed;
        synchronized (readLock) {
            ensureOpen(wasOpen);
            try {
                if (pending.isEmpty() && !eof) {
                    checkBroken();
                    if (receiveTechnique == ReceiveTechnique.PRE_POSTED) {
                        ensureInternalPosts();
                    }
                    awaitFrames(() -> !pending.isEmpty() || eof, unit.toNanos(timeout), "no byte arrived");
                }
            } catch (final ClosedException e) {
                throw closedMeanwhile();
            }
            final Chunk c = pending.poll();
            if (c == null) {
                return null;
            }
            pendingBytes -= c.remaining;
            return new ReceivedPage(this, c.store, c.offset, c.remaining, c.token, c.post);
        }
    }

    void releasePage(final long token, final PostedBuffer post) {
        if (closed) {
            return;
        }
        try {
            if (token >= 0) {
                connection.release(token);
            }
            if (post != null) {
                post.release();
            }
        } catch (final ClosedException streamClosed) {
            // the memory went with the stream
        }
    }

    /**
     * Waits for frames, handing them to {@link #onFrame} (with {@link #target} the read's buffer, or
     * {@code null} to keep data for later), until {@code done} holds.
     */
    private void awaitFrames(final BooleanSupplier done, final long timeout, final String what) throws IOException {
        final long begin = System.nanoTime();
        while (!done.getAsBoolean()) {
            if (closed) {
                throw new AsynchronousCloseException();
            }
            checkBroken();
            long slice = SLICE_NANOS;
            if (timeout > 0) {
                final long left = timeout - (System.nanoTime() - begin);
                if (left <= 0) {
                    throw new StreamTimeoutException(this + ": " + what + " within "
                        + TimeUnit.NANOSECONDS.toMillis(timeout) + " ms", 0);
                }
                slice = Math.min(slice, left);
            }
            try {
                connection.receive(handler, 1, slice, TimeUnit.NANOSECONDS);
            } catch (final PeerGoneException e) {
                throw streamGone(e);
            }
            checkBroken();
        }
    }

    private StreamPeerGoneException streamGone(final PeerGoneException e) {
        return new StreamPeerGoneException(this + (e instanceof PeerProtocolException
            ? ": the stream is broken: " : ": the stream was cut short: ") + e.getMessage(), e);
    }

    void awaitFilled(final PostedBuffer post, final long timeoutNanos) throws IOException {
        if (post.isFilled()) {
            return;
        }
        final boolean wasOpen = !closed;
        synchronized (readLock) {
            ensureOpen(wasOpen);
            try {
                awaitFrames(() -> post.isFilled() || eof, timeoutNanos, post + " was not filled");
            } catch (final ClosedException e) {
                throw closedMeanwhile();
            }
            if (!post.isFilled()) {
                throw new EOFException(this + ": the peer ended its output before " + post + " was filled");
            }
        }
    }

    private void takePending(final ByteBuffer dst) {
        Chunk c;
        while (dst.hasRemaining() && (c = pending.peek()) != null) {
            final int n = Math.min(c.remaining, dst.remaining());
            copyOut(c.store, c.offset, dst, n);
            c.offset += n;
            c.remaining -= n;
            pendingBytes -= n;
            if (c.remaining == 0) {
                pending.poll();
                releasePage(c.token, c.post);
            }
        }
    }

    /**
     * Handles one frame (a ring record the connection checked lies inside the ring). Its type and length
     * are the peer's words: a frame no ByteStream sends breaks the stream ({@link #violation}) and
     * nothing of it is handed over.
     */
    private void onFrame(final BytesStore<?, ?> store, final long offset, final int length) {
        if (violation != null) {
            return;   // broken: nothing more is delivered
        }
        if (length < 1 || length > MAX_FRAME) {
            violation("frame", "length", length, "a frame holds 1 to " + MAX_FRAME + " bytes (type byte included)");
            return;
        }
        final byte type = store.readByte(offset);
        if (type == DATA || type == DATA_LAST) {
            if (length < 2) {
                violation("DATA frame", "length", length, "a DATA frame carries 1 to " + (MAX_FRAME - 1)
                    + " stream bytes after its type byte");
                return;
            }
            onData(store, offset + DATA_OFFSET, length - DATA_OFFSET, type == DATA_LAST);
        } else if (type == EOF) {
            if (length != 1) {
                violation("EOF frame", "length", length, "an EOF frame is its type byte alone");
                return;
            }
            eof = true;
        } else if (type == DEPOSIT) {
            if (length != DEPOSIT_FRAME_LENGTH) {
                violation("DEPOSIT frame", "length", length, "a DEPOSIT frame is " + DEPOSIT_FRAME_LENGTH + " bytes");
                return;
            }
            onDeposit(store.readLong(offset + DEPOSIT_SEQ_OFFSET), store.readLong(offset + DEPOSIT_BYTES_OFFSET));
        } else {
            violation("frame", "type", type, "frames start with DATA 0, EOF 1, DATA_LAST 2 or DEPOSIT 3; is the peer"
                + " a ByteStream?");
        }
    }

    private void onData(final BytesStore<?, ?> store, final long offset, final int n, final boolean last) {
        int used = 0;
        if (receiveTechnique == ReceiveTechnique.REDIRECTION) {
            used = copyIntoPosts(store, offset, n, last);
        }
        if (used < n) {
            deliver(store, offset + used, n - used, true, null);
        }
    }

    /** Hands bytes to the read in progress, keeping what it cannot take (holding the ring record, or the post). */
    private void deliver(final BytesStore<?, ?> store, final long offset, final int n, final boolean ring,
                         final PostedBuffer post) {
        final ByteBuffer dst = target;
        int now = 0;
        if (dst != null && pending.isEmpty()) {
            now = Math.min(n, dst.remaining());
            copyOut(store, offset, dst, now);
        }
        if (now < n) {
            pending.add(new Chunk(store, offset + now, n - now, ring ? connection.hold() : -1, post));
            pendingBytes += n - now;
        } else if (post != null) {
            post.release();
        }
    }

    /** REDIRECTION: copies ring bytes into the oldest posts the sender did not take; returns the bytes used. */
    private int copyIntoPosts(final BytesStore<?, ?> store, final long offset, final int n, final boolean last) {
        int used = 0;
        synchronized (postLock) {
            while (used < n) {
                final PostedBuffer p = unfilled.peekFirst();
                if (p == null || p.internal) {
                    break;
                }
                if (!p.receiverTaken) {
                    final long slot = postSlotOffset(p.seq);
                    try {
                        p.receiverTaken = tx.compareAndSetLong(slot, postState(p.seq, POSTED), postState(p.seq, RECEIVER_TAKEN));
                    } catch (final DsmException gone) {
                        break;
                    }
                    if (!p.receiverTaken) {
                        break;   // the sender took it: its deposit comes later in the stream, so these bytes go to read
                    }
                }
                final int k = Math.min(n - used, p.capacity - p.length);
                UNSAFE.copyMemory(store.addressForRead(offset + used), depositBytes.addressForWrite(p.offset + p.length), k);
                p.length += k;
                used += k;
                if (p.length == p.capacity || (last && used == n)) {
                    unfilled.pollFirst();
                    p.fill(p.length, false);
                    deliveredCopied.incrementAndGet();
                }
            }
        }
        return used;
    }

    /**
     * A DEPOSIT notice: the peer says it deposited {@code bytes} into post {@code seq}. Both are the
     * peer's words: the post must be the one a sender deposits into next (the oldest unfilled post this
     * end did not take itself: posts are filled in the order posted) and the bytes must fit it.
     */
    private void onDeposit(final long seq, final long bytes) {
        final PostedBuffer p;
        synchronized (postLock) {
            PostedBuffer next = null;
            for (final PostedBuffer u : unfilled) {
                if (!u.receiverTaken) {
                    next = u;
                    break;
                }
            }
            if (next == null) {
                violation("DEPOSIT frame", "post sequence", seq, "no posted buffer awaits a deposit (posts made so far: "
                    + (postSeq - 1) + ")");
                return;
            }
            if (seq != next.seq) {
                violation("DEPOSIT frame", "post sequence", seq, "the next post a deposit may fill is #" + next.seq
                    + " (posts are filled in the order posted)");
                return;
            }
            if (bytes < 1 || bytes > next.capacity) {
                violation("DEPOSIT frame", "byte count for post #" + seq, bytes, "a deposit fills 1 to "
                    + next.capacity + " bytes, the posted buffer's capacity");
                return;
            }
            p = next;
            unfilled.remove(p);
            p.fill((int) bytes, true);
            if (p.internal) {
                internalOutstanding--;
            }
            deliveredDirect.incrementAndGet();
        }
        if (p.internal) {
            deliver(p.store(), p.offset, (int) bytes, false, p);
        }
    }

    private static void copyOut(final BytesStore<?, ?> store, final long from, final ByteBuffer dst, final int n) {
        if (n == 0) {
            return;
        }
        final int at = dst.position();
        if (dst.hasArray()) {
            store.read(from, dst.array(), dst.arrayOffset() + at, n);
        } else if (dst.isDirect() && !dst.isReadOnly()) {
            store.nativeRead(from, Jvm.address(dst) + at, n);
        } else {
            final byte[] tmp = new byte[n];
            store.read(from, tmp, 0, n);
            dst.put(tmp);
            return;
        }
        dst.position(at + n);
    }

    /**
     * Records the peer's protocol violation (the first one wins: the stream is broken from now on) and
     * returns the exception reporting it.
     */
    private StreamPeerGoneException violation(final String structure, final String field, final Object value,
                                              final String rule) {
        final String message = this + ": the peer " + tx.owner() + " broke the stream protocol: " + structure + " "
            + field + " is " + value + "; " + rule;
        if (violation == null) {
            violation = message;
        }
        return new StreamPeerGoneException(message, new PeerProtocolException(message));
    }

    /** @throws StreamPeerGoneException (caused by {@link PeerProtocolException}) if the peer broke the protocol */
    private void checkBroken() throws StreamPeerGoneException {
        final String broken = violation;
        if (broken != null) {
            throw new StreamPeerGoneException(broken, new PeerProtocolException(broken));
        }
    }

    /** @return bytes a read can take now without waiting: those kept from partly read frames and posts */
    int buffered() {
        synchronized (readLock) {
            return (int) Math.min(Integer.MAX_VALUE, pendingBytes);
        }
    }

    // ------------------------------------------------------------------------------------- posting

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
     * @throws IllegalArgumentException if {@code capacity} is not positive
     * @throws ClosedException          if this stream is closed
     */
    public PostedBuffer post(final int capacity) {
        return post(capacity, false);
    }

    private PostedBuffer post(final int capacity, final boolean internal) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("posted buffer capacity " + capacity + " must be positive");
        }
        synchronized (postLock) {
            if (closed) {
                throw new ClosedException(this + " is closed");
            }
            ensureDeposit();
            final long seq = postSeq;
            final PostedBuffer old = posts[(int) (seq % POST_SLOTS)];
            if (old != null && !old.isFilled()) {
                throw new IllegalStateException(this + ": " + POST_SLOTS + " posted buffers are unfilled;"
                    + " wait for one before posting more");
            }
            final long at = allocateDeposit(capacity);
            if (at < 0) {
                throw new IllegalStateException(this + ": the deposit region (" + depositCapacity
                    + " bytes) has no free range of " + capacity + " bytes; release filled buffers");
            }
            final PostedBuffer p = new PostedBuffer(this, seq, at, capacity, internal, depositBytes);
            posts[(int) (seq % POST_SLOTS)] = p;
            unfilled.addLast(p);
            if (internal) {
                internalOutstanding++;
            }
            postSeq++;
            final long slot = postSlotOffset(seq);
            try {
                tx.putLong(slot + POST_BUFFER_OFFSET, at);
                tx.putLong(slot + POST_CAPACITY_OFFSET, capacity);
                tx.putLongOrdered(slot, postState(seq, POSTED));
                connection.nudgePeer();
            } catch (final DsmException peerGone) {
                // nobody will fill it: awaitFilled reports the end of the stream or the peer's departure
            }
            return p;
        }
    }

    private void ensureInternalPosts() {
        if (eof) {
            return;
        }
        synchronized (postLock) {
            while (internalOutstanding < INTERNAL_POSTS) {
                final PostedBuffer old = posts[(int) (postSeq % POST_SLOTS)];
                if (old != null && !old.isFilled()) {
                    return;
                }
                if (allocateProbe(internalPostSize) < 0) {
                    return;
                }
                post(internalPostSize, true);
            }
        }
    }

    /** Exports the deposit region and tells the peer where it is; called holding postLock. */
    private void ensureDeposit() {
        if (deposit != null) {
            return;
        }
        final long key = KEYS.nextLong();
        deposit = endpoint.exportInternal(rx.regionName() + "-dep", depositCapacity, key, 0);
        depositBytes = deposit.localBytes();
        depositFree.put(0L, (long) depositCapacity);
        final byte[] name = deposit.regionName().getBytes(StandardCharsets.UTF_8);
        try {
            tx.putLong(DEPOSIT_KEY_OFFSET, key);
            tx.putInt(DEPOSIT_NAME_OFFSET, name.length);
            tx.put(DEPOSIT_NAME_OFFSET + 4, name);
            tx.putLongOrdered(DEPOSIT_READY_OFFSET, 1);
        } catch (final DsmException peerGone) {
            // nothing will be deposited; reads report the end of the stream or the peer's departure
        }
    }

    private long allocateProbe(final int size) {
        final long need = (size + DEPOSIT_ALIGN - 1) & -DEPOSIT_ALIGN;
        for (final Map.Entry<Long, Long> e : depositFree.entrySet()) {
            if (e.getValue() >= need) {
                return e.getKey();
            }
        }
        return -1;
    }

    /** First fit in the deposit region; called holding postLock. */
    private long allocateDeposit(final int size) {
        final long need = (size + DEPOSIT_ALIGN - 1) & -DEPOSIT_ALIGN;
        final long at = allocateProbe(size);
        if (at < 0) {
            return -1;
        }
        final long free = depositFree.remove(at);
        if (free > need) {
            depositFree.put(at + need, free - need);
        }
        return at;
    }

    void freeDeposit(final PostedBuffer p) {
        synchronized (postLock) {
            if (deposit == null || closed) {
                return;
            }
            long at = p.offset;
            long size = (p.capacity + DEPOSIT_ALIGN - 1) & -DEPOSIT_ALIGN;
            final Map.Entry<Long, Long> before = depositFree.floorEntry(at);
            if (before != null && before.getKey() + before.getValue() == at) {
                at = before.getKey();
                size += before.getValue();
                depositFree.remove(before.getKey());
            }
            final Long after = depositFree.get(at + size);
            if (after != null) {
                depositFree.remove(at + size);
                size += after;
            }
            depositFree.put(at, size);
        }
    }

    // ------------------------------------------------------------------------------------- writing

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
        return write(src, sendTechnique);
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
        final boolean wasOpen = !closed;   // a close while this waits for the lock is an asynchronous close
        try {
            synchronized (writeLock) {
                final int total = src.remaining();
                final DmaTransfer last = sendLocked(src, technique, wasOpen);
                if (last != null) {
                    awaitTransfer(last, 0);   // DIRECT_DMA, V2P_DMA, PAGE_EXCHANGE on a plain buffer
                }
                return total;
            }
        } catch (final InternalError e) {
            throw regionCut(e);
        }
    }

    /**
     * A fault the JVM reported late on a region of this stream cut from outside, as the stream's error
     * (a {@link StreamPeerGoneException} whose cause names the region and its sizes); any other error is
     * rethrown.
     */
    private StreamPeerGoneException regionCut(final InternalError e) {
        final org.softclan.dsm.RegionTruncatedException t = org.softclan.dsm.Mapping.explainFault(e);
        if (t == null) {
            throw e;
        }
        final PeerGoneException gone = new PeerGoneException(this + ": a region of the stream was cut from outside: "
            + t.getMessage());
        gone.initCause(t);
        return new StreamPeerGoneException(gone.getMessage(), gone);
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
     * Waits for a DMA transfer (a ticket's readiness) in slices, checking the timeout between them; a
     * close of the stream does not end the wait.
     *
     * @param timeoutNanos 0 for forever
     */
    void awaitTransfer(final DmaTransfer t, final long timeoutNanos) throws IOException {
        final long begin = System.nanoTime();
        try {
            while (!t.await(SLICE_NANOS, TimeUnit.NANOSECONDS)) {
                if (timeoutNanos > 0 && System.nanoTime() - begin >= timeoutNanos) {
                    throw new StreamTimeoutException(this + ": the transfer of " + t.length() + " bytes was not done"
                        + " within " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms", 0);
                }
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException(this + ": interrupted waiting for " + t);
        }
        if (!t.isSucceeded()) {
            final Throwable why = t.error();
            if (why instanceof ClosedException) {
                throw closedMeanwhile();
            }
            throw new StreamPeerGoneException(this + ": " + t + " failed: " + why.getMessage(),
                gone(why));
        }
    }

    private void ensureWritable(final boolean wasOpen) throws IOException {
        ensureOpen(wasOpen);
        if (outputShut) {
            throw new ClosedChannelException();
        }
        checkBroken();
    }

    /**
     * Sends {@code src} with {@code technique}; called holding writeLock.
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
            final SendBuffer b = sendBufferOf(src);
            if (b == null) {
                throw new IllegalArgumentException(this + ": DIRECT_DMA sends only buffers from allocateSendBuffer(),"
                    + " and " + src + " (" + (src.isDirect() ? "direct" : "heap") + ") is not one; use V2P_DMA or"
                    + " COPY_DMA for other buffers");
            }
            mem = b.memory;
            memOffset = Jvm.address(src) - b.address + src.position();
        } else if (t == SendTechnique.V2P_DMA || t == SendTechnique.PAGE_EXCHANGE) {
            mem = registrationCache().lookup(src);
            if (mem == null) {
                t = SendTechnique.COPY_DMA;
            } else {
                memOffset = RegistrationCache.offsetOf(src);
            }
        }
        return transfer(src, mem, memOffset, total, t, System.nanoTime(), writeTimeoutNanos);
    }

    private SendBuffer sendBufferOf(final ByteBuffer src) {
        if (!src.isDirect()) {
            return null;
        }
        final long at = Jvm.address(src) + src.position();
        synchronized (sendBuffers) {
            for (final SendBuffer b : sendBuffers) {
                if (at >= b.address && at + src.remaining() <= b.address + b.capacity) {
                    return b;
                }
            }
        }
        return null;
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
            final long peerMode = checkedMode() - 1;
            if (peerMode == ReceiveTechnique.PRE_POSTED.ordinal() || peerMode == ReceiveTechnique.REDIRECTION.ordinal()) {
                final boolean strict = peerMode == ReceiveTechnique.PRE_POSTED.ordinal();
                final long state = strict ? awaitPeerPost(begin, timeout) : peekPeerPost();
                if (state != -1) {
                    final long seq = state >>> 2;
                    final long slot = postSlotOffset(seq);
                    // the peer's words, each read once and checked before use
                    final long capacity = rx.getLong(slot + POST_CAPACITY_OFFSET);
                    final long at = rx.getLong(slot + POST_BUFFER_OFFSET);
                    final OutboundMapping dst = peerDeposit();
                    if (capacity < 1 || capacity > Math.min(Integer.MAX_VALUE, dst.size())) {
                        throw violation("post table", "capacity of post #" + seq + " (offset " + (slot + POST_CAPACITY_OFFSET) + ")",
                            capacity, "a posted buffer holds 1 to " + Math.min(Integer.MAX_VALUE, dst.size())
                                + " bytes (the deposit region '" + dst.regionName() + "' has " + dst.size() + ")");
                    }
                    if (at < 0 || (at & (DEPOSIT_ALIGN - 1)) != 0 || at > dst.size() - capacity) {
                        throw violation("post table", "offset of post #" + seq + " (offset " + (slot + POST_BUFFER_OFFSET) + ")", at,
                            "a posted buffer of " + capacity + " bytes starts at a multiple of " + DEPOSIT_ALIGN
                                + " from 0 to " + (dst.size() - capacity) + " in the deposit region '"
                                + dst.regionName() + "' of " + dst.size() + " bytes");
                    }
                    if (total <= capacity) {
                        if (rx.compareAndSetLong(slot, state, postState(seq, SENDER_TAKEN))) {
                            nextPeerPost = seq + 1;
                            return deposit(src, mem, memOffset, total, t, seq, at, begin, timeout);
                        }
                    } else if (strict) {
                        throw new PostedBufferTooSmallException(this + ": a send of " + total + " bytes does not fit"
                            + " the buffer of " + capacity + " bytes the peer posted next (it receives pre-posted);"
                            + " nothing was written and the buffer stays posted", total, capacity);
                    }
                }
            }
            return throughRing(src, mem, memOffset, total, t, begin, timeout);
        } catch (final PeerGoneException | org.softclan.dsm.StaleRegionException e) {
            throw new StreamPeerGoneException(this + ": cannot write: " + e.getMessage(), gone(e));
        } catch (final ClosedException e) {
            throw closedMeanwhile();
        }
    }

    private DmaEngine engine() {
        if (dma == null) {
            dma = endpoint.dma();
        }
        return dma;
    }

    /** The ring path: frames of at most {@code frame - 1} bytes; the last of the send is DATA_LAST. */
    private DmaTransfer throughRing(final ByteBuffer src, final RegisteredMemory mem, final long memOffset,
                                    final int total, final SendTechnique t, final long begin, final long timeout)
        throws IOException {
        DmaTransfer last = null;
        int sent = 0;
        while (sent < total) {
            final int n = Math.min(total - sent, frame - 1);
            final byte type = sent + n == total ? DATA_LAST : DATA;
            try {
                switch (t) {
                    case PIO -> {
                        final long at = claimFrame(n + 1, null, begin, timeout);
                        tx.putByte(at, type);
                        final int limit = src.limit();
                        src.limit(src.position() + n);
                        try {
                            tx.put(at + 1, src);
                        } finally {
                            src.limit(limit);
                        }
                        connection.commit(null);
                    }
                    case COPY_DMA -> {
                        final int slot = stagingSlot();
                        final int so = slot * frame;
                        staging.put(so, type);
                        staging.put(so + 1, src, src.position(), n);
                        final DmaEngine e = engine();
                        final long at = claimFrame(n + 1, e, begin, timeout);
                        src.position(src.position() + n);
                        stagingBusy[slot] = issued(e.write(stagingMemory, so, tx, at, n + 1));
                        issued(connection.commit(e));
                    }
                    default -> {
                        final DmaEngine e = engine();
                        final long at = claimFrame(n + 1, e, begin, timeout);
                        issued(e.writeLongOrdered(tx, at, type));   // the rest of that word is overwritten by the data
                        last = issued(e.write(mem, memOffset + sent, tx, at + 1, n));
                        issued(connection.commit(e));
                        if (src != null) {
                            src.position(src.position() + n);
                        }
                    }
                }
            } catch (final StreamTimeoutException e) {
                throw new StreamTimeoutException(this + ": " + sent + " of " + total
                    + " bytes were sent before the write timeout of " + TimeUnit.NANOSECONDS.toMillis(timeout)
                    + " ms (the peer's ring stayed full)", sent);
            }
            sent += n;
            ringBytesSent += n;
        }
        return last;
    }

    /** A free staging frame (waiting for the DMA that last read it); allocates the staging ring on first use. */
    private int stagingSlot() throws IOException {
        if (staging == null) {
            staging = ByteBuffer.allocateDirect(STAGING_SLOTS * frame);
            stagingMemory = endpoint.register(staging);
        }
        final int slot = stagingNext;
        stagingNext = (slot + 1) % STAGING_SLOTS;
        final DmaTransfer busy = stagingBusy[slot];
        if (busy != null && !busy.isDone()) {
            awaitTransfer(busy, 0);
        }
        stagingBusy[slot] = null;
        return slot;
    }

    /** Deposits into the peer's posted buffer {@code seq} at {@code at}, then sends the DEPOSIT frame. */
    private DmaTransfer deposit(final ByteBuffer src, final RegisteredMemory mem, final long memOffset, final int total,
                                final SendTechnique t, final long seq, final long at, final long begin,
                                final long timeout) throws IOException {
        final OutboundMapping dst = peerDeposit();
        final DmaEngine e = t == SendTechnique.PIO ? null : engine();
        final long frameAt;
        try {
            frameAt = claimFrame(DEPOSIT_FRAME_LENGTH, e, begin, timeout);
        } catch (final StreamTimeoutException timedOut) {
            // give the post back: nothing was written into it
            rx.compareAndSetLong(postSlotOffset(seq), postState(seq, SENDER_TAKEN), postState(seq, POSTED));
            nextPeerPost = seq;
            throw new StreamTimeoutException(this + ": 0 of " + total + " bytes were sent before the write timeout of "
                + TimeUnit.NANOSECONDS.toMillis(timeout) + " ms (no room for the deposit notice)", 0);
        }
        DmaTransfer last = null;
        switch (t) {
            case PIO -> dst.put(at, src);
            case COPY_DMA -> {
                int done = 0;
                while (done < total) {
                    final int n = Math.min(total - done, frame);
                    final int slot = stagingSlot();
                    staging.put(slot * frame, src, src.position(), n);
                    src.position(src.position() + n);
                    stagingBusy[slot] = issued(e.write(stagingMemory, (long) slot * frame, dst, at + done, n));
                    done += n;
                }
            }
            default -> {
                last = issued(e.write(mem, memOffset, dst, at, total));
                if (src != null) {
                    src.position(src.position() + total);
                }
            }
        }
        if (e == null) {
            tx.putLong(frameAt, DEPOSIT);
            tx.putLong(frameAt + DEPOSIT_SEQ_OFFSET, seq);
            tx.putLong(frameAt + DEPOSIT_BYTES_OFFSET, total);
        } else {
            issued(e.writeLongOrdered(tx, frameAt, DEPOSIT));
            issued(e.writeLongOrdered(tx, frameAt + DEPOSIT_SEQ_OFFSET, seq));
            issued(e.writeLongOrdered(tx, frameAt + DEPOSIT_BYTES_OFFSET, total));
        }
        issued(connection.commit(e));
        depositsSent.incrementAndGet();
        return last;
    }

    /**
     * The peer's deposit region, imported on first use from the name and key the peer wrote into the
     * control area: the name must be of bounded length and name the peer's own deposit region (its
     * receive region's name + "-dep"), so a peer cannot point this end's stores at another region.
     */
    private OutboundMapping peerDeposit() throws StreamPeerGoneException {
        if (peerDeposit == null) {
            final int len = rx.getInt(DEPOSIT_NAME_OFFSET);
            if (len < 1 || len > MAX_DEPOSIT_NAME) {
                throw violation("control area", "deposit region name length (offset " + DEPOSIT_NAME_OFFSET + ")", len,
                    "a region name has 1 to " + MAX_DEPOSIT_NAME + " bytes");
            }
            final byte[] bytes = new byte[len];
            rx.get(DEPOSIT_NAME_OFFSET + 4, bytes, 0, len);
            final String name = new String(bytes, StandardCharsets.UTF_8);
            final String expected = tx.regionName() + "-dep";
            if (!name.equals(expected)) {
                throw violation("control area", "deposit region name (offset " + (DEPOSIT_NAME_OFFSET + 4) + ")",
                    "'" + name + "'", "the peer deposits into its own region '" + expected + "'");
            }
            try {
                peerDeposit = endpoint.importRegion(name, rx.getLong(DEPOSIT_KEY_OFFSET));
            } catch (final org.softclan.dsm.NoSuchRegionException | org.softclan.dsm.RegionAccessException
                           | org.softclan.dsm.RegionFormatException e) {
                if (connection.peerClosed() || !tx.isValid() || !tx.ownerAlive()) {
                    throw new StreamPeerGoneException(this + ": cannot write: the peer is gone (" + e.getMessage()
                        + ")", gone(e));
                }
                throw violation("control area", "deposit region (name '" + name + "', key at offset " + DEPOSIT_KEY_OFFSET
                    + ")", "not importable: " + e.getMessage(), "the peer announces a region it exported");
            }
        }
        return peerDeposit;
    }

    /** @return the peer's receive mode word (0 not set, else {@link ReceiveTechnique#ordinal()} + 1), checked */
    private long checkedMode() throws StreamPeerGoneException {
        final long mode = rx.getLongVolatile(MODE_OFFSET);
        if (mode < 0 || mode > ReceiveTechnique.values().length) {
            throw violation("control area", "receive mode (offset " + MODE_OFFSET + ")", mode,
                "0 (not set) or 1 to " + ReceiveTechnique.values().length + " (a receive technique)");
        }
        return mode;
    }

    /**
     * The slot state of the next post the peer made that the sender may take, or -1. Every state word is
     * checked: a known state, the sequence of the slot it is in, never a post this end took and has not
     * sent past, and no further ahead than the posts the peer can have filled (each filled post took a
     * deposit or at least one byte of a DATA frame). The scan skips posts the receiver filled itself,
     * jumping over whole table generations, so it looks at a bounded number of slots.
     */
    private long peekPeerPost() throws StreamPeerGoneException {
        final long ready = rx.getLongVolatile(DEPOSIT_READY_OFFSET);
        if (ready != 0 && ready != 1) {
            throw violation("control area", "deposit ready flag (offset " + DEPOSIT_READY_OFFSET + ")", ready, "it is 0 or 1");
        }
        if (ready == 0) {
            return -1;
        }
        // posts numbered 1.., each filled before its slot is reused: at most that many are made
        final long mostPosts = depositsSent.get() + ringBytesSent + POST_SLOTS;
        for (int step = 0; step < POST_SCAN_LIMIT; step++) {
            final long slot = postSlotOffset(nextPeerPost);
            final long state = rx.getLongVolatile(slot);
            if (state == 0) {
                return -1;
            }
            final long seq = state >>> 2;
            final long kind = state & 3;
            if (kind == 0 || seq == 0 || seq % POST_SLOTS != nextPeerPost % POST_SLOTS || seq > mostPosts) {
                throw violation("post table", "state of slot " + nextPeerPost % POST_SLOTS + " (offset " + slot + ")",
                    state, "it is seq << 2 | 1, 2 or 3 with seq of the slot (seq % " + POST_SLOTS + " = "
                        + nextPeerPost % POST_SLOTS + ") from 1 to " + mostPosts + " (posts the peer can have made)");
            }
            if (seq < nextPeerPost) {
                return -1;   // an old post: the peer has not posted the next one yet
            }
            if (kind == SENDER_TAKEN) {
                throw violation("post table", "state of slot " + nextPeerPost % POST_SLOTS + " (offset " + slot + ")",
                    state, "it marks post #" + seq + " taken by this end, which has taken posts up to #"
                        + (nextPeerPost - 1) + " only");
            }
            if (seq == nextPeerPost) {
                if (kind == POSTED) {
                    return state;
                }
                nextPeerPost++;   // the receiver filled it from the ring
            } else {
                // the slot was reused: post seq - POST_SLOTS was filled, and every post before it (posts are filled
                // in order); the next this end may take is at least seq - POST_SLOTS + 1
                nextPeerPost = Math.max(nextPeerPost + 1, seq - POST_SLOTS + 1);
            }
        }
        throw violation("post table", "scan from post #" + nextPeerPost, POST_SCAN_LIMIT + " slots",
            "a consistent table yields the next post within " + POST_SCAN_LIMIT + " slots");
    }

    private long awaitPeerPost(final long begin, final long timeout) throws IOException {
        long state = peekPeerPost();
        if (state != -1) {
            return state;
        }
        final long waitStart = System.nanoTime();
        try {
            while ((state = peekPeerPost()) == -1) {
                if (closed) {
                    throw new AsynchronousCloseException();
                }
                long slice = SLICE_NANOS;
                if (timeout > 0) {
                    final long left = timeout - (System.nanoTime() - begin);
                    if (left <= 0) {
                        throw new StreamTimeoutException(this + ": no buffer was posted by the peer (it receives"
                            + " pre-posted) within the write timeout of " + TimeUnit.NANOSECONDS.toMillis(timeout)
                            + " ms; nothing was sent", 0);
                    }
                    slice = Math.min(slice, left);
                }
                connection.await(this::postedOrBroken, slice);
            }
            return state;
        } finally {
            writeBlockedNanos += System.nanoTime() - waitStart;
        }
    }

    /** For a wait: whether the peer posted (or broke the post table: the next look reports it). */
    private boolean postedOrBroken() {
        try {
            return peekPeerPost() != -1;
        } catch (final StreamPeerGoneException broken) {
            return true;
        }
    }

    /** Notes a DMA operation this stream queued; called holding writeLock. */
    private DmaTransfer issued(final DmaTransfer t) {
        if (t != null) {
            lastIssued = t;
        }
        return t;
    }

    /** Claims a record of {@code length} bytes, waiting for room in slices; called holding writeLock. */
    private long claimFrame(final int length, final DmaEngine via, final long begin, final long timeout)
        throws IOException {
        final long at = connection.tryClaim(length, via);
        if (at != Connection.BACK_PRESSURED) {
            return at;
        }
        final long waitStart = System.nanoTime();
        try {
            while (true) {
                if (closed && !closingOutput) {
                    throw new AsynchronousCloseException();
                }
                long slice = SLICE_NANOS;
                if (timeout > 0) {
                    final long left = timeout - (System.nanoTime() - begin);
                    if (left <= 0) {
                        throw new StreamTimeoutException(this + ": the peer's ring stayed full", 0);
                    }
                    slice = Math.min(slice, left);
                }
                try {
                    return connection.claim(length, slice, via);
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
            final long at = claimFrame(1, null, System.nanoTime(), timeout);
            tx.putByte(at, EOF);
            connection.commit(null);
        } catch (final PeerGoneException | org.softclan.dsm.StaleRegionException e) {
            throw new StreamPeerGoneException(this + ": cannot write: " + e.getMessage(), gone(e));
        } catch (final ClosedException e) {
            throw closedMeanwhile();
        } finally {
            closingOutput = false;
        }
    }

    /**
     * Ends this side's output: sends the end-of-stream marker, after which the peer's reads return -1
     * once they have taken everything written before. Reading on this side goes on. Idempotent.
     *
     * @return this
     * @throws IOException as {@link #write(ByteBuffer)} (the marker waits for room like a write)
     */
    public ByteStream shutdownOutput() throws IOException {
        final boolean wasOpen = !closed;
        synchronized (writeLock) {
            ensureOpen(wasOpen);
            if (!outputShut) {
                sendEof(writeTimeoutNanos, false);
                outputShut = true;
            }
            return this;
        }
    }

    // ------------------------------------------------------------------------------------ pages

    PageMemory acquirePageMemory(final int capacity) {
        synchronized (freePages) {
            for (int i = retiredPages.size() - 1; i >= 0; i--) {
                final PageMemory m = retiredPages.get(i);
                if (!m.inFlight()) {
                    retiredPages.remove(i);
                    freePages.add(m);
                }
            }
            for (final PageMemory m : freePages) {
                if (m.capacity == capacity) {
                    freePages.remove(m);
                    return m;
                }
            }
        }
        return new PageMemory(endpoint, capacity);
    }

    void retirePageMemory(final PageMemory m) {
        synchronized (freePages) {
            if (closed) {
                m.memory.close();
                return;
            }
            retiredPages.add(m);
            while (freePages.size() > 16) {
                freePages.poll().memory.close();
            }
        }
    }

    void countDuplication() {
        pageDuplications.incrementAndGet();
    }

    // ------------------------------------------------------------------------------------ closing

    /** @return whether this stream is open ({@link #close()} not called) */
    @Override
    public boolean isOpen() {
        return !closed;
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
        synchronized (closeLock) {
            if (closed) {
                return;
            }
            closed = true;
        }
        try {
            synchronized (writeLock) {
                if (!outputShut) {
                    outputShut = true;
                    final long timeout = writeTimeoutNanos;
                    try {
                        sendEof(timeout > 0 ? Math.min(timeout, CLOSE_LINGER_NANOS) : CLOSE_LINGER_NANOS, true);
                    } catch (final IOException peerGoneOrFull) {
                        // the peer sees the stream cut short
                    }
                }
                releaseSenderResources();
            }
        } finally {
            synchronized (readLock) {
                // no reader is inside now, and none enters; accessors of received pages and posted buffers
                // may still be reading the ring or the deposit region: unmap once they left
                releasing = true;
                final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Connection.CLOSE_WAIT_MS);
                while (memoryUsers.get() != 0 && deadline - System.nanoTime() > 0) {
                    java.util.concurrent.locks.LockSupport.parkNanos(50_000);
                }
                releaseMemoryIfIdle();   // else the last accessor to leave does it
            }
        }
    }

    /**
     * Counts a thread into the memory received pages and posted buffers show (the ring, the deposit
     * region), then checks the closed flag (the add is a full barrier, as is close's volatile store:
     * either this thread sees the flag or close sees the count).
     *
     * @throws IllegalStateException if the stream is closed (its memory is gone or going)
     */
    void enterMemory(final Object user) {
        memoryUsers.incrementAndGet();
        if (closed) {
            leaveMemory();
            throw new IllegalStateException(user + ": " + this + " is closed");
        }
    }

    /** Counts the thread out again; the last one out of a closed stream unmaps its memory. */
    void leaveMemory() {
        if (memoryUsers.decrementAndGet() == 0 && releasing) {
            releaseMemoryIfIdle();
        }
    }

    /** Closes the deposit region and the connection once close is done with them and no accessor is inside. */
    private void releaseMemoryIfIdle() {
        if (!releasing || memoryUsers.get() != 0 || !memoryReleased.compareAndSet(false, true)) {
            return;
        }
        synchronized (postLock) {
            if (deposit != null) {
                deposit.close();
            }
        }
        connection.close();
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
        for (final DmaTransfer t : stagingBusy) {
            if (t != null) {
                try {
                    t.await(CLOSE_LINGER_NANOS, TimeUnit.NANOSECONDS);
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        if (stagingMemory != null) {
            all.add(stagingMemory);
        }
        if (cache != null) {
            all.add(cache);
        }
        synchronized (sendBuffers) {
            for (final SendBuffer b : sendBuffers) {
                all.add(b.memory);
            }
            sendBuffers.clear();
        }
        synchronized (freePages) {
            for (final PageMemory m : freePages) {
                all.add(m.memory);
            }
            for (final PageMemory m : retiredPages) {
                all.add(m.memory);
            }
            freePages.clear();
            retiredPages.clear();
        }
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

    private static PeerGoneException gone(final Throwable why) {
        if (why instanceof PeerGoneException p) {
            return p;
        }
        final PeerGoneException p = new PeerGoneException(why.getMessage());
        p.initCause(why);
        return p;
    }

    private void ensureOpen() throws ClosedChannelException {
        if (closed) {
            throw new ClosedChannelException();
        }
    }

    /**
     * For a thread that took a lock: {@link AsynchronousCloseException} if the stream was open when it
     * began waiting for the lock and was closed meanwhile (it was blocked in the call), else as
     * {@link #ensureOpen()}.
     */
    private void ensureOpen(final boolean wasOpen) throws ClosedChannelException {
        if (closed) {
            throw wasOpen ? new AsynchronousCloseException() : new ClosedChannelException();
        }
    }

    private IOException closedMeanwhile() {
        return closed ? new AsynchronousCloseException() : new ClosedChannelException();
    }

    // -------------------------------------------------------------------------------------- views

    /**
     * An {@link InputStream} over this stream's reads: {@code read} blocks like {@link #read(ByteBuffer)}
     * and returns -1 at the end of stream; {@code available} counts the bytes kept from partly read
     * frames; closing it closes this stream.
     *
     * @return a view (not buffered, not thread-safe beyond what this stream guarantees)
     */
    public InputStream inputStream() {
        return new InputStream() {
            private final byte[] one = new byte[1];

            @Override
            public int read() throws IOException {
                final int n = read(one, 0, 1);
                return n < 0 ? -1 : one[0] & 0xFF;
            }

            @Override
            public int read(final byte[] b, final int off, final int len) throws IOException {
                Objects.checkFromIndexSize(off, len, b.length);
                if (len == 0) {
                    return 0;
                }
                return ByteStream.this.read(ByteBuffer.wrap(b, off, len));
            }

            @Override
            public int available() throws IOException {
                ensureOpen();
                return buffered();
            }

            @Override
            public void close() {
                ByteStream.this.close();
            }
        };
    }

    /**
     * An {@link OutputStream} over this stream's writes, with the stream's send technique and classical
     * semantics (every {@code write} returns once its array may be reused). It writes through: every
     * {@code write} call sends its bytes at once (one frame per 64 KiB, or one deposit), so
     * {@code flush} has nothing to do; wrap it in a {@link java.io.BufferedOutputStream} when writing a
     * few bytes at a time. Arrays cannot come from {@link #allocateSendBuffer}, so with
     * {@link SendTechnique#DIRECT_DMA} it copies through the staging memory as
     * {@link SendTechnique#COPY_DMA} does. Closing it closes this stream (ending the output).
     *
     * @return a view
     */
    public OutputStream outputStream() {
        return new OutputStream() {
            @Override
            public void write(final int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(final byte[] b, final int off, final int len) throws IOException {
                Objects.checkFromIndexSize(off, len, b.length);
                final SendTechnique t = sendTechnique;
                ByteStream.this.write(ByteBuffer.wrap(b, off, len),
                    t == SendTechnique.DIRECT_DMA ? SendTechnique.COPY_DMA : t);
            }

            @Override
            public void flush() throws IOException {
                ensureOpen();
            }

            @Override
            public void close() {
                ByteStream.this.close();
            }
        };
    }

    @Override
    public String toString() {
        return "byte stream over " + connection;
    }
}
