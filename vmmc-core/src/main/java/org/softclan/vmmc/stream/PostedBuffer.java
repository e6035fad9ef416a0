package org.softclan.vmmc.stream;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

import net.openhft.chronicle.bytes.BytesStore;

/**
 * A receive buffer posted by {@link ByteStream#post(int)}: memory in this end's exported deposit
 * region, which the peer's sends fill directly ({@link ReceiveTechnique#PRE_POSTED}; with
 * {@link ReceiveTechnique#REDIRECTION} also by a copy out of the ring on delivery when the sender did
 * not see the post in time). Posted buffers are filled in the order posted, each by one send (a buffer
 * filled through the ring takes stream bytes until it is full or the send that filled it ended).
 *
 * <p>{@link #awaitFilled} waits for it (and takes delivery of what arrives meanwhile);
 * {@link #redirected()} tells which path filled it. Once filled the buffer belongs to the caller until
 * {@link #release()}, which returns its memory to the deposit region. A buffer cannot be withdrawn
 * while posted.
 */
public final class PostedBuffer {
    private final ByteStream stream;
    final long seq;
    final long offset;
    final int capacity;
    final boolean internal;
    private final BytesStore<?, ?> store;
    /** Bytes filled; written by the reading thread. */
    volatile int length;
    /** Whether the receiver copied ring bytes into it (it took the post from the sender). */
    boolean receiverTaken;
    private volatile boolean filled;
    private volatile boolean redirected;
    private volatile boolean released;

    PostedBuffer(final ByteStream stream, final long seq, final long offset, final int capacity, final boolean internal,
                 final BytesStore<?, ?> store) {
        this.stream = stream;
        this.seq = seq;
        this.offset = offset;
        this.capacity = capacity;
        this.internal = internal;
        this.store = store;
    }

    /** {@return the most bytes it takes} */
    public int capacity() {
        return capacity;
    }

    /** {@return whether it was filled (acquire: its bytes are visible if so)} */
    public boolean isFilled() {
        return filled;
    }

    /**
     * Tells which path filled the buffer.
     *
     * @return {@code true} if the sender deposited straight into it (no copy at the receiver),
     *         {@code false} if its bytes came through the ring and were copied in on delivery
     * @throws IllegalStateException if not filled yet
     */
    public boolean redirected() {
        if (!filled) {
            throw new IllegalStateException(this + " is not filled yet");
        }
        return redirected;
    }

    /** {@return the number of bytes filled (its final length once {@link #isFilled()})} */
    public int length() {
        return length;
    }

    /**
     * Waits until the buffer is filled, taking delivery of the stream meanwhile (bytes that arrive for
     * {@link ByteStream#read} wait for it). Returns at once if it is filled already; otherwise takes the
     * stream's read lock, so it waits for a read in progress on another thread.
     *
     * @param timeout the longest wait, in {@code unit}s; 0 (or less) waits forever
     * @param unit    the unit of {@code timeout}
     * @return this
     * @throws StreamTimeoutException  if it was not filled within the timeout
     * @throws java.io.EOFException    if the peer ended its output first
     * @throws StreamPeerGoneException if the peer closed or died first, or broke the stream protocol
     * @throws java.nio.channels.AsynchronousCloseException if the stream was closed while waiting
     * @throws java.nio.channels.ClosedChannelException     if the stream is closed
     */
    public PostedBuffer awaitFilled(final long timeout, final TimeUnit unit) throws IOException {
        stream.reader.awaitFilled(this, unit.toNanos(timeout));
        return this;
    }

    void fill(final int bytes, final boolean direct) {
        this.length = bytes;
        this.redirected = direct;
        this.filled = true;
    }

    private void check(final int index, final int n) {
        if (!filled) {
            throw new IllegalStateException(this + " is not filled yet");
        }
        if (released) {
            throw new IllegalStateException(this + " was released");
        }
        Objects.checkFromIndexSize(index, n, length);
    }

    /**
     * Reads one filled byte.
     *
     * @param index the byte's offset in the buffer
     * @return the byte at {@code index} (of the filled bytes)
     * @throws IndexOutOfBoundsException if {@code index} is outside the filled bytes
     * @throws IllegalStateException     if not filled, released, or the stream is closed
     */
    public byte get(final int index) {
        check(index, 1);
        stream.closer.enterMemory(this);
        try {
            return store.readByte(offset + index);
        } finally {
            stream.closer.leaveMemory();
        }
    }

    /**
     * Copies {@code n} filled bytes from {@code index} into {@code dst} at {@code dstOffset}.
     *
     * @param index     the first byte to copy, from the start of the buffer
     * @param dst       the array copied into
     * @param dstOffset where the first byte goes in {@code dst}
     * @param n         bytes to copy
     * @throws IndexOutOfBoundsException if the range is outside the filled bytes or {@code dst}
     * @throws IllegalStateException     if not filled, released, or the stream is closed
     */
    public void get(final int index, final byte[] dst, final int dstOffset, final int n) {
        check(index, n);
        Objects.checkFromIndexSize(dstOffset, n, dst.length);
        stream.closer.enterMemory(this);
        try {
            store.read(offset + index, dst, dstOffset, n);
        } finally {
            stream.closer.leaveMemory();
        }
    }

    /**
     * Views the filled bytes without a copy.
     *
     * @return a read-only direct buffer over the filled bytes, valid until {@link #release()} or the
     *         stream's close: the view is raw memory, which close unmaps (use {@link #get} where a
     *         close may race with the access)
     * @throws IllegalStateException if not filled, released, or the stream is closed, or the JVM does not
     *                               open {@code java.nio} to this code ({@code --add-opens}; use {@link #get})
     */
    public ByteBuffer asReadOnlyBuffer() {
        check(0, 0);
        stream.closer.enterMemory(this);
        stream.closer.leaveMemory();
        return Views.readOnly(store.addressForRead(offset), length);
    }

    BytesStore<?, ?> store() {
        return store;
    }

    /**
     * Returns the memory to the deposit region. Idempotent.
     *
     * @throws IllegalStateException if it is still posted (not filled): a posted buffer cannot be withdrawn
     */
    public void release() {
        if (released) {
            return;
        }
        if (!filled) {
            throw new IllegalStateException(this + " is still posted; a posted buffer cannot be withdrawn");
        }
        released = true;
        stream.posts.freeDeposit(this);
    }

    @Override
    public String toString() {
        return "posted buffer #" + seq + " of " + capacity + " bytes" + (filled ? ", filled with " + length
            + (redirected ? " (deposited by the sender)" : " (copied from the ring)") : "");
    }
}
