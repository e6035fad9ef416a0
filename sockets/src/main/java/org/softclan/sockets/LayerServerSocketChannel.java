package org.softclan.sockets;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.IllegalBlockingModeException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Set;
import org.softclan.vmmc.stream.ByteStream;

/**
 * The layer's {@link ServerSocketChannel}: the JDK's own listening channel underneath, and, once bound,
 * the port's byte-stream service in the fabric ({@link ServerBinding}, as for a
 * {@link java.net.ServerSocket}). {@code accept} takes the JDK's next TCP connection and, if its client
 * sent a hello for it and the kernel confirms it ({@link KernelCheck}), gives a {@link LayerSocketChannel}
 * whose data goes through that client's stream; any other connection is plain TCP. Readiness for
 * {@code OP_ACCEPT} is the JDK channel's: a client of the layer connects over TCP after its hello was
 * acked, so its stream is waiting when the connection is accepted.
 */
final class LayerServerSocketChannel extends ServerSocketChannel implements TimedChannel {
    private final LayerSelectorProvider layer;
    private final ServerSocketChannel tcp;
    private volatile ServerBinding binding;
    private volatile FallbackReason reason = FallbackReason.NOT_APPLICABLE;
    private volatile boolean reusePort;
    private ServerSocket adaptor;

    LayerServerSocketChannel(final LayerSelectorProvider provider, final ServerSocketChannel tcp) {
        super(provider);
        this.layer = provider;
        this.tcp = tcp;
    }

    /** {@return the JDK channel underneath (what the selector registers with the JDK's selector)} */
    ServerSocketChannel tcp() {
        return tcp;
    }

    /** {@return why connections to this channel are not accelerated ({@link FallbackReason#ACCELERATED} if they may be)} */
    FallbackReason reason() {
        return reason;
    }

    @Override
    public ServerSocketChannel bind(final SocketAddress local, final int backlog) throws IOException {
        tcp.bind(local, backlog);
        final InetSocketAddress bound = (InetSocketAddress) tcp.getLocalAddress();
        if (reusePort) {
            reason = FallbackReason.NOT_APPLICABLE;   // several processes may share the port: no one owns it
            return this;
        }
        final SocketLayer.Listening l = SocketLayer.listen(bound.getPort(), bound.getAddress(), Descriptors.of(tcp));
        binding = l.binding();
        reason = l.reason();
        return this;
    }

    @Override
    public SocketChannel accept() throws IOException {
        final SocketChannel c;
        try {
            c = tcp.accept();
        } catch (final ClosedByInterruptException e) {
            close();   // the JDK closed its channel: this one with it
            throw e;
        }
        return c == null ? null : wrap(c);
    }

    @Override
    public SocketChannel accept(final int timeoutMillis) throws IOException {
        if (!isBlocking()) {
            throw new IllegalBlockingModeException();
        }
        if (timeoutMillis == 0) {
            return accept();
        }
        // the JDK's adaptor applies SO_TIMEOUT to its channel's accept
        final ServerSocket a = tcp.socket();
        a.setSoTimeout(timeoutMillis);
        final Socket s = a.accept();
        return wrap(s.getChannel());
    }

    private SocketChannel wrap(final SocketChannel c) throws IOException {
        final InetSocketAddress remote = (InetSocketAddress) c.getRemoteAddress();
        final ServerBinding b = binding;
        FallbackReason why;
        ByteStream taken = null;
        if (b == null) {
            why = reason == FallbackReason.ACCELERATED ? FallbackReason.PEER_NOT_ACCELERATED : reason;
        } else if (!SocketLayer.isLocal(remote.getAddress())) {
            why = FallbackReason.REMOTE_HOST;
        } else {
            taken = b.take(remote.getPort(), remote.getAddress());
            why = taken == null ? FallbackReason.PEER_NOT_ACCELERATED : FallbackReason.ACCELERATED;
        }
        try {
            final LayerSocketChannel ch = new LayerSocketChannel(layer, c, taken);
            if (taken == null) {
                SocketLayer.STATS.fellBack(why);
            }
            return ch;
        } catch (final IOException | RuntimeException e) {
            if (taken != null) {
                taken.close();
            }
            c.close();
            throw e;
        }
    }

    @Override
    public <T> ServerSocketChannel setOption(final SocketOption<T> name, final T value) throws IOException {
        tcp.setOption(name, value);
        if (name == StandardSocketOptions.SO_REUSEPORT && Boolean.TRUE.equals(value)) {
            reusePort = true;
        }
        return this;
    }

    @Override
    public <T> T getOption(final SocketOption<T> name) throws IOException {
        return tcp.getOption(name);
    }

    @Override
    public Set<SocketOption<?>> supportedOptions() {
        return tcp.supportedOptions();
    }

    @Override
    public synchronized ServerSocket socket() {
        if (adaptor == null) {
            adaptor = new ChannelServerSocket(this, this, tcp.socket());
        }
        return adaptor;
    }

    @Override
    public SocketAddress getLocalAddress() throws IOException {
        return tcp.getLocalAddress();
    }

    @Override
    public int read(final ByteBuffer dst, final int timeoutMillis) {
        throw new UnsupportedOperationException("a server socket channel reads nothing");
    }

    @Override
    protected void implCloseSelectableChannel() throws IOException {
        final ServerBinding b = binding;
        if (b != null) {
            b.close();
        }
        tcp.close();
    }

    @Override
    protected void implConfigureBlocking(final boolean block) throws IOException {
        tcp.configureBlocking(block);
    }

    @Override
    public String toString() {
        return "softclan " + tcp + " [" + reason + "]";
    }
}
