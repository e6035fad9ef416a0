package org.softclan.vmmc.stream;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * The {@link InputStream} and {@link OutputStream} views of a {@link ByteStream}
 * ({@link ByteStream#inputStream()}, {@link ByteStream#outputStream()}): thin adapters over its reads
 * and writes, with no buffer and no lock of their own. Closing either closes the stream.
 */
final class StreamViews {
    private StreamViews() {
    }

    /** The input view: reads block like {@link ByteStream#read(ByteBuffer)}. */
    static final class Input extends InputStream {
        private final ByteStream stream;
        private final StreamEnd end;
        private final StreamReader reader;
        private final byte[] one = new byte[1];

        Input(final ByteStream stream, final StreamEnd end, final StreamReader reader) {
            this.stream = stream;
            this.end = end;
            this.reader = reader;
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

        @Override
        public int available() throws IOException {
            end.ensureOpen();
            return reader.buffered();
        }

        @Override
        public void close() {
            stream.close();
        }
    }

    /**
     * The output view: every write sends at once with the stream's send technique, classical semantics
     * ({@link SendTechnique#DIRECT_DMA}, which cannot send arrays, as {@link SendTechnique#COPY_DMA}).
     */
    static final class Output extends OutputStream {
        private final ByteStream stream;
        private final StreamEnd end;

        Output(final ByteStream stream, final StreamEnd end) {
            this.stream = stream;
            this.end = end;
        }

        @Override
        public void write(final int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(final byte[] b, final int off, final int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            final SendTechnique t = stream.sendTechnique();
            stream.write(ByteBuffer.wrap(b, off, len), t == SendTechnique.DIRECT_DMA ? SendTechnique.COPY_DMA : t);
        }

        @Override
        public void flush() throws IOException {
            end.ensureOpen();
        }

        @Override
        public void close() {
            stream.close();
        }
    }
}
