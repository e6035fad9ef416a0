package org.softclan.sockets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketOption;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.IllegalBlockingModeException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.SelectorProvider;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The channels' socket adaptors ({@link ChannelSocket}, {@link ChannelServerSocket}) over fake layer
 * channels that wrap the JDK's own TCP channels on loopback: the streams carry the bytes, {@code SO_TIMEOUT}
 * bounds reads and accepts and leaves the socket usable, shutdowns and close reach the channel and the
 * peer, options and addresses are the TCP connection's.
 */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class ChannelSocketTest {
    private FakeServerChannel server;
    private ServerSocket listener;
    private FakeChannel client;
    private Socket clientSocket;
    private Socket serverSocket;

    @BeforeEach
    void setUp() throws IOException {
        server = new FakeServerChannel(ServerSocketChannel.open());
        listener = server.socket();
        listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        client = new FakeChannel(SocketChannel.open());
        clientSocket = client.socket();
        clientSocket.connect(listener.getLocalSocketAddress(), 10_000);
        serverSocket = listener.accept();
    }

    @AfterEach
    void tearDown() throws IOException {
        for (final AutoCloseable c : new AutoCloseable[] {serverSocket, clientSocket, listener}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (final Exception e) {
                // the test's own failure matters more
            }
        }
    }

    @Test
    void theAdaptorsAreTheChannelsOwn() {
        assertInstanceOf(ChannelServerSocket.class, listener);
        assertInstanceOf(ChannelSocket.class, clientSocket);
        assertInstanceOf(ChannelSocket.class, serverSocket, "accept gives the accepted channel's adaptor");
        assertSame(client, clientSocket.getChannel());
        assertSame(server, listener.getChannel());
        assertInstanceOf(FakeChannel.class, serverSocket.getChannel());
        assertSame(serverSocket, serverSocket.getChannel().socket());
        assertTrue(clientSocket.isConnected() && clientSocket.isBound() && !clientSocket.isClosed());
        assertTrue(serverSocket.isConnected() && serverSocket.isBound() && !serverSocket.isClosed());
        assertTrue(listener.isBound() && !listener.isClosed());
        assertFalse(clientSocket.isInputShutdown() || clientSocket.isOutputShutdown());
    }

    @Test
    void theStreamsCarryTheBytesBothWays() throws Exception {
        final byte[] sent = new byte[1 << 20];
        new Random(42).nextBytes(sent);
        final OutputStream out = clientSocket.getOutputStream();
        final CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try {
                out.write(sent, 0, 7);
                out.write(sent[7]);
                out.write(sent, 8, sent.length - 8);
                out.flush();
            } catch (final IOException e) {
                throw new RuntimeException(e);
            }
        });
        final InputStream in = serverSocket.getInputStream();
        final byte[] got = new byte[sent.length];
        assertEquals(sent[0] & 0xFF, in.read(), "a one-byte read");
        got[0] = sent[0];
        readFully(in, got, 1, got.length - 1);
        writer.get(30, TimeUnit.SECONDS);
        assertArrayEquals(sent, got);
        assertEquals(0, in.read(new byte[4], 2, 0), "a read of no bytes");

        serverSocket.getOutputStream().write(new byte[] {1, 2, 3});
        final byte[] back = new byte[3];
        readFully(clientSocket.getInputStream(), back, 0, 3);
        assertArrayEquals(new byte[] {1, 2, 3}, back);
        assertEquals(0, clientSocket.getInputStream().available(), "available may be 0");
    }

    @Test
    void aReadTimeoutIsASocketTimeoutExceptionAndTheSocketStaysUsable() throws Exception {
        serverSocket.setSoTimeout(300);
        assertEquals(300, serverSocket.getSoTimeout());
        final InputStream in = serverSocket.getInputStream();
        final long t0 = System.nanoTime();
        assertThrows(SocketTimeoutException.class, () -> in.read(new byte[10]));
        final long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms >= 250, "the read gave up after " + ms + " ms, before its 300-ms timeout");
        assertFalse(serverSocket.isClosed());

        clientSocket.getOutputStream().write(new byte[] {9, 8});
        final byte[] got = new byte[2];
        readFully(in, got, 0, 2);
        assertArrayEquals(new byte[] {9, 8}, got, "the socket reads on after a timeout");
        assertThrows(IllegalArgumentException.class, () -> serverSocket.setSoTimeout(-1));
    }

    @Test
    void shutdownOutputIsThePeersEndOfStreamAndTheOtherDirectionGoesOn() throws Exception {
        clientSocket.getOutputStream().write(new byte[] {1, 2, 3});
        clientSocket.shutdownOutput();
        assertTrue(clientSocket.isOutputShutdown());
        assertFalse(clientSocket.isInputShutdown());
        assertThrows(SocketException.class, clientSocket::getOutputStream);

        final InputStream in = serverSocket.getInputStream();
        final byte[] got = new byte[3];
        readFully(in, got, 0, 3);
        assertArrayEquals(new byte[] {1, 2, 3}, got);
        assertEquals(-1, in.read(), "the peer's shutdownOutput is the end of the stream");

        serverSocket.getOutputStream().write(42);
        assertEquals(42, clientSocket.getInputStream().read(), "the other direction goes on");

        clientSocket.shutdownInput();
        assertTrue(clientSocket.isInputShutdown());
        assertThrows(SocketException.class, clientSocket::getInputStream);
    }

    @Test
    void closeClosesTheChannelAndIsThePeersEndOfStream() throws Exception {
        final InputStream clientIn = clientSocket.getInputStream();
        clientSocket.close();
        assertTrue(clientSocket.isClosed());
        assertFalse(client.isOpen(), "the channel is closed");
        assertTrue(clientSocket.isBound(), "a closed socket stays bound");
        assertEquals(-1, serverSocket.getInputStream().read(), "the close is the peer's end of stream");
        assertThrows(SocketException.class, clientSocket::getInputStream);
        assertThrows(SocketException.class, clientSocket::getOutputStream);
        assertThrows(SocketException.class, () -> clientSocket.setSoTimeout(10));
        assertThrows(SocketException.class, () -> clientSocket.getTcpNoDelay());
        assertThrows(IOException.class, () -> clientIn.read());

        // closing either stream closes the socket
        serverSocket.getInputStream().close();
        assertTrue(serverSocket.isClosed());
        assertFalse(serverSocket.getChannel().isOpen());

        listener.close();
        assertTrue(listener.isClosed());
        assertFalse(server.isOpen());
        assertTrue(listener.isBound(), "a closed server socket stays bound");
        assertThrows(SocketException.class, () -> listener.setSoTimeout(10));
    }

    @Test
    void addressesAreTheTcpConnections() {
        final Socket tcp = client.tcp.socket();
        assertEquals(tcp.getInetAddress(), clientSocket.getInetAddress());
        assertEquals(tcp.getPort(), clientSocket.getPort());
        assertEquals(tcp.getLocalAddress(), clientSocket.getLocalAddress());
        assertEquals(tcp.getLocalPort(), clientSocket.getLocalPort());
        assertEquals(tcp.getRemoteSocketAddress(), clientSocket.getRemoteSocketAddress());
        assertEquals(tcp.getLocalSocketAddress(), clientSocket.getLocalSocketAddress());

        // and they are the right ones: each end's remote address is the other's local address
        assertEquals(listener.getLocalPort(), clientSocket.getPort());
        assertEquals(listener.getLocalSocketAddress(), clientSocket.getRemoteSocketAddress());
        assertEquals(clientSocket.getLocalSocketAddress(), serverSocket.getRemoteSocketAddress());
        assertEquals(serverSocket.getLocalSocketAddress(), clientSocket.getRemoteSocketAddress());
        assertEquals(InetAddress.getLoopbackAddress(), clientSocket.getInetAddress());

        final ServerSocket tcpListener = server.tcp.socket();
        assertEquals(tcpListener.getInetAddress(), listener.getInetAddress());
        assertEquals(tcpListener.getLocalPort(), listener.getLocalPort());
        assertEquals(tcpListener.getLocalSocketAddress(), listener.getLocalSocketAddress());

        assertEquals("Socket[addr=" + clientSocket.getInetAddress() + ",port=" + clientSocket.getPort()
            + ",localport=" + clientSocket.getLocalPort() + "]", clientSocket.toString());
        assertEquals("ServerSocket[addr=" + listener.getInetAddress() + ",localport=" + listener.getLocalPort()
            + "]", listener.toString());
    }

    @Test
    void optionsAreTheTcpConnections() throws IOException {
        final SocketChannel tcp = client.tcp;
        clientSocket.setTcpNoDelay(true);
        assertTrue(tcp.getOption(StandardSocketOptions.TCP_NODELAY));
        assertTrue(clientSocket.getTcpNoDelay());
        clientSocket.setTcpNoDelay(false);
        assertFalse(tcp.getOption(StandardSocketOptions.TCP_NODELAY));

        clientSocket.setKeepAlive(true);
        assertTrue(tcp.getOption(StandardSocketOptions.SO_KEEPALIVE));
        assertTrue(clientSocket.getKeepAlive());

        clientSocket.setSoLinger(true, 7);
        assertEquals(7, tcp.getOption(StandardSocketOptions.SO_LINGER));
        assertEquals(7, clientSocket.getSoLinger());
        clientSocket.setSoLinger(false, 0);
        assertEquals(-1, clientSocket.getSoLinger());

        clientSocket.setSendBufferSize(64 * 1024);
        assertEquals(tcp.getOption(StandardSocketOptions.SO_SNDBUF), clientSocket.getSendBufferSize());
        clientSocket.setReceiveBufferSize(64 * 1024);
        assertEquals(tcp.getOption(StandardSocketOptions.SO_RCVBUF), clientSocket.getReceiveBufferSize());
        assertThrows(IllegalArgumentException.class, () -> clientSocket.setSendBufferSize(0));

        clientSocket.setReuseAddress(true);
        assertTrue(tcp.getOption(StandardSocketOptions.SO_REUSEADDR));
        assertTrue(clientSocket.getReuseAddress());

        clientSocket.setOOBInline(true);
        assertTrue(tcp.socket().getOOBInline());
        assertTrue(clientSocket.getOOBInline());

        clientSocket.setTrafficClass(0x10);
        assertEquals(tcp.socket().getTrafficClass(), clientSocket.getTrafficClass());

        assertSame(clientSocket, clientSocket.setOption(StandardSocketOptions.SO_KEEPALIVE, false));
        assertFalse(tcp.getOption(StandardSocketOptions.SO_KEEPALIVE));
        assertFalse(clientSocket.getOption(StandardSocketOptions.SO_KEEPALIVE));
        assertEquals(tcp.supportedOptions(), clientSocket.supportedOptions());

        clientSocket.setSoTimeout(1234);
        assertEquals(1234, clientSocket.getSoTimeout(), "SO_TIMEOUT is kept by the adaptor");

        final ServerSocketChannel tcpListener = server.tcp;
        listener.setReuseAddress(true);
        assertTrue(tcpListener.getOption(StandardSocketOptions.SO_REUSEADDR));
        assertTrue(listener.getReuseAddress());
        listener.setReceiveBufferSize(32 * 1024);
        assertEquals(tcpListener.getOption(StandardSocketOptions.SO_RCVBUF), listener.getReceiveBufferSize());
        assertSame(listener, listener.setOption(StandardSocketOptions.SO_RCVBUF, 48 * 1024));
        assertEquals(tcpListener.getOption(StandardSocketOptions.SO_RCVBUF),
            listener.getOption(StandardSocketOptions.SO_RCVBUF));
        assertEquals(tcpListener.supportedOptions(), listener.supportedOptions());

        assertThrows(SocketException.class, () -> clientSocket.sendUrgentData(1));
    }

    @Test
    void anAcceptTimeoutIsASocketTimeoutExceptionAndTheServerSocketStaysUsable() throws IOException {
        listener.setSoTimeout(300);
        assertEquals(300, listener.getSoTimeout());
        final long t0 = System.nanoTime();
        assertThrows(SocketTimeoutException.class, listener::accept);
        final long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms >= 250, "the accept gave up after " + ms + " ms, before its 300-ms timeout");
        assertFalse(listener.isClosed());

        try (Socket another = new FakeChannel(SocketChannel.open()).socket()) {
            another.connect(listener.getLocalSocketAddress());
            try (Socket accepted = listener.accept()) {
                assertEquals(another.getLocalSocketAddress(), accepted.getRemoteSocketAddress());
            }
        }
    }

    @Test
    void aNonBlockingChannelsStreamsAndConnectThrowIllegalBlockingMode() throws IOException {
        final InputStream in = clientSocket.getInputStream();
        final OutputStream out = clientSocket.getOutputStream();
        client.configureBlocking(false);
        assertThrows(IllegalBlockingModeException.class, () -> in.read(new byte[1]));
        assertThrows(IllegalBlockingModeException.class, () -> out.write(new byte[1]));
        client.configureBlocking(true);
        out.write(5);
        assertEquals(5, serverSocket.getInputStream().read());

        try (FakeChannel nonBlocking = new FakeChannel(SocketChannel.open())) {
            nonBlocking.configureBlocking(false);
            assertThrows(IllegalBlockingModeException.class,
                () -> nonBlocking.socket().connect(listener.getLocalSocketAddress(), 1000));
        }
        server.configureBlocking(false);
        assertThrows(IllegalBlockingModeException.class, listener::accept);
    }

    @Test
    void anUnconnectedSocketIsUnboundUntilBound() throws IOException {
        try (FakeChannel channel = new FakeChannel(SocketChannel.open())) {
            final Socket s = channel.socket();
            assertFalse(s.isConnected());
            assertFalse(s.isBound());
            assertFalse(s.isClosed());
            assertEquals("Socket[unconnected]", s.toString());
            assertThrows(SocketException.class, s::getInputStream);
            assertThrows(SocketException.class, s::getOutputStream);
            assertThrows(IllegalArgumentException.class, () -> s.connect(null));
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            assertTrue(s.isBound());
            assertEquals(channel.tcp.socket().getLocalPort(), s.getLocalPort());
            assertTrue(s.getLocalPort() > 0);
            assertThrows(SocketException.class,
                () -> s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)), "already bound");
        }
        try (FakeServerChannel channel = new FakeServerChannel(ServerSocketChannel.open())) {
            final ServerSocket s = channel.socket();
            assertFalse(s.isBound());
            assertEquals("ServerSocket[unbound]", s.toString());
            s.bind(null);
            assertTrue(s.isBound());
            assertTrue(s.getLocalPort() > 0);
        }
    }

    @Test
    void everyPublicMethodOfSocketAndServerSocketIsOverridden() {
        // the adaptors have no implementation of java.net's to fall back on (ChannelSocket none,
        // ChannelServerSocket an inert one): every public instance method of the running JDK's classes is
        // overridden, but setPerformancePreferences, which is a no-op in JDK 17 to 25
        for (final Class<?>[] pair : new Class<?>[][] {{Socket.class, ChannelSocket.class},
                {ServerSocket.class, ChannelServerSocket.class}}) {
            for (final Method m : pair[0].getDeclaredMethods()) {
                final int mod = m.getModifiers();
                if (!Modifier.isPublic(mod) || Modifier.isStatic(mod) || m.getName().equals("setPerformancePreferences")) {
                    continue;
                }
                try {
                    assertEquals(pair[1], pair[1].getMethod(m.getName(), m.getParameterTypes()).getDeclaringClass(),
                        pair[1].getSimpleName() + " overrides " + m);
                } catch (final NoSuchMethodException e) {
                    throw new AssertionError(e);
                }
            }
        }
        clientSocket.setPerformancePreferences(1, 2, 3);
        listener.setPerformancePreferences(1, 2, 3);
    }

    private static void readFully(final InputStream in, final byte[] b, final int off, final int len)
            throws IOException {
        int done = 0;
        while (done < len) {
            final int n = in.read(b, off + done, len - done);
            assertTrue(n > 0, "the stream ended after " + done + " of " + len + " bytes");
            done += n;
        }
    }

    /**
     * A stand-in for the layer's socket channel: the JDK's TCP channel, its timed reads through that
     * channel's own adaptor (whose reads honour its {@code SO_TIMEOUT}).
     */
    static final class FakeChannel extends SocketChannel implements TimedChannel {
        final SocketChannel tcp;
        private Socket socket;

        FakeChannel(final SocketChannel tcp) {
            super(SelectorProvider.provider());
            this.tcp = tcp;
        }

        @Override
        public int read(final ByteBuffer dst, final int timeoutMillis) throws IOException {
            if (!isBlocking()) {
                throw new IllegalBlockingModeException();
            }
            final Socket s = tcp.socket();
            s.setSoTimeout(timeoutMillis);
            final byte[] b = new byte[dst.remaining()];
            final int n = s.getInputStream().read(b);
            if (n > 0) {
                dst.put(b, 0, n);
            }
            return n;
        }

        @Override
        public SocketChannel accept(final int timeoutMillis) {
            throw new UnsupportedOperationException("not a server channel");
        }

        @Override
        public synchronized Socket socket() {
            if (socket == null) {
                socket = ChannelSocket.create(this, this, tcp.socket());
            }
            return socket;
        }

        @Override
        public SocketChannel bind(final SocketAddress local) throws IOException {
            tcp.bind(local);
            return this;
        }

        @Override
        public <T> SocketChannel setOption(final SocketOption<T> name, final T value) throws IOException {
            tcp.setOption(name, value);
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
        public SocketChannel shutdownInput() throws IOException {
            tcp.shutdownInput();
            return this;
        }

        @Override
        public SocketChannel shutdownOutput() throws IOException {
            tcp.shutdownOutput();
            return this;
        }

        @Override
        public boolean isConnected() {
            return tcp.isConnected();
        }

        @Override
        public boolean isConnectionPending() {
            return tcp.isConnectionPending();
        }

        @Override
        public boolean connect(final SocketAddress remote) throws IOException {
            return tcp.connect(remote);
        }

        @Override
        public boolean finishConnect() throws IOException {
            return tcp.finishConnect();
        }

        @Override
        public SocketAddress getRemoteAddress() throws IOException {
            return tcp.getRemoteAddress();
        }

        @Override
        public SocketAddress getLocalAddress() throws IOException {
            return tcp.getLocalAddress();
        }

        @Override
        public int read(final ByteBuffer dst) throws IOException {
            return tcp.read(dst);
        }

        @Override
        public long read(final ByteBuffer[] dsts, final int offset, final int length) throws IOException {
            return tcp.read(dsts, offset, length);
        }

        @Override
        public int write(final ByteBuffer src) throws IOException {
            return tcp.write(src);
        }

        @Override
        public long write(final ByteBuffer[] srcs, final int offset, final int length) throws IOException {
            return tcp.write(srcs, offset, length);
        }

        @Override
        protected void implCloseSelectableChannel() throws IOException {
            tcp.close();
        }

        @Override
        protected void implConfigureBlocking(final boolean block) throws IOException {
            tcp.configureBlocking(block);
        }
    }

    /**
     * A stand-in for the layer's server socket channel: the JDK's TCP server channel, its timed accepts
     * through that channel's own adaptor (whose accepts honour its {@code SO_TIMEOUT}).
     */
    static final class FakeServerChannel extends ServerSocketChannel implements TimedChannel {
        final ServerSocketChannel tcp;
        private ServerSocket socket;

        FakeServerChannel(final ServerSocketChannel tcp) {
            super(SelectorProvider.provider());
            this.tcp = tcp;
        }

        @Override
        public SocketChannel accept(final int timeoutMillis) throws IOException {
            if (!isBlocking()) {
                throw new IllegalBlockingModeException();
            }
            final ServerSocket s = tcp.socket();
            s.setSoTimeout(timeoutMillis);
            return new FakeChannel(s.accept().getChannel());
        }

        @Override
        public int read(final ByteBuffer dst, final int timeoutMillis) {
            throw new UnsupportedOperationException("a server channel");
        }

        @Override
        public synchronized ServerSocket socket() {
            if (socket == null) {
                socket = new ChannelServerSocket(this, this, tcp.socket());
            }
            return socket;
        }

        @Override
        public SocketChannel accept() throws IOException {
            final SocketChannel c = tcp.accept();
            return c == null ? null : new FakeChannel(c);
        }

        @Override
        public ServerSocketChannel bind(final SocketAddress local, final int backlog) throws IOException {
            tcp.bind(local, backlog);
            return this;
        }

        @Override
        public <T> ServerSocketChannel setOption(final SocketOption<T> name, final T value) throws IOException {
            tcp.setOption(name, value);
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
        public SocketAddress getLocalAddress() throws IOException {
            return tcp.getLocalAddress();
        }

        @Override
        protected void implCloseSelectableChannel() throws IOException {
            tcp.close();
        }

        @Override
        protected void implConfigureBlocking(final boolean block) throws IOException {
            tcp.configureBlocking(block);
        }
    }
}
