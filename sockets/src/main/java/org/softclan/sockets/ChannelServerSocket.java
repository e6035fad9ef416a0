package org.softclan.sockets;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketImpl;
import java.net.SocketOption;
import java.nio.channels.IllegalBlockingModeException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Objects;
import java.util.Set;

/**
 * The {@link ServerSocketChannel#socket() socket()} adaptor of the layer's server socket channel: a
 * {@link ServerSocket} whose bind, accept and close go to the layer's channel, and whose options and
 * address are those of the TCP listener the channel wraps (through that TCP channel's own JDK adaptor).
 *
 * <p>As the JDK's own adaptor: {@link #accept()} needs the channel in blocking mode (else
 * {@link IllegalBlockingModeException}), waits at most the server socket's {@code SO_TIMEOUT}, kept
 * here, and then fails with {@link java.net.SocketTimeoutException}, the server socket staying usable;
 * the socket it returns is the accepted channel's own {@link SocketChannel#socket() socket()} adaptor.
 *
 * <p>{@link ServerSocket} needs an implementation from a subclass (JDK 12 and later reject
 * {@code null}): this one is given an inert one, which no method reaches, since every public method
 * that has state is overridden here.
 */
final class ChannelServerSocket extends ServerSocket {
    /** {@link ServerSocket}'s default backlog, as for {@link ServerSocket#bind(SocketAddress)}. */
    private static final int DEFAULT_BACKLOG = 50;

    private final ServerSocketChannel channel;
    private final TimedChannel timed;
    private final ServerSocket tcp;
    /** {@code SO_TIMEOUT}: how long an accept waits, 0 for forever. */
    private volatile int timeoutMillis;

    /**
     * Makes the adaptor of a server channel.
     *
     * @param channel the layer's server channel
     * @param timed   the same channel, for accepts bounded by {@code SO_TIMEOUT}
     * @param tcp     the JDK adaptor of the TCP server channel that the layer's channel wraps: options and
     *                address
     */
    ChannelServerSocket(final ServerSocketChannel channel, final TimedChannel timed, final ServerSocket tcp) {
        super(new InertImpl());
        this.channel = Objects.requireNonNull(channel, "channel");
        this.timed = Objects.requireNonNull(timed, "timed");
        this.tcp = Objects.requireNonNull(tcp, "tcp");
    }

    @Override
    public void bind(final SocketAddress endpoint) throws IOException {
        bind(endpoint, DEFAULT_BACKLOG);
    }

    @Override
    public void bind(final SocketAddress endpoint, final int backlog) throws IOException {
        try {
            // as ServerSocket: no address is the wildcard address with an ephemeral port
            channel.bind(endpoint == null ? new InetSocketAddress(0) : endpoint, backlog);
        } catch (final RuntimeException e) {
            throw ChannelSocket.socketException(e);
        }
    }

    @Override
    public InetAddress getInetAddress() {
        return tcp.getInetAddress();
    }

    @Override
    public int getLocalPort() {
        return tcp.getLocalPort();
    }

    @Override
    public SocketAddress getLocalSocketAddress() {
        return tcp.getLocalSocketAddress();
    }

    @Override
    public Socket accept() throws IOException {
        final SocketChannel accepted;
        try {
            accepted = timed.accept(timeoutMillis);
        } catch (final RuntimeException e) {
            throw ChannelSocket.socketException(e);
        }
        if (accepted == null) {
            // only a non-blocking accept returns no channel, and the timed accept refuses that mode
            throw new IllegalBlockingModeException();
        }
        return accepted.socket();
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    @Override
    public ServerSocketChannel getChannel() {
        return channel;
    }

    @Override
    public boolean isBound() {
        try {
            return channel.getLocalAddress() != null;
        } catch (final IOException e) {
            // closed: the TCP adaptor still knows whether the listener had a local address
            return tcp.isBound();
        }
    }

    @Override
    public boolean isClosed() {
        return !channel.isOpen();
    }

    @Override
    public void setSoTimeout(final int timeout) throws SocketException {
        ensureOpen();
        if (timeout < 0) {
            throw new IllegalArgumentException("timeout < 0");
        }
        timeoutMillis = timeout;
    }

    @Override
    public int getSoTimeout() throws SocketException {
        ensureOpen();
        return timeoutMillis;
    }

    @Override
    public void setReuseAddress(final boolean on) throws SocketException {
        openTcp().setReuseAddress(on);
    }

    @Override
    public boolean getReuseAddress() throws SocketException {
        return openTcp().getReuseAddress();
    }

    @Override
    public String toString() {
        if (!isBound()) {
            return "ServerSocket[unbound]";
        }
        return "ServerSocket[addr=" + getInetAddress() + ",localport=" + getLocalPort() + "]";
    }

    @Override
    public void setReceiveBufferSize(final int size) throws SocketException {
        openTcp().setReceiveBufferSize(size);
    }

    @Override
    public int getReceiveBufferSize() throws SocketException {
        return openTcp().getReceiveBufferSize();
    }

    @Override
    public <T> ServerSocket setOption(final SocketOption<T> name, final T value) throws IOException {
        Objects.requireNonNull(name, "name");
        openTcp().setOption(name, value);
        return this;
    }

    @Override
    public <T> T getOption(final SocketOption<T> name) throws IOException {
        Objects.requireNonNull(name, "name");
        return openTcp().getOption(name);
    }

    @Override
    public Set<SocketOption<?>> supportedOptions() {
        return tcp.supportedOptions();
    }

    private void ensureOpen() throws SocketException {
        if (!channel.isOpen()) {
            throw new SocketException("Socket is closed");
        }
    }

    /** {@return the TCP adaptor, once this server socket is known to be open} */
    private ServerSocket openTcp() throws SocketException {
        ensureOpen();
        return tcp;
    }

    /**
     * The implementation {@link ServerSocket}'s constructor requires: it holds no socket, and every
     * operation fails (none is reached, as the adaptor overrides every method that would use it).
     */
    private static final class InertImpl extends SocketImpl {
        private static SocketException unsupported() {
            return new SocketException("softclan sockets: a channel's server socket has no socket implementation");
        }

        @Override
        protected void create(final boolean stream) throws IOException {
            throw unsupported();
        }

        @Override
        protected void connect(final String host, final int port) throws IOException {
            throw unsupported();
        }

        @Override
        protected void connect(final InetAddress address, final int port) throws IOException {
            throw unsupported();
        }

        @Override
        protected void connect(final SocketAddress address, final int timeout) throws IOException {
            throw unsupported();
        }

        @Override
        protected void bind(final InetAddress host, final int port) throws IOException {
            throw unsupported();
        }

        @Override
        protected void listen(final int backlog) throws IOException {
            throw unsupported();
        }

        @Override
        protected void accept(final SocketImpl s) throws IOException {
            throw unsupported();
        }

        @Override
        protected InputStream getInputStream() throws IOException {
            throw unsupported();
        }

        @Override
        protected OutputStream getOutputStream() throws IOException {
            throw unsupported();
        }

        @Override
        protected int available() throws IOException {
            throw unsupported();
        }

        @Override
        protected void close() {
            // nothing to close
        }

        @Override
        protected void sendUrgentData(final int data) throws IOException {
            throw unsupported();
        }

        @Override
        public void setOption(final int optID, final Object value) throws SocketException {
            throw unsupported();
        }

        @Override
        public Object getOption(final int optID) throws SocketException {
            throw unsupported();
        }
    }
}
