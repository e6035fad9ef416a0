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
import static org.softclan.vmmc.stream.StreamFrameDescriptor.MAX_FRAME;
import static org.softclan.vmmc.stream.StreamFrameDescriptor.TYPE_OFFSET;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.core.Jvm;
import org.softclan.dsm.ClosedException;
import org.softclan.vmmc.MessageHandler;
import org.softclan.vmmc.PeerGoneException;

/**
 * The receive side of a {@link ByteStream}: it drives the connection's receive side while it waits,
 * checks each frame the peer wrote ({@link StreamFrameDescriptor}) before it hands anything over, and
 * delivers stream bytes to the read in progress, to {@link ByteStream#receivePage} or, for the posting
 * receive techniques, through the {@link PostTable} (DEPOSIT notices, REDIRECTION copies).
 *
 * <p><b>Lock</b>: the read lock serialises readers and guards the reader's state (the read's target,
 * the bytes kept for later, the end-of-stream flag). Under it the reader takes the post lock
 * ({@link PostTable}); close takes it after the write lock, once no reader is inside.
 *
 * <p><b>Memory order</b>: frames are read through the connection, which publishes each record with
 * release and consumes it with acquire; the reader's own state is plain, under the read lock.
 *
 * <p><b>Allocation</b>: reading into an array or a writable direct buffer allocates nothing per frame
 * while the reader keeps up; a frame the buffer cannot hold is kept as one small chunk object.
 */
final class StreamReader {
    private final StreamEnd end;
    private final PostTable posts;
    private final ByteStream stream;
    private final Object readLock = new Object();

    // guarded by readLock
    private final MessageHandler handler = this::onFrame;
    private ByteBuffer target;
    private final ArrayDeque<Chunk> pending = new ArrayDeque<>();
    private volatile long pendingBytes;
    /** Frames and stream bytes received (data and deposits): plain adds by the polling reader, read racily for statistics. */
    private long framesReceived;
    private long bytesReceived;
    private volatile boolean eof;

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

    /**
     * @param end    the stream's shared state
     * @param posts  the posts of this end
     * @param stream the stream the received pages belong to
     */
    StreamReader(final StreamEnd end, final PostTable posts, final ByteStream stream) {
        this.end = end;
        this.posts = posts;
        this.stream = stream;
    }

    /** As {@link ByteStream#read(ByteBuffer)}. */
    int read(final ByteBuffer dst) throws IOException {
        try {
            return read0(dst);
        } catch (final InternalError e) {
            throw end.regionCut(e);
        }
    }

    private int read0(final ByteBuffer dst) throws IOException {
        return read0(dst, true);
    }

    /** As {@link ByteStream#readNow(ByteBuffer)}. */
    int readNow(final ByteBuffer dst) throws IOException {
        try {
            return read0(dst, false);
        } catch (final InternalError e) {
            throw end.regionCut(e);
        }
    }

    /**
     * As {@link ByteStream#readable()}: volatile reads of this end's state and of the ring's write pointer,
     * no lock, so any thread may ask while another reads.
     */
    boolean readable() {
        if (end.closed) {
            return true;
        }
        try {
            return eof || pendingBytes > 0 || end.isBroken() || end.connection.hasMessage() || end.connection.peerClosed();
        } catch (final RuntimeException gone) {
            return true;   // the next read reports it
        }
    }

    private int read0(final ByteBuffer dst, final boolean wait) throws IOException {
        final boolean wasOpen = !end.closed;   // a close while this waits for the lock is an asynchronous close
        synchronized (readLock) {
            end.ensureOpen(wasOpen);
            if (!dst.hasRemaining()) {
                return 0;
            }
            final int start = dst.position();
            takePending(dst);
            try {
                if (dst.position() == start) {
                    end.checkBroken();   // what came before the bad word was delivered; now the error
                }
                if (posts.receiveTechnique() == ReceiveTechnique.PRE_POSTED) {
                    ensureInternalPosts();
                }
                target = dst;
                if (dst.position() == start && !eof && wait) {
                    awaitFrames(() -> dst.position() != start || eof, end.readTimeoutNanos, "no byte arrived");
                }
                // one frame at a time: nothing after a bad frame is handed over
                while (dst.hasRemaining() && pending.isEmpty() && !eof && !end.isBroken() && end.connection.hasMessage()) {
                    end.connection.poll(handler, 1);
                }
                if (!wait && dst.position() == start) {
                    end.checkBroken();   // a bad frame just taken: reported by this read, not after an empty one
                }
                if (!wait && dst.position() == start && !eof && end.connection.peerClosed()) {
                    end.connection.checkPeer();   // closed without its end-of-stream marker: reported now
                }
            } catch (final ClosedException e) {
                throw end.closedMeanwhile();
            } catch (final PeerGoneException e) {
                if (dst.position() == start) {
                    throw end.streamGone(e);
                }
                // the bytes read before it are returned; the next read reports it
            } finally {
                target = null;
            }
            final int n = dst.position() - start;
            return n == 0 && eof ? -1 : n;
        }
    }

    /** As {@link ByteStream#receivePage(long, TimeUnit)}. */
    ReceivedPage receivePage(final long timeout, final TimeUnit unit) throws IOException {
        final boolean wasOpen = !end.closed;
        synchronized (readLock) {
            end.ensureOpen(wasOpen);
            try {
                if (pending.isEmpty() && !eof) {
                    end.checkBroken();
                    if (posts.receiveTechnique() == ReceiveTechnique.PRE_POSTED) {
                        ensureInternalPosts();
                    }
                    awaitFrames(() -> !pending.isEmpty() || eof, unit.toNanos(timeout), "no byte arrived");
                }
            } catch (final ClosedException e) {
                throw end.closedMeanwhile();
            }
            final Chunk c = pending.poll();
            if (c == null) {
                return null;
            }
            pendingBytes -= c.remaining;
            return new ReceivedPage(stream, c.store, c.offset, c.remaining, c.token, c.post);
        }
    }

    /**
     * Gives a received page's memory back: the held ring record (if {@code token} is one) and the post
     * it lies in (if any). Nothing once the stream is closed; any thread.
     */
    void releasePage(final long token, final PostedBuffer post) {
        if (end.closed) {
            return;
        }
        try {
            if (token >= 0) {
                end.connection.release(token);
            }
            if (post != null) {
                post.release();
            }
        } catch (final ClosedException streamClosed) {
            // the memory went with the stream
        }
    }

    /** Keeps the posts {@link #read} makes for itself; called holding the read lock. */
    private void ensureInternalPosts() {
        if (eof) {
            return;
        }
        posts.ensureInternalPosts();
    }

    /**
     * Waits for frames, handing them to {@link #onFrame} (with {@link #target} the read's buffer, or
     * {@code null} to keep data for later), until {@code done} holds; called holding the read lock.
     */
    private void awaitFrames(final BooleanSupplier done, final long timeout, final String what) throws IOException {
        final long begin = System.nanoTime();
        while (!done.getAsBoolean()) {
            if (end.closed) {
                throw new AsynchronousCloseException();
            }
            end.checkBroken();
            long slice = StreamEnd.SLICE_NANOS;
            if (timeout > 0) {
                final long left = timeout - (System.nanoTime() - begin);
                if (left <= 0) {
                    throw new StreamTimeoutException(end + ": " + what + " within "
                        + TimeUnit.NANOSECONDS.toMillis(timeout) + " ms", 0);
                }
                slice = Math.min(slice, left);
            }
            try {
                end.connection.receive(handler, 1, slice, TimeUnit.NANOSECONDS);
            } catch (final PeerGoneException e) {
                throw end.streamGone(e);
            }
            end.checkBroken();
        }
    }

    /** As {@link PostedBuffer#awaitFilled}: takes the read lock unless the post is filled already. */
    void awaitFilled(final PostedBuffer post, final long timeoutNanos) throws IOException {
        if (post.isFilled()) {
            return;
        }
        final boolean wasOpen = !end.closed;
        synchronized (readLock) {
            end.ensureOpen(wasOpen);
            try {
                awaitFrames(() -> post.isFilled() || eof, timeoutNanos, post + " was not filled");
            } catch (final ClosedException e) {
                throw end.closedMeanwhile();
            }
            if (!post.isFilled()) {
                throw new EOFException(end + ": the peer ended its output before " + post + " was filled");
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

    /** {@return frames received so far (a racy read of a plain field: for statistics)} */
    long framesReceived() {
        return framesReceived;
    }

    /** {@return stream bytes received so far, in frames and deposits (a racy read: for statistics)} */
    long bytesReceived() {
        return bytesReceived;
    }

    /**
     * Handles one frame (a ring record the connection checked lies inside the ring). Its type and length
     * are the peer's words: a frame no ByteStream sends breaks the stream (the violation is recorded)
     * and nothing of it is handed over.
     */
    private void onFrame(final BytesStore<?, ?> store, final long offset, final int length) {
        if (end.isBroken()) {
            return;   // broken: nothing more is delivered
        }
        if (length < 1 || length > MAX_FRAME) {
            end.violation("frame", "length", length, "a frame holds 1 to " + MAX_FRAME + " bytes (type byte included)");
            return;
        }
        framesReceived++;
        final byte type = store.readByte(offset + TYPE_OFFSET);
        if (type == DATA || type == DATA_LAST) {
            if (length < DATA_OFFSET + 1) {
                end.violation("DATA frame", "length", length, "a DATA frame carries 1 to " + (MAX_FRAME - 1)
                    + " stream bytes after its type byte");
                return;
            }
            onData(store, offset + DATA_OFFSET, length - DATA_OFFSET, type == DATA_LAST);
        } else if (type == EOF) {
            if (length != EOF_FRAME_LENGTH) {
                end.violation("EOF frame", "length", length, "an EOF frame is its type byte alone");
                return;
            }
            eof = true;
        } else if (type == DEPOSIT) {
            if (length != DEPOSIT_FRAME_LENGTH) {
                end.violation("DEPOSIT frame", "length", length, "a DEPOSIT frame is " + DEPOSIT_FRAME_LENGTH + " bytes");
                return;
            }
            onDeposit(store.readLong(offset + DEPOSIT_SEQ_OFFSET), store.readLong(offset + DEPOSIT_BYTES_OFFSET));
        } else {
            end.violation("frame", "type", type, "frames start with DATA 0, EOF 1, DATA_LAST 2 or DEPOSIT 3; is the peer"
                + " a ByteStream?");
        }
    }

    private void onData(final BytesStore<?, ?> store, final long offset, final int n, final boolean last) {
        bytesReceived += n;
        int used = 0;
        if (posts.receiveTechnique() == ReceiveTechnique.REDIRECTION) {
            used = posts.copyIntoPosts(store, offset, n, last);
        }
        if (used < n) {
            deliver(store, offset + used, n - used, true, null);
        }
    }

    /** A DEPOSIT notice, checked by the post table; a post {@link #read} made itself is delivered here. */
    private void onDeposit(final long seq, final long bytes) {
        final PostedBuffer p = posts.onDeposit(seq, bytes);
        if (p != null) {
            bytesReceived += bytes;   // checked by the post table: 1 to the post's capacity
        }
        if (p != null && p.internal) {
            deliver(p.store(), p.offset, (int) bytes, false, p);
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
            pending.add(new Chunk(store, offset + now, n - now, ring ? end.connection.hold() : -1, post));
            pendingBytes += n - now;
        } else if (post != null) {
            post.release();
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

    /** @return bytes a read can take now without waiting: those kept from partly read frames and posts */
    int buffered() {
        synchronized (readLock) {
            return (int) Math.min(Integer.MAX_VALUE, pendingBytes);
        }
    }

    /**
     * Runs close's last step holding the read lock: no reader is inside then, and none enters.
     *
     * @param closer the stream's closer, whose {@link StreamCloser#releaseWhenIdle()} runs under the lock
     */
    void closeReading(final StreamCloser closer) {
        synchronized (readLock) {
            closer.releaseWhenIdle();
        }
    }

    @Override
    public String toString() {
        return "reader of " + end;
    }
}
