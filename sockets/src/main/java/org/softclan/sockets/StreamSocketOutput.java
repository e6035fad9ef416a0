package org.softclan.sockets;

import java.io.IOException;
import java.io.OutputStream;
import java.net.SocketException;
import java.nio.channels.ClosedChannelException;
import java.util.Objects;
import org.softclan.vmmc.stream.ByteStream;
import org.softclan.vmmc.stream.StreamOutputStream;
import org.softclan.vmmc.stream.StreamPeerGoneException;

/**
 * An accelerated socket's output: writes to its byte stream, returning once the bytes are in the peer's
 * ring (a write blocks while the ring is full, as a TCP write blocks on a full send buffer). A write to
 * a peer that died or closed fails with {@code SocketException("Broken pipe")}.
 */
final class StreamSocketOutput extends OutputStream {
    private final LayerSocketImpl socket;
    /** The stream's own {@code OutputStream} view, whose writes this one maps to TCP's exceptions. */
    private final StreamOutputStream out;
    private final byte[] one = new byte[1];

    StreamSocketOutput(final LayerSocketImpl socket, final ByteStream stream) {
        this.socket = socket;
        this.out = new StreamOutputStream(stream);
    }

    @Override
    public void write(final int b) throws IOException {
        one[0] = (byte) b;
        write(one, 0, 1);
    }

    @Override
    public void write(final byte[] b, final int off, final int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        if (socket.outputShut) {
            throw new SocketException("Socket output is shutdown");
        }
        if (len == 0) {
            return;
        }
        if (socket.broken) {
            throw SocketErrors.brokenPipe(new IOException("a region of this connection was cut from outside"));
        }
        try {
            out.write(b, off, len);
            SocketLayer.STATS.sent(len);
        } catch (final StreamPeerGoneException e) {
            throw SocketErrors.brokenPipe(e);
        } catch (final InternalError fault) {
            socket.broken = true;   // cut short at an unknown point: the stream is not touched again
            throw SocketErrors.cut(fault);
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
