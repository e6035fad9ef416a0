package org.softclan.examples.stream;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Where a {@link StreamSender}'s payload comes from: {@link #generated generated data} or a
 * {@link #file file}. Owns the file it opens; close it when done.
 */
public abstract class StreamSource implements AutoCloseable {
    private final StreamFormat.Header header;
    private long position;

    private StreamSource(final StreamFormat.Header header) {
        this.header = header;
    }

    /**
     * @param length bytes to generate, at least 0
     * @param seed   the generator's seed ({@link StreamPattern})
     * @return a source of {@code length} bytes of generated data
     */
    public static StreamSource generated(final long length, final long seed) {
        if (length < 0) {
            throw new IllegalArgumentException("negative length " + length);
        }
        return new StreamSource(new StreamFormat.Header(StreamFormat.Kind.GENERATED, length, seed)) {
            @Override
            void read(final ByteBuffer dst, final long at) {
                StreamPattern.fill(seed, dst, at);
            }

            @Override
            public void close() {
            }
        };
    }

    /**
     * Opens a regular file; its size when opened is the payload's length.
     *
     * @param file the file
     * @return a source of the file's bytes
     * @throws IOException if it cannot be opened (the message names it)
     */
    public static StreamSource file(final Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + " is not a regular file" + (Files.exists(file) ? "" : " (it does not exist)"));
        }
        final FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        final long size;
        try {
            size = ch.size();
        } catch (final IOException e) {
            ch.close();
            throw e;
        }
        return new StreamSource(new StreamFormat.Header(StreamFormat.Kind.FILE, size, 0)) {
            @Override
            void read(final ByteBuffer dst, final long at) throws IOException {
                final int start = dst.position();
                while (dst.hasRemaining()) {
                    if (ch.read(dst) < 0) {
                        throw new IOException(file + " ended at " + (at + dst.position() - start) + " bytes; it had " + size
                            + " when the stream started (did it shrink?)");
                    }
                }
            }

            @Override
            public void close() throws IOException {
                ch.close();
            }
        };
    }

    /** @return the header that describes this payload */
    public final StreamFormat.Header header() {
        return header;
    }

    /** @return payload bytes in all */
    public final long length() {
        return header.length();
    }

    /** @return payload bytes not yet produced by {@link #next} */
    public final long remaining() {
        return header.length() - position;
    }

    /**
     * Fills {@code dst} from its position to its limit with the next payload bytes (at most {@link
     * #remaining()}: the caller sets the limit) and advances its position.
     *
     * @param dst the buffer
     * @throws IOException if the file could not be read
     */
    public final void next(final ByteBuffer dst) throws IOException {
        final int n = dst.remaining();
        if (n > remaining()) {
            throw new IllegalArgumentException(n + " bytes asked for but only " + remaining() + " remain");
        }
        read(dst, position);
        position += n;
    }

    /** Fills dst's remaining bytes with the payload from {@code at}. */
    abstract void read(ByteBuffer dst, long at) throws IOException;

    @Override
    public abstract void close() throws IOException;
}
