package org.softclan.vmmc.stream;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ByteChannel;
import java.nio.channels.ClosedChannelException;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.core.Jvm;
import org.softclan.dsm.ClosedException;
import org.softclan.vmmc.Connection;
import org.softclan.vmmc.MessageHandler;
import org.softclan.vmmc.PeerGoneException;
import org.softclan.vmmc.SendTimeoutException;

/**
 * One end of a bidirectional byte stream, carried by the messages of a {@link Connection} (see the
 * package documentation for the framing). Both ends of the connection must use {@code ByteStream}.
 *
 * <p><b>Reads</b> block until at least one byte is available, then return what is there without
 * blocking further; they return -1 once the peer ended its output ({@link #shutdownOutput()} or
 * {@link #close()}) and everything before was read. <b>Writes</b> block until all the bytes were
 * handed to the connection (the peer's ring has room for them). Blocking waits use the connection's
 * wait strategy in slices of {@value Connection#LIVENESS_SLICE_MS} ms, checking between slices that
 * the peer is alive and that this stream was not closed; they wait forever by default, or up to
 * {@link #readTimeout} / {@link #writeTimeout}. Thread interrupts do not end a wait.
 *
 * <p><b>Threads</b>: one thread may read while another writes; concurrent readers (or writers) are
 * serialised. {@link #close()} may be called from any thread: blocked reads and writes then end with
 * {@link AsynchronousCloseException} within a slice.
 */
public final class ByteStream implements ByteChannel {
    /** Frame type: stream bytes follow. */
    static final byte DATA = 0;
    /** Frame type: the sender's output ended. */
    static final byte EOF = 1;
    /** Largest frame (type byte included) a write sends, when the connection allows it. */
    static final int MAX_FRAME = 64 * 1024;
    /** How long {@link #close()} waits at most for room to send the end-of-stream marker. */
    static final long CLOSE_LINGER_NANOS = TimeUnit.SECONDS.toNanos(10);

    private static final long SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(Connection.LIVENESS_SLICE_MS);
    private static final byte[] EOF_FRAME = {EOF};

    private final Connection connection;
    private final int frame;
    private final Object readLock = new Object();
    private final Object writeLock = new Object();
    private final Object closeLock = new Object();
    private volatile boolean closed;
    private volatile long readTimeoutNanos;
    private volatile long writeTimeoutNanos;

    // reader state (guarded by readLock)
    private final MessageHandler handler = this::onFrame;
    private ByteBuffer target;
    private byte[] pending = new byte[0];
    private int pendingPos;
    private int pendingLen;
    private boolean eof;
    private String protocolError;

    // writer state (guarded by writeLock)
    private final byte[] sendBuf;
    private boolean outputShut;
    private volatile long writeBlockedNanos;

    private ByteStream(final Connection connection) {
        this.connection = connection;
        this.frame = Math.min(connection.maxMessage(), MAX_FRAME);
        if (frame < 2) {
            throw new IllegalArgumentException(connection + " carries messages of at most " + frame + " bytes");
        }
        this.sendBuf = new byte[frame];
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

    /** @return the connection that carries this stream */
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
     * Sets how long a write waits for room in the peer's ring, overall (default: forever).
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

    // ------------------------------------------------------------------- techniques (contract)

    /**
     * Sets the send technique that {@link #write(ByteBuffer)}, {@link #send(ByteBuffer)} and the
     * {@link #outputStream()} use from now on (default {@link SendTechnique#PIO}).
     *
     * @return this
     */
    public ByteStream sendTechnique(final SendTechnique technique) {
        throw new UnsupportedOperationException("send techniques: contract only");
    }

    /** @return the stream's current send technique */
    public SendTechnique sendTechnique() {
        throw new UnsupportedOperationException("send techniques: contract only");
    }

    /**
     * Sets how this end receives (default {@link ReceiveTechnique#BUFFERED}); set before the first
     * read. The peer's writes adapt (for example, deposit into the buffers this end posts).
     *
     * @return this
     */
    public ByteStream receiveTechnique(final ReceiveTechnique technique) {
        throw new UnsupportedOperationException("receive techniques: contract only");
    }

    /** @return this end's receive technique */
    public ReceiveTechnique receiveTechnique() {
        throw new UnsupportedOperationException("receive techniques: contract only");
    }

    /**
     * Allocates a direct buffer in memory registered with this stream's DMA engine: the buffers
     * {@link SendTechnique#DIRECT_DMA} sends without a copy. Freed when the stream closes.
     *
     * @param capacity bytes
     * @return a direct buffer, position 0, limit = capacity
     */
    public ByteBuffer allocateSendBuffer(final int capacity) {
        throw new UnsupportedOperationException("send techniques: contract only");
    }

    /**
     * Sends the remaining bytes of {@code src} with the stream's send technique, with that technique's
     * semantics: for classical techniques the buffer is reusable on return (the ticket is ready); for
     * {@link SendTechnique#DIRECT_DMA} and {@link SendTechnique#V2P_DMA} only once the ticket is ready.
     * {@link #write(ByteBuffer)} is {@code send} followed by waiting for the ticket.
     *
     * @return the ticket of this send; {@code src}'s position is advanced past the bytes sent
     * @throws IOException as {@link #write(ByteBuffer)}
     */
    public SendTicket send(final ByteBuffer src) throws IOException {
        throw new UnsupportedOperationException("send techniques: contract only");
    }

    /** @return the nanoseconds writes have spent so far waiting for room in the peer's ring (back-pressure) */
    public long writeBlockedNanos() {
        return writeBlockedNanos;
    }

    // ------------------------------------------------------------------------------------- reading

    /**
     * Reads stream bytes into {@code dst}, blocking until at least one is available (or the stream
     * ended), then taking what is there without blocking.
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
        synchronized (readLock) {
            ensureOpen();
            if (!dst.hasRemaining()) {
                return 0;
            }
            final int start = dst.position();
            takePending(dst);
            try {
                if (dst.position() == start && !eof) {
                    awaitFrames(dst, start);
                }
                target = dst;
                while (dst.hasRemaining() && pendingLen == 0 && !eof && connection.hasMessage()) {
                    connection.poll(handler, 1);
                    checkProtocol();
                }
            } catch (final ClosedException e) {
                throw closedMeanwhile();
            } finally {
                target = null;
            }
            final int n = dst.position() - start;
            return n == 0 && eof ? -1 : n;
        }
    }

    private void awaitFrames(final ByteBuffer dst, final int start) throws IOException {
        final long timeout = readTimeoutNanos;
        final long begin = System.nanoTime();
        target = dst;
        while (dst.position() == start && !eof) {
            if (closed) {
                throw new AsynchronousCloseException();
            }
            long slice = SLICE_NANOS;
            if (timeout > 0) {
                final long left = timeout - (System.nanoTime() - begin);
                if (left <= 0) {
                    throw new StreamTimeoutException(this + ": no byte arrived within "
                        + TimeUnit.NANOSECONDS.toMillis(timeout) + " ms", 0);
                }
                slice = Math.min(slice, left);
            }
            try {
                connection.receive(handler, 1, slice, TimeUnit.NANOSECONDS);
            } catch (final PeerGoneException e) {
                throw new StreamPeerGoneException(this + ": the stream was cut short: " + e.getMessage(), e);
            }
            checkProtocol();
        }
    }

    private void takePending(final ByteBuffer dst) {
        if (pendingLen > 0) {
            final int n = Math.min(pendingLen, dst.remaining());
            dst.put(pending, pendingPos, n);
            pendingPos += n;
            pendingLen -= n;
        }
    }

    private void onFrame(final BytesStore<?, ?> store, final long offset, final int length) {
        if (length < 1) {
            protocolError = "an empty frame";
            return;
        }
        final byte type = store.readByte(offset);
        if (type == EOF && length == 1) {
            eof = true;
            return;
        }
        if (type != DATA) {
            protocolError = "a frame of type " + type + " and " + length + " bytes";
            return;
        }
        final ByteBuffer dst = target;
        final int payload = length - 1;
        final int now = Math.min(payload, dst.remaining());
        copyOut(store, offset + 1, dst, now);
        final int rest = payload - now;
        if (rest > 0) {
            if (pending.length < rest) {
                pending = new byte[Math.max(rest, Math.min(frame, 2 * pending.length))];
            }
            store.read(offset + 1 + now, pending, 0, rest);
            pendingPos = 0;
            pendingLen = rest;
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

    private void checkProtocol() throws IOException {
        if (protocolError != null) {
            throw new IOException(this + ": the peer sent " + protocolError
                + "; is it a ByteStream? (frames start with DATA 0 or EOF 1)");
        }
    }

    /** @return bytes a read can take now without waiting: those kept from a partly read frame */
    int buffered() {
        synchronized (readLock) {
            return pendingLen;
        }
    }

    // ------------------------------------------------------------------------------------- writing

    /**
     * Writes all the remaining bytes of {@code src}, blocking while the peer's ring is full.
     *
     * @return the number of bytes written: all that remained
     * @throws StreamPeerGoneException    if the peer closed or died
     * @throws StreamTimeoutException     if the write timeout passed first ({@link
     *                                    StreamTimeoutException#bytesTransferred} bytes were sent)
     * @throws AsynchronousCloseException if this stream was closed while waiting
     * @throws ClosedChannelException     if this stream is closed or its output was shut down
     */
    @Override
    public int write(final ByteBuffer src) throws IOException {
        synchronized (writeLock) {
            ensureOpen();
            if (outputShut) {
                throw new ClosedChannelException();
            }
            final int total = src.remaining();
            final long begin = System.nanoTime();
            while (src.hasRemaining()) {
                final int n = Math.min(src.remaining(), frame - 1);
                sendBuf[0] = DATA;
                src.get(sendBuf, 1, n);
                try {
                    sendFrame(sendBuf, n + 1, begin, writeTimeoutNanos, false);
                } catch (final StreamTimeoutException e) {
                    src.position(src.position() - n);
                    final int sent = total - src.remaining();
                    throw new StreamTimeoutException(this + ": " + sent + " of " + total
                        + " bytes were sent before the write timeout of "
                        + TimeUnit.NANOSECONDS.toMillis(writeTimeoutNanos) + " ms", sent);
                } catch (final IOException e) {
                    src.position(src.position() - n);
                    throw e;
                }
            }
            return total;
        }
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

    /** Sends one frame, waiting for room in slices; called holding writeLock. */
    private void sendFrame(final byte[] buf, final int length, final long begin, final long timeout,
                           final boolean closing) throws IOException {
        try {
            if (connection.offer(buf, 0, length)) {
                return;
            }
            final long waitStart = System.nanoTime();
            try {
                while (true) {
                    if (closed && !closing) {
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
                        connection.send(buf, 0, length, slice, TimeUnit.NANOSECONDS);
                        return;
                    } catch (final SendTimeoutException stillFull) {
                        // next slice
                    }
                }
            } finally {
                writeBlockedNanos += System.nanoTime() - waitStart;
            }
        } catch (final PeerGoneException e) {
            throw new StreamPeerGoneException(this + ": cannot write: " + e.getMessage(), e);
        } catch (final ClosedException e) {
            throw closedMeanwhile();
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
        synchronized (writeLock) {
            ensureOpen();
            if (!outputShut) {
                sendFrame(EOF_FRAME, 1, System.nanoTime(), writeTimeoutNanos, false);
                outputShut = true;
            }
            return this;
        }
    }

    // ------------------------------------------------------------------------------------ closing

    /** @return whether this stream is open ({@link #close()} not called) */
    @Override
    public boolean isOpen() {
        return !closed;
    }

    /**
     * Closes the stream: ends the output if {@link #shutdownOutput()} was not called (waiting at most
     * 10 s, or the write timeout if shorter, for room for the marker; if it cannot be sent the peer
     * sees the stream cut short), then closes the connection. Blocked reads and writes on other threads
     * end with {@link AsynchronousCloseException} within {@value Connection#LIVENESS_SLICE_MS} ms.
     * Idempotent; bytes not yet read are dropped.
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
                        sendFrame(EOF_FRAME, 1, System.nanoTime(),
                            timeout > 0 ? Math.min(timeout, CLOSE_LINGER_NANOS) : CLOSE_LINGER_NANOS, true);
                    } catch (final IOException peerGoneOrFull) {
                        // the peer sees the stream cut short
                    }
                }
            }
        } finally {
            synchronized (readLock) {
                connection.close();
            }
        }
    }

    private void ensureOpen() throws ClosedChannelException {
        if (closed) {
            throw new ClosedChannelException();
        }
    }

    private IOException closedMeanwhile() {
        return closed ? new AsynchronousCloseException() : new ClosedChannelException();
    }

    // -------------------------------------------------------------------------------------- views

    /**
     * An {@link InputStream} over this stream's reads: {@code read} blocks like {@link #read(ByteBuffer)}
     * and returns -1 at the end of stream; {@code available} counts the bytes kept from a partly read
     * frame; closing it closes this stream.
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
     * An {@link OutputStream} over this stream's writes. It writes through: every {@code write} call
     * sends its bytes at once (one frame per 64 KiB), so {@code flush} has nothing to do; wrap it in a
     * {@link java.io.BufferedOutputStream} when writing a few bytes at a time. Closing it closes this
     * stream (ending the output).
     *
     * @return a view
     */
    public OutputStream outputStream() {
        return new OutputStream() {
            @Override
            public void write(final int b) throws IOException {
                ByteStream.this.write(ByteBuffer.wrap(new byte[] {(byte) b}));
            }

            @Override
            public void write(final byte[] b, final int off, final int len) throws IOException {
                Objects.checkFromIndexSize(off, len, b.length);
                ByteStream.this.write(ByteBuffer.wrap(b, off, len));
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
