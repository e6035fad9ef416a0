package org.softclan.sockets;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketImpl;
import java.net.SocketOption;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.AlreadyBoundException;
import java.nio.channels.AlreadyConnectedException;
import java.nio.channels.IllegalBlockingModeException;
import java.nio.channels.NotYetBoundException;
import java.nio.channels.NotYetConnectedException;
import java.nio.channels.SocketChannel;
import java.nio.channels.UnresolvedAddressException;
import java.nio.channels.UnsupportedAddressTypeException;
import java.util.Objects;
import java.util.Set;

/**
 * The {@link SocketChannel#socket() socket()} adaptor of the layer's socket channel: a {@link Socket}
 * whose data, connect, bind, shutdowns and close go to the layer's channel, and whose options and
 * addresses are those of the TCP connection the channel wraps (through that TCP channel's own JDK
 * adaptor, which knows them exactly).
 *
 * <p>As the JDK's own adaptor: the socket's streams need the channel in blocking mode (else
 * {@link IllegalBlockingModeException}); a read waits at most the socket's {@code SO_TIMEOUT}, kept
 * here, and then fails with {@link java.net.SocketTimeoutException}, the socket staying usable;
 * {@code available()} is 0 (the layer's channel cannot say how many bytes wait without reading them);
 * closing either stream closes the socket. What the channel itself throws from a read or a write goes to
 * the program unchanged, as from the JDK's adaptor; the unchecked exceptions of the channel API
 * ({@link AlreadyBoundException} and the like) become the {@link SocketException}s a socket throws.
 *
 * <p>The socket has no {@link SocketImpl} (the JDK allows none for a subclass of
 * {@link Socket}): every public method that has state is overridden here.
 */
final class ChannelSocket extends Socket {
    private final SocketChannel channel;
    private final TimedChannel timed;
    private final Socket tcp;
    private final InputStream in = new ChannelInput();
    private final OutputStream out = new ChannelOutput();
    /** {@code SO_TIMEOUT}: how long a read of the input stream waits, 0 for forever. */
    private volatile int timeoutMillis;
    /** Whether {@link #shutdownInput()} was called here (the channel has no public query for it). */
    private volatile boolean inputShut;
    /** Whether {@link #shutdownOutput()} was called here (the channel has no public query for it). */
    private volatile boolean outputShut;

    /**
     * Makes the adaptor of a channel.
     *
     * @param channel the layer's channel
     * @param timed   the same channel, for reads bounded by {@code SO_TIMEOUT}
     * @param tcp     the JDK adaptor of the TCP channel that the layer's channel wraps: options and
     *                addresses
     * @throws SocketException never: {@link Socket#Socket(SocketImpl)} declares it, but with no
     *                         implementation it neither makes one nor throws (JDK 17 to 25)
     */
    ChannelSocket(final SocketChannel channel, final TimedChannel timed, final Socket tcp) throws SocketException {
        super((SocketImpl) null);
        this.channel = Objects.requireNonNull(channel, "channel");
        this.timed = Objects.requireNonNull(timed, "timed");
        this.tcp = Objects.requireNonNull(tcp, "tcp");
    }

    /**
     * Makes the adaptor of a channel, as the constructor but without its checked exception (for a
     * channel's {@code socket()}, which declares none).
     *
     * @param channel the layer's channel
     * @param timed   the same channel, for reads bounded by {@code SO_TIMEOUT}
     * @param tcp     the JDK adaptor of the TCP channel that the layer's channel wraps
     * @return the adaptor
     */
    static ChannelSocket create(final SocketChannel channel, final TimedChannel timed, final Socket tcp) {
        try {
            return new ChannelSocket(channel, timed, tcp);
        } catch (final SocketException e) {
            throw new InternalError("java.net.Socket(SocketImpl) failed with no implementation", e);
        }
    }

    // ---------------------------------------------------------------- connect, bind

    @Override
    public void connect(final SocketAddress endpoint) throws IOException {
        connect(endpoint, 0);
    }

    /**
     * Connects through the channel, which must be in blocking mode.
     *
     * <p>The timeout is not applied: the layer's channel has no timed connect ({@link TimedChannel}
     * bounds reads and accepts only), and a blocking {@link SocketChannel#connect} waits until the
     * connection is made or refused, or until the operating system gives up on an unanswered one. The
     * layer's connections are local, where a connect is answered (or refused) at once.
     */
    @Override
    public void connect(final SocketAddress endpoint, final int timeout) throws IOException {
        if (endpoint == null) {
            throw new IllegalArgumentException("connect: The address can't be null");
        }
        if (timeout < 0) {
            throw new IllegalArgumentException("connect: timeout can't be negative");
        }
        if (!channel.isBlocking()) {
            throw new IllegalBlockingModeException();
        }
        try {
            if (!channel.connect(endpoint)) {
                channel.finishConnect();   // not expected in blocking mode, where connect returns connected
            }
        } catch (final IOException e) {
            closeAfter(e);   // a failed connect closes the socket (the channel's own connect does too)
            throw e;
        } catch (final UnresolvedAddressException e) {
            final UnknownHostException u = new UnknownHostException(
                endpoint instanceof InetSocketAddress a ? a.getHostString() : endpoint.toString());
            u.initCause(e);
            closeAfter(u);
            throw u;
        } catch (final RuntimeException e) {
            throw socketException(e);
        }
    }

    @Override
    public void bind(final SocketAddress bindpoint) throws IOException {
        try {
            channel.bind(bindpoint);
        } catch (final RuntimeException e) {
            throw socketException(e);
        }
    }

    // ---------------------------------------------------------------- addresses: the TCP connection's

    @Override
    public InetAddress getInetAddress() {
        return tcp.getInetAddress();
    }

    @Override
    public InetAddress getLocalAddress() {
        return tcp.getLocalAddress();
    }

    @Override
    public int getPort() {
        return tcp.getPort();
    }

    @Override
    public int getLocalPort() {
        return tcp.getLocalPort();
    }

    @Override
    public SocketAddress getRemoteSocketAddress() {
        return tcp.getRemoteSocketAddress();
    }

    @Override
    public SocketAddress getLocalSocketAddress() {
        return tcp.getLocalSocketAddress();
    }

    @Override
    public SocketChannel getChannel() {
        return channel;
    }

    // ---------------------------------------------------------------- streams: the channel's

    @Override
    public InputStream getInputStream() throws IOException {
        ensureOpen();
        if (!channel.isConnected()) {
            throw new SocketException("Socket is not connected");
        }
        if (isInputShutdown()) {
            throw new SocketException("Socket input is shutdown");
        }
        return in;
    }

    @Override
    public OutputStream getOutputStream() throws IOException {
        ensureOpen();
        if (!channel.isConnected()) {
            throw new SocketException("Socket is not connected");
        }
        if (isOutputShutdown()) {
            throw new SocketException("Socket output is shutdown");
        }
        return out;
    }

    // ---------------------------------------------------------------- options: the TCP connection's

    @Override
    public void setTcpNoDelay(final boolean on) throws SocketException {
        openTcp().setTcpNoDelay(on);
    }

    @Override
    public boolean getTcpNoDelay() throws SocketException {
        return openTcp().getTcpNoDelay();
    }

    @Override
    public void setSoLinger(final boolean on, final int linger) throws SocketException {
        openTcp().setSoLinger(on, linger);
    }

    @Override
    public int getSoLinger() throws SocketException {
        return openTcp().getSoLinger();
    }

    /**
     * Not supported: urgent data would go on the TCP connection, which does not carry the data of a
     * connection through shared memory (and this adaptor cannot tell whether the channel's does).
     */
    @Override
    public void sendUrgentData(final int data) throws IOException {
        ensureOpen();
        throw new SocketException("softclan sockets: urgent data is not supported on a channel's socket");
    }

    @Override
    public void setOOBInline(final boolean on) throws SocketException {
        openTcp().setOOBInline(on);
    }

    @Override
    public boolean getOOBInline() throws SocketException {
        return openTcp().getOOBInline();
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
    public void setSendBufferSize(final int size) throws SocketException {
        openTcp().setSendBufferSize(size);
    }

    @Override
    public int getSendBufferSize() throws SocketException {
        return openTcp().getSendBufferSize();
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
    public void setKeepAlive(final boolean on) throws SocketException {
        openTcp().setKeepAlive(on);
    }

    @Override
    public boolean getKeepAlive() throws SocketException {
        return openTcp().getKeepAlive();
    }

    @Override
    public void setTrafficClass(final int tc) throws SocketException {
        openTcp().setTrafficClass(tc);
    }

    @Override
    public int getTrafficClass() throws SocketException {
        return openTcp().getTrafficClass();
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
    public <T> Socket setOption(final SocketOption<T> name, final T value) throws IOException {
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

    // ---------------------------------------------------------------- close, shutdown, state: the channel's

    @Override
    public void close() throws IOException {
        channel.close();
    }

    @Override
    public void shutdownInput() throws IOException {
        try {
            channel.shutdownInput();
        } catch (final RuntimeException e) {
            throw socketException(e);
        }
        inputShut = true;
    }

    @Override
    public void shutdownOutput() throws IOException {
        try {
            channel.shutdownOutput();
        } catch (final RuntimeException e) {
            throw socketException(e);
        }
        outputShut = true;
    }

    @Override
    public String toString() {
        if (isConnected()) {
            return "Socket[addr=" + getInetAddress() + ",port=" + getPort() + ",localport=" + getLocalPort() + "]";
        }
        return "Socket[unconnected]";
    }

    @Override
    public boolean isConnected() {
        return channel.isConnected();
    }

    @Override
    public boolean isBound() {
        try {
            return channel.getLocalAddress() != null;
        } catch (final IOException e) {
            // closed: the TCP adaptor still knows whether the connection had a local address
            return tcp.isBound();
        }
    }

    @Override
    public boolean isClosed() {
        return !channel.isOpen();
    }

    /** Shut down through this socket, or on the TCP connection (the layer shuts both down). */
    @Override
    public boolean isInputShutdown() {
        return inputShut || tcp.isInputShutdown();
    }

    /** Shut down through this socket, or on the TCP connection (the layer shuts both down). */
    @Override
    public boolean isOutputShutdown() {
        return outputShut || tcp.isOutputShutdown();
    }

    // ---------------------------------------------------------------- helpers

    private void ensureOpen() throws SocketException {
        if (!channel.isOpen()) {
            throw new SocketException("Socket is closed");
        }
    }

    /** {@return the TCP adaptor, once this socket is known to be open} */
    private Socket openTcp() throws SocketException {
        ensureOpen();
        return tcp;
    }

    private void closeAfter(final Exception failure) {
        try {
            channel.close();
        } catch (final IOException e) {
            failure.addSuppressed(e);
        }
    }

    /**
     * Translates an unchecked exception of the channel API into the {@link SocketException} that
     * {@code java.net} throws for the same case, as the JDK's own adaptors do; other exceptions
     * (among them {@link IllegalBlockingModeException}, which sockets throw too) are thrown unchanged.
     *
     * @param e what the channel threw
     * @return the socket's exception, to throw
     */
    static SocketException socketException(final RuntimeException e) {
        final String message;
        if (e instanceof AlreadyBoundException) {
            message = "Already bound";
        } else if (e instanceof AlreadyConnectedException) {
            message = "Already connected";
        } else if (e instanceof NotYetConnectedException) {
            message = "Socket is not connected";
        } else if (e instanceof NotYetBoundException) {
            message = "Socket is not bound yet";
        } else if (e instanceof UnsupportedAddressTypeException) {
            message = "Unsupported address type";
        } else if (e instanceof UnresolvedAddressException) {
            message = "Unresolved address";
        } else {
            throw e;
        }
        final SocketException s = new SocketException(message);
        s.initCause(e);
        return s;
    }

    /** The socket's input: blocking reads of the channel, each bounded by {@code SO_TIMEOUT}. */
    private final class ChannelInput extends InputStream {
        @Override
        public int read() throws IOException {
            final byte[] one = new byte[1];
            final int n = read(one, 0, 1);
            return n > 0 ? one[0] & 0xFF : -1;
        }

        @Override
        public int read(final byte[] b, final int off, final int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            if (len == 0) {
                return 0;
            }
            if (channel.isOpen() && !channel.isBlocking()) {
                throw new IllegalBlockingModeException();
            }
            return timed.read(ByteBuffer.wrap(b, off, len), timeoutMillis);
        }

        /** {@return 0 while the socket is open: the channel cannot tell what waits without reading it} */
        @Override
        public int available() throws IOException {
            ensureOpen();
            return 0;
        }

        @Override
        public void close() throws IOException {
            ChannelSocket.this.close();
        }
    }

    /** The socket's output: blocking writes of the channel, each until every byte is written. */
    private final class ChannelOutput extends OutputStream {
        @Override
        public void write(final int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(final byte[] b, final int off, final int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            if (len == 0) {
                return;
            }
            if (channel.isOpen() && !channel.isBlocking()) {
                throw new IllegalBlockingModeException();
            }
            final ByteBuffer buf = ByteBuffer.wrap(b, off, len);
            while (buf.hasRemaining()) {
                // a blocking write writes everything, but a channel may return early: write the rest
                if (channel.write(buf) == 0 && !channel.isBlocking()) {
                    throw new IllegalBlockingModeException();   // made non-blocking during the write
                }
            }
        }

        @Override
        public void close() throws IOException {
            ChannelSocket.this.close();
        }
    }
}
