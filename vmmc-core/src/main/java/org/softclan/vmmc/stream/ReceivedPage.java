package org.softclan.vmmc.stream;

import java.nio.ByteBuffer;
import java.util.Objects;

import net.openhft.chronicle.bytes.BytesStore;

/**
 * Received bytes handed over by owner change ({@link ByteStream#receivePage}): a view of the memory
 * they arrived in (the receive ring, or a deposit buffer), not a copy. The caller owns it until
 * {@link #release()}: until then the sender does not reuse that memory. Pages may be released in any
 * order and from any thread; memory held by unreleased pages counts against the receive ring, so a
 * reader that holds a ring's worth stops the sender. Accessing a released page fails.
 */
public final class ReceivedPage implements AutoCloseable {
    private final ByteStream stream;
    private final BytesStore<?, ?> store;
    private final long offset;
    private final int length;
    private final long token;
    private final PostedBuffer post;
    private volatile boolean released;

    ReceivedPage(final ByteStream stream, final BytesStore<?, ?> store, final long offset, final int length,
                 final long token, final PostedBuffer post) {
        this.stream = stream;
        this.store = store;
        this.offset = offset;
        this.length = length;
        this.token = token;
        this.post = post;
    }

    /** {@return the number of bytes in the page} */
    public int length() {
        return length;
    }

    /** {@return whether {@link #release()} was called} */
    public boolean isReleased() {
        return released;
    }

    private void check(final int index, final int n) {
        if (released) {
            throw new IllegalStateException("received page of " + length + " bytes was released");
        }
        Objects.checkFromIndexSize(index, n, length);
    }

    /**
     * Reads one byte of the page.
     *
     * @param index the byte's offset in the page
     * @return the byte at {@code index}
     * @throws IndexOutOfBoundsException if {@code index} is outside the page
     * @throws IllegalStateException     if the page was released, or the stream is closed
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
     * Copies {@code n} bytes from {@code index} into {@code dst} at {@code dstOffset}.
     *
     * @param index     the first byte to copy, from the start of the page
     * @param dst       the array copied into
     * @param dstOffset where the first byte goes in {@code dst}
     * @param n         bytes to copy
     * @throws IndexOutOfBoundsException if the range is outside the page or {@code dst}
     * @throws IllegalStateException     if the page was released, or the stream is closed
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
     * Views the page's memory without a copy.
     *
     * @return a read-only direct buffer over the page's memory, valid until {@link #release()} or the
     *         stream's close: the view is raw memory, which close unmaps (use {@link #get} where a
     *         close may race with the access)
     * @throws IllegalStateException if released, or the stream is closed, or the JVM does not open
     *                               {@code java.nio} to this code ({@code --add-opens}; use {@link #get})
     */
    public ByteBuffer asReadOnlyBuffer() {
        check(0, 0);
        stream.closer.enterMemory(this);
        stream.closer.leaveMemory();
        return Views.readOnly(store.addressForRead(offset), length);
    }

    /**
     * Gives the memory back: the sender may reuse it. Idempotent; a page of a closed stream is simply
     * dropped.
     */
    public void release() {
        if (released) {
            return;
        }
        released = true;
        stream.reader.releasePage(token, post);
    }

    /** Same as {@link #release()}. */
    @Override
    public void close() {
        release();
    }

    @Override
    public String toString() {
        return "received page of " + length + " bytes" + (post != null ? " in a deposit buffer" : " in the ring")
            + (released ? ", released" : "");
    }
}
