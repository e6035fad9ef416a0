package org.softclan.vmmc.stream;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * An {@link InputStream} over a {@link ByteStream}'s reads: {@code read} blocks like
 * {@link ByteStream#read(ByteBuffer)} (and throws what it throws) and returns -1 at the end of stream;
 * {@code available} counts the bytes kept from partly read frames; closing it closes the stream. A thin
 * adapter: not buffered, with no lock of its own, so not thread-safe beyond what the stream guarantees
 * (concurrent reads are serialised). Any number of views may be made of one stream.
 *
 * <pre>{@code
 * try (InputStream in = new StreamInputStream(stream)) {
 *     in.transferTo(out);
 * }
 * }</pre>
 */
public final class StreamInputStream extends InputStream {
    private final ByteStream stream;
    private final byte[] one = new byte[1];

    /**
     * Makes a view of {@code stream}'s reads.
     *
     * @param stream the stream to read
     * @throws NullPointerException if {@code stream} is {@code null}
     */
    public StreamInputStream(final ByteStream stream) {
        this.stream = Objects.requireNonNull(stream, "stream");
    }

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
        return stream.read(ByteBuffer.wrap(b, off, len));
    }

    /**
     * {@return the bytes kept from partly read frames, which the next read returns without blocking}
     *
     * @throws java.nio.channels.ClosedChannelException if the stream is closed
     */
    @Override
    public int available() throws IOException {
        stream.end.ensureOpen();
        return stream.reader.buffered();
    }

    /** Closes the stream ({@link ByteStream#close()}). */
    @Override
    public void close() {
        stream.close();
    }
}
