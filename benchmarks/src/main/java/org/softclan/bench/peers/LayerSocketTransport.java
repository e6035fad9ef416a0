package org.softclan.bench.peers;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.SelectorProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.softclan.sockets.LayerSelectorProvider;
import org.softclan.sockets.SocketLayer;
import org.softclan.sockets.SocketsAgent;

/**
 * The socket code of an unchanged program, over TCP loopback with {@code TCP_NODELAY}, with and without the
 * socket layer. {@code socket}, {@code socket-fallback} and {@code socket-layer}: blocking {@link Socket}
 * streams ({@code java.net}, as an unchanged program writes them). {@code nio}, {@code nio-fallback} and
 * {@code nio-layer}: non-blocking {@link SocketChannel}s and a {@link Selector} on both sides (an event loop's
 * way). The plain ones are the JDK's own; the {@code -layer} ones are the same code in JVMs started with the
 * socket layer's agent ({@code -javaagent}), whose sockets, and whose {@code SocketChannel.open()},
 * {@code ServerSocketChannel.open()} and {@code Selector.open()}, give the layer's, so the connection goes
 * through shared memory; the {@code -fallback} ones have the agent with the layer switched off
 * ({@code -Dsoftclan.sockets.enabled=false}), so every call goes through the layer's implementation and the
 * data over TCP: what a connection that falls back costs. The client writes the whole payload, then reads
 * (NIO: selects and reads) until it has the whole response; the echo side reads the whole request, then
 * writes it back. A NIO write that is short (the peer's buffer full) waits for {@link SelectionKey#OP_WRITE}
 * before it writes the rest.
 *
 * <p>The layer needs the agent before {@code main}: {@code bench compare} starts the measuring JVM of a
 * layered transport with it ({@link #jvmArgs}), and that JVM's echo child inherits it (a child JVM takes its
 * parent's JVM arguments). A {@code pingpong} of one started without it fails at once, saying so, rather than
 * measure TCP under the layer's name; {@code socket-layer} and {@code nio-layer} also fail if their
 * connection did not go through shared memory.
 */
final class LayerSocketTransport extends PeerTransport {
    /** Which of the three of each kind. */
    enum Mode {
        /** The JDK's own sockets. */
        PLAIN("", ""),
        /** The layer installed and switched off: every call through its implementation, the data on TCP. */
        FALLBACK("-fallback", ", the socket layer's agent installed and the layer off (a connection that falls back)"),
        /** Through the layer: shared memory. */
        LAYER("-layer", ", through the socket layer (shared memory)");

        final String name;
        final String suffix;

        Mode(final String name, final String suffix) {
            this.name = name;
            this.suffix = suffix;
        }
    }

    private final Mode mode;
    private final boolean nio;

    /**
     * @param nio  channels and a selector ({@code nio...}), else {@code java.net} sockets ({@code socket...})
     * @param mode which of the three
     */
    LayerSocketTransport(final boolean nio, final Mode mode) {
        super((nio ? "nio" : "socket") + mode.name, (nio ? "JDK SocketChannel + Selector, TCP loopback, TCP_NODELAY,"
            + " non-blocking" : "java.net.Socket streams, TCP loopback, TCP_NODELAY, blocking") + mode.suffix,
            mode != Mode.LAYER, false);
        this.mode = mode;
        this.nio = nio;
    }

    private static Path agentJar;

    /**
     * @param transport a transport's name
     * @return the JVM arguments the measuring JVM of {@code transport} needs (none but for {@code socket-layer},
     *         {@code socket-fallback}, {@code nio-layer} and {@code nio-fallback}: the agent, and for the
     *         fallbacks the layer switched off)
     * @throws IOException if the agent's jar cannot be written
     */
    static synchronized List<String> jvmArgs(final String transport) throws IOException {
        final boolean layer = transport.matches("(socket|nio)" + Mode.LAYER.name);
        final boolean fallback = transport.matches("(socket|nio)" + Mode.FALLBACK.name);
        if (!layer && !fallback) {
            return List.of();
        }
        // a manifest naming the agent class, which this JVM's class path (the benchmarks jar) holds;
        // deleted when this JVM exits
        if (agentJar == null) {
            final Path jar = Files.createTempFile("softclan-sockets-agent", ".jar");
            jar.toFile().deleteOnExit();
            final Manifest m = new Manifest();
            m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
            m.getMainAttributes().put(new Attributes.Name("Premain-Class"), SocketsAgent.class.getName());
            try (OutputStream o = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(o, m)) {
                j.flush();
            }
            agentJar = jar;
        }
        return layer ? List.of("-javaagent:" + agentJar) : List.of("-javaagent:" + agentJar, "-Dsoftclan.sockets.enabled=false");
    }

    @Override
    public Client client(final int size) {
        check();
        return nio ? new NioLink(this, size) : new Link(this, size);
    }

    @Override
    public Echo echo(final int size) {
        check();
        return nio ? new NioLink(this, size) : new Link(this, size);
    }

    private void check() {
        if (mode != Mode.PLAIN && !SocketLayer.isInstalled()) {
            throw new IllegalStateException(name() + " needs the socket layer's agent in this JVM (bench compare"
                + " starts it so); without it the connection would be the JDK's plain TCP");
        }
        if (mode != Mode.PLAIN && nio && !(SelectorProvider.provider() instanceof LayerSelectorProvider)) {
            throw new IllegalStateException(name() + " needs the socket layer's selector provider (this JVM's is "
                + SelectorProvider.provider().getClass().getName() + "); without it the channels would be the JDK's"
                + " plain TCP");
        }
    }

    /** What both kinds of side share: the listening socket, and the check that a layered connection is one. */
    abstract static class TcpLink extends PeerTransport.Link {
        private final boolean layer;
        /** The echo side's listening socket, else null. */
        protected Closeable listen;

        TcpLink(final LayerSocketTransport t, final int size, final boolean direct) {
            super(t.name(), size, direct);
            this.layer = t.mode == Mode.LAYER;
        }

        @Override
        public Map<String, String> prepare() {
            return Map.of();
        }

        /**
         * Refuses to measure TCP under the layer's name: the connection made must have gone through it.
         *
         * @param socket the connection, for the message
         */
        protected void checkAccelerated(final Object socket) {
            if (layer && SocketLayer.STATS.acceleratedConnections() == 0) {
                throw new IllegalStateException(name + ": the connection did not go through shared memory ("
                    + socket.getClass().getName() + ", " + SocketLayer.STATS.report().replace('\n', ' ') + ")");
            }
        }

        @Override
        public Path scratch() {
            return null;
        }

        @Override
        public void close() throws IOException {
            disconnect();
            if (listen != null) {
                listen.close();
                listen = null;
            }
        }
    }

    /** One side of a round trip over a {@code java.net} socket. */
    static final class Link extends TcpLink {
        private final byte[] bytes;
        private ServerSocket server;
        private Socket socket;
        private InputStream in;
        private OutputStream out;

        Link(final LayerSocketTransport t, final int size) {
            super(t, size, false);
            this.bytes = message.array();
        }

        @Override
        public void connect(final Map<String, String> echoParams) throws IOException {
            configure(new Socket(InetAddress.getLoopbackAddress(), Integer.parseInt(echoParams.get("port"))));
            checkAccelerated(socket);
        }

        private void configure(final Socket s) throws IOException {
            socket = s;
            s.setTcpNoDelay(true);
            in = s.getInputStream();
            out = s.getOutputStream();
        }

        @Override
        public Map<String, String> open(final Map<String, String> clientParams) throws IOException {
            listen = server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            server.setSoTimeout(100);
            return Map.of("port", Integer.toString(server.getLocalPort()));
        }

        @Override
        protected boolean accept(final BooleanSupplier stop) throws IOException {
            while (true) {
                if (stop.getAsBoolean()) {
                    return false;
                }
                try {
                    configure(server.accept());
                    checkAccelerated(socket);
                    return true;
                } catch (final SocketTimeoutException e) {
                    // look at stop again
                }
            }
        }

        @Override
        protected void send(final long seq) throws IOException {
            out.write(bytes, 0, size);
        }

        @Override
        protected boolean receive(final long timeoutNanos) throws IOException {
            int got = 0;
            while (got < size) {
                final int n = in.read(bytes, got, size - got);
                if (n < 0) {
                    throw new EOFException("the peer closed the connection with " + (size - got) + " bytes to come");
                }
                got += n;
            }
            return true;
        }

        @Override
        protected boolean peerGone(final Exception e) {
            return e instanceof EOFException || e instanceof SocketException;
        }

        @Override
        public void disconnect() throws IOException {
            if (socket != null) {
                socket.close();
                socket = null;
            }
        }

    }

    /** One side of a round trip over a non-blocking socket channel and its selector. */
    static final class NioLink extends TcpLink {
        private ServerSocketChannel server;
        private SocketChannel socket;
        private Selector selector;
        private SelectionKey key;

        NioLink(final LayerSocketTransport t, final int size) {
            super(t, size, true);
        }

        @Override
        public void connect(final Map<String, String> echoParams) throws IOException {
            final SocketChannel s = SocketChannel.open();
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(echoParams.get("port"))));
            configure(s);
            checkAccelerated(socket);
        }

        private void configure(final SocketChannel s) throws IOException {
            socket = s;
            s.setOption(StandardSocketOptions.TCP_NODELAY, true);
            s.configureBlocking(false);
            selector = Selector.open();
            key = s.register(selector, SelectionKey.OP_READ);
        }

        @Override
        public Map<String, String> open(final Map<String, String> clientParams) throws IOException {
            listen = server = ServerSocketChannel.open();
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return Map.of("port", Integer.toString(((InetSocketAddress) server.getLocalAddress()).getPort()));
        }

        @Override
        protected boolean accept(final BooleanSupplier stop) throws IOException {
            final SocketChannel s = SocketTransport.acceptUnlessStopped(server, stop);
            if (s == null) {
                return false;
            }
            configure(s);
            checkAccelerated(socket);
            return true;
        }

        @Override
        protected void send(final long seq) throws IOException {
            message.clear();
            socket.write(message);
            if (message.hasRemaining()) {
                // short: wait until the channel can take more (the peer's buffer has room again)
                key.interestOps(SelectionKey.OP_WRITE);
                while (message.hasRemaining()) {
                    selector.select(100);
                    selector.selectedKeys().clear();
                    socket.write(message);
                }
                key.interestOps(SelectionKey.OP_READ);
            }
            message.clear();
        }

        @Override
        protected boolean receive(final long timeoutNanos) throws IOException {
            final long deadline = System.nanoTime() + timeoutNanos;
            while (message.hasRemaining()) {
                final long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;   // a partial message stays in the buffer for the next call
                }
                // the one channel registered: what is selected is it, readable (or at its end)
                selector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                selector.selectedKeys().clear();
                if (socket.read(message) < 0) {
                    throw new EOFException("the peer closed the connection with " + message.remaining()
                        + " bytes to come");
                }
            }
            message.clear();
            return true;
        }

        @Override
        protected boolean peerGone(final Exception e) {
            return e instanceof EOFException || e instanceof ClosedChannelException || e instanceof SocketException;
        }

        @Override
        public void disconnect() throws IOException {
            try {
                if (socket != null) {
                    socket.close();
                    socket = null;
                }
            } finally {
                if (selector != null) {
                    selector.close();
                    selector = null;
                }
            }
        }

    }
}
