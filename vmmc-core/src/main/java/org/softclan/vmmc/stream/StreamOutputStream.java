package org.softclan.vmmc.stream;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * An {@link OutputStream} over a {@link ByteStream}'s writes, with the stream's send technique
 * ({@link ByteStreamContext#sendTechnique}) and classical semantics (every {@code write} returns once its
 * array may be reused; it throws what {@link ByteStream#write(ByteBuffer)} throws). It writes through:
 * every {@code write} call sends its bytes at once (one frame per 64 KiB, or one deposit), so
 * {@code flush} has nothing to do; wrap it in a {@link java.io.BufferedOutputStream} when writing a few
 * bytes at a time. Arrays cannot come from {@link ByteStream#allocateSendBuffer}, so with
 * {@link SendTechnique#DIRECT_DMA} it copies through the staging memory as {@link SendTechnique#COPY_DMA}
 * does. Closing it closes the stream (ending the output). A thin adapter with no buffer and no lock of
 * its own (concurrent writes are serialised by the stream).
 *
 * <pre>{@code
 * try (OutputStream out = new StreamOutputStream(stream)) {
 *     file.transferTo(out);
 * }
 * }</pre>
 */
public final class StreamOutputStream extends OutputStream {
    private final ByteStream stream;

    /**
     * Makes a view of {@code stream}'s writes.
     *
     * @param stream the stream to write
     * @throws NullPointerException if {@code stream} is {@code null}
     */
    public StreamOutputStream(final ByteStream stream) {
        this.stream = Objects.requireNonNull(stream, "stream");
    }

    @Override
    public void write(final int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(final byte[] b, final int off, final int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        final SendTechnique t = stream.writer.sendTechnique();
        stream.write(ByteBuffer.wrap(b, off, len), t == SendTechnique.DIRECT_DMA ? SendTechnique.COPY_DMA : t);
    }

    /**
     * Does nothing but check the stream is open: every write was sent already.
     *
     * @throws java.nio.channels.ClosedChannelException if the stream is closed
     */
    @Override
    public void flush() throws IOException {
        stream.end.ensureOpen();
    }

    /** Closes the stream ({@link ByteStream#close()}), which ends its output first. */
    @Override
    public void close() {
        stream.close();
    }
}
