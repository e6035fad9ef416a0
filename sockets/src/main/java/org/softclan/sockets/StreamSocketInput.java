package org.softclan.sockets;

import java.io.IOException;
import java.io.InputStream;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.channels.ClosedChannelException;
import java.util.Objects;
import org.softclan.vmmc.stream.ByteStream;
import org.softclan.vmmc.stream.StreamInputStream;
import org.softclan.vmmc.stream.StreamPeerGoneException;
import org.softclan.vmmc.stream.StreamTimeoutException;

/**
 * An accelerated socket's input: reads of its byte stream with TCP's exceptions. A read waits at most the
 * socket's {@code SO_TIMEOUT} ({@link SocketTimeoutException}, the socket stays usable), returns -1 at
 * the end of the peer's output (its {@code shutdownOutput} or {@code close}), and fails with
 * {@code SocketException("Connection reset")} if the peer died or closed without ending its output.
 */
final class StreamSocketInput extends InputStream {
    private final LayerSocketImpl socket;
    private final ByteStream stream;
    /** The stream's own {@code InputStream} view, whose reads this one maps to TCP's exceptions. */
    private final StreamInputStream buffered;
    private final byte[] one = new byte[1];

    StreamSocketInput(final LayerSocketImpl socket, final ByteStream stream) {
        this.socket = socket;
        this.stream = stream;
        this.buffered = new StreamInputStream(stream);
    }

    @Override
    public int read() throws IOException {
        final int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(final byte[] b, final int off, final int len) throws IOException {
        if (socket.inputShut) {
            Objects.checkFromIndexSize(off, len, b.length);
            return -1;
        }
        if (socket.broken) {
            throw SocketErrors.reset(new IOException("a region of this connection was cut from outside"));
        }
        try {
            final int n = buffered.read(b, off, len);
            if (n > 0) {
                SocketLayer.STATS.received(n);
            }
            return n;
        } catch (final StreamTimeoutException e) {
            throw new SocketTimeoutException("Read timed out");
        } catch (final StreamPeerGoneException e) {
            throw SocketErrors.reset(e);
        } catch (final InternalError fault) {
            socket.broken = true;   // cut short at an unknown point: the stream is not touched again
            throw SocketErrors.cut(fault);
        } catch (final ClosedChannelException e) {
            if (socket.inputShut) {
                return -1;
            }
            throw SocketErrors.closed(e);
        }
    }

    @Override
    public int available() throws IOException {
        if (socket.inputShut) {
            return 0;
        }
        try {
            // the bytes kept from partly read frames, else 1 if a frame waits in the ring (its size is
            // known only once it is taken): a read then returns without blocking
            final int kept = buffered.available();
            return kept > 0 ? kept : stream.connection().hasMessage() ? 1 : 0;
        } catch (final ClosedChannelException e) {
            throw SocketErrors.closed(e);
        }
    }

    /** Closing a socket's stream closes the socket, as for TCP. */
    @Override
    public void close() throws IOException {
        socket.close();
    }
}
