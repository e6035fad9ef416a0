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
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketOption;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NetworkChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.SelectorProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import org.agrona.CloseHelper;
import org.softclan.sockets.LayerSelectorProvider;
import org.softclan.sockets.SocketLayer;
import org.softclan.sockets.SocketsAgent;

/**
 * The JDK's sockets, and the socket code of an unchanged program with and without the socket layer. The
 * client writes the whole payload, then reads until it has the whole response; the echo side reads the
 * whole request, then writes it back.
 *
 * <p>{@code tcp} and {@code uds}: blocking JDK {@link SocketChannel}s. {@code tcp} connects over loopback
 * {@code 127.0.0.1} with {@code TCP_NODELAY} on both ends; {@code uds} is a Unix domain socket
 * ({@link StandardProtocolFamily#UNIX}) bound in a fresh temporary directory. The echo side listens.
 *
 * <p>{@code tcp-spin} and {@code uds-spin} are the same with non-blocking channels whose reads are
 * retried in a busy loop: no thread ever sleeps in the kernel, so a round trip pays no wake-up of an
 * idle CPU (on a virtual machine whose CPUs idle, that wake-up can cost more than the rest of the
 * round trip). They are the sockets at their fastest, at the price of a core per side.
 *
 * <p>Over TCP loopback with {@code TCP_NODELAY}, with and without the socket layer: {@code socket},
 * {@code socket-fallback} and {@code socket-layer}: blocking {@link Socket} streams ({@code java.net}, as an
 * unchanged program writes them). {@code nio}, {@code nio-fallback} and {@code nio-layer}: non-blocking
 * {@link SocketChannel}s and a {@link Selector} on both sides (an event loop's way). The plain ones are the
 * JDK's own; the {@code -layer} ones are the same code in JVMs started with the socket layer's agent
 * ({@code -javaagent}), whose sockets, and whose {@code SocketChannel.open()}, {@code ServerSocketChannel.open()}
 * and {@code Selector.open()}, give the layer's, so the connection goes through shared memory; the
 * {@code -fallback} ones have the agent with the layer switched off ({@code -Dsoftclan.sockets.enabled=false}),
 * so every call goes through the layer's implementation and the data over TCP: what a connection that falls
 * back costs. A NIO read selects first; a NIO write that is short (the peer's buffer full) waits for
 * {@link SelectionKey#OP_WRITE} before it writes the rest.
 *
 * <p>The layer needs the agent before {@code main}: {@code bench compare} starts the measuring JVM of a
 * layered transport with it ({@link #jvmArgs}), and that JVM's echo child inherits it (a child JVM takes its
 * parent's JVM arguments). A {@code pingpong} of one started without it fails at once, saying so, rather than
 * measure TCP under the layer's name; {@code socket-layer} and {@code nio-layer} also fail if their
 * connection did not go through shared memory.
 *
 * <p>One way, {@code tcp} and {@code uds}: blocking channels, the receiver listening ({@code tcp} on the
 * loopback address, {@code uds} in the session's scratch directory), send and receive buffers of
 * {@link Config#ringBytes()} asked for (where the platform allows), the sender writing each message whole.
 *
 * <p>The TCP kinds ({@code tcp}, {@code tcp-spin}, {@code nio...}, {@code socket...}) listen on and connect to the
 * address a {@code host} parameter names, where there is one, instead of the loopback address: {@code compare
 * --hosts 2} runs {@code tcp} between two hosts. (A layered connection to an address the layer does not carry
 * through shared memory fails its check, as any connection of theirs that did not go through the layer.)
 */
final class SocketTransport extends PeerTransport {
    /** How a side does its I/O. */
    enum Io {
        /** Blocking channels: {@code tcp}, {@code uds}. */
        BLOCKING,
        /** Non-blocking channels whose reads and writes are retried in a busy loop: {@code tcp-spin}, {@code uds-spin}. */
        SPIN,
        /** Non-blocking channels and a selector: {@code nio...}. */
        SELECTOR,
        /** {@code java.net} socket streams: {@code socket...}. */
        STREAMS
    }

    /** Which of the three of each kind of {@code socket...} and {@code nio...}; the others are plain. */
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

    private static Path agentJar;

    private final Io io;
    private final boolean unix;
    private final Mode mode;

    /**
     * {@code tcp}, {@code uds}, {@code tcp-spin}, {@code uds-spin}.
     *
     * @param unix a Unix domain socket, else TCP loopback
     * @param spin non-blocking channels retried in a busy loop, else blocking ones
     */
    SocketTransport(final boolean unix, final boolean spin) {
        this(spin ? Io.SPIN : Io.BLOCKING, unix, Mode.PLAIN, (unix ? "uds" : "tcp") + (spin ? "-spin" : ""),
            (unix ? "JDK SocketChannel, Unix domain socket, " : "JDK SocketChannel, TCP loopback 127.0.0.1, TCP_NODELAY, ")
                + (spin ? "non-blocking, busy-polling reads" : "blocking"));
    }

    /**
     * {@code nio...} and {@code socket...}.
     *
     * @param nio  channels and a selector ({@code nio...}), else {@code java.net} sockets ({@code socket...})
     * @param mode which of the three
     */
    SocketTransport(final boolean nio, final Mode mode) {
        this(nio ? Io.SELECTOR : Io.STREAMS, false, mode, (nio ? "nio" : "socket") + mode.name, (nio
            ? "JDK SocketChannel + Selector, TCP loopback, TCP_NODELAY, non-blocking"
            : "java.net.Socket streams, TCP loopback, TCP_NODELAY, blocking") + mode.suffix);
    }

    private SocketTransport(final Io io, final boolean unix, final Mode mode, final String name,
                            final String description) {
        super(name, description, mode != Mode.LAYER, io == Io.BLOCKING);
        this.io = io;
        this.unix = unix;
        this.mode = mode;
    }

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
    protected Link link(final int size, final boolean client) {
        if (mode != Mode.PLAIN && !SocketLayer.isInstalled()) {
            throw new IllegalStateException(name() + " needs the socket layer's agent in this JVM (bench compare"
                + " starts it so); without it the connection would be the JDK's plain TCP");
        }
        if (mode != Mode.PLAIN && io == Io.SELECTOR && !(SelectorProvider.provider() instanceof LayerSelectorProvider)) {
            throw new IllegalStateException(name() + " needs the socket layer's selector provider (this JVM's is "
                + SelectorProvider.provider().getClass().getName() + "); without it the channels would be the JDK's"
                + " plain TCP");
        }
        return io == Io.STREAMS ? new StreamLink(this, size) : new ChannelLink(this, size);
    }

    private static void trySetBuffer(final NetworkChannel ch, final SocketOption<Integer> option, final int bytes) {
        try {
            ch.setOption(option, bytes);
        } catch (final IOException | UnsupportedOperationException e) {
            // the platform default then
        }
    }

    @Override
    public Receiver receiver(final Config c, final Rig rig, final Map<String, String> toSender) throws IOException {
        final Path path = unix ? rig.scratch().resolve("tp-" + rig.nextId() + ".sock") : null;
        final ServerSocketChannel server = listen(path, c.ringBytes(), toSender);
        return new Receiver() {
            private SocketChannel channel;

            @Override
            public void start(final Liveness peer) throws IOException {
                server.configureBlocking(false);
                while (channel == null) {
                    peer.check();
                    channel = server.accept();
                    if (channel == null) {
                        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
                    }
                }
                channel.configureBlocking(true);
                trySetBuffer(channel, StandardSocketOptions.SO_RCVBUF, c.ringBytes());
            }

            @Override
            public int read(final ByteBuffer dst) throws IOException {
                return channel.read(dst);
            }

            @Override
            public void close() {
                CloseHelper.quietCloseAll(channel, server);
                if (path != null) {
                    path.toFile().delete();
                }
            }
        };
    }

    @Override
    public Sender sender(final Config c, final Rig rig, final Map<String, String> fromReceiver, final int slots)
        throws IOException {
        final SocketChannel channel = unix ? SocketChannel.open(StandardProtocolFamily.UNIX) : SocketChannel.open();
        trySetBuffer(channel, StandardSocketOptions.SO_SNDBUF, c.ringBytes());
        if (!unix) {
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        }
        channel.connect(address(fromReceiver));
        channel.configureBlocking(true);
        return new SlotSender(slots, c.size()) {
            @Override
            public void send(final int slot, final int size) throws IOException {
                final ByteBuffer b = buffers[slot];
                b.limit(size).position(0);
                while (b.hasRemaining()) {
                    channel.write(b);
                }
            }

            @Override
            public void finish() throws IOException {
                channel.shutdownOutput();
            }

            @Override
            public void close() {
                CloseHelper.quietClose(channel);
            }
        };
    }

    /**
     * Opens a listening socket: {@code uds} bound at {@code path} (named in {@code params} as {@code path}),
     * {@code tcp} on an ephemeral port (named as {@code port}) of the address {@code params} names as
     * {@code host}, else of the loopback address.
     *
     * @param path          the Unix socket's path; null for {@code tcp}
     * @param receiveBuffer the receive buffer to ask for ({@code tcp}), 0 for the platform's
     * @param params        where the name goes
     * @return the socket, bound
     * @throws IOException if it cannot be opened or bound
     */
    private static ServerSocketChannel listen(final Path path, final int receiveBuffer,
                                              final Map<String, String> params) throws IOException {
        if (path != null) {
            final ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(path));
            params.put("path", path.toString());
            return server;
        }
        final ServerSocketChannel server = ServerSocketChannel.open();
        if (receiveBuffer > 0) {
            server.setOption(StandardSocketOptions.SO_RCVBUF, receiveBuffer);
        }
        server.bind(new InetSocketAddress(host(params), 0));
        params.put("port", Integer.toString(((InetSocketAddress) server.getLocalAddress()).getPort()));
        return server;
    }

    /**
     * @param params what {@link #listen} put in its parameters
     * @return the address they name: the Unix socket's {@code path}, else the {@code port} of their {@code host}
     * @throws IOException if the host's name cannot be resolved
     */
    private static SocketAddress address(final Map<String, String> params) throws IOException {
        return params.containsKey("path") ? UnixDomainSocketAddress.of(params.get("path"))
            : new InetSocketAddress(host(params), Integer.parseInt(params.get("port")));
    }

    /** @return the address {@code params} names as {@code host}, else the loopback address */
    private static InetAddress host(final Map<String, String> params) throws IOException {
        return params.containsKey("host") ? InetAddress.getByName(params.get("host")) : InetAddress.getLoopbackAddress();
    }

    /**
     * One side of a round trip, of either kind ({@link ChannelLink}, {@link StreamLink}): the client makes the
     * socket's directory ({@code uds}) and connects; the echo side listens, and accepts in {@link #accept}
     * (looking at {@code stop} at least every 100 ms, so that a stop before the client connects is seen). A send
     * writes the whole message; a receive reads until it has the whole message: blocking reads have no timeout
     * (if the peer dies, the kernel closes its socket and the read fails, so no side hangs on a dead peer),
     * spinning and selecting reads give up after the time given. A layered connection must have gone through
     * the layer.
     */
    abstract static class SocketLink extends Link {
        /** The transport, for its kind. */
        protected final SocketTransport transport;
        /** The echo side's listening socket, else null. */
        protected Closeable listen;
        private Path dir;

        SocketLink(final SocketTransport t, final int size, final boolean direct) {
            super(t.name(), size, direct);
            this.transport = t;
        }

        @Override
        public Map<String, String> prepare() throws IOException {
            if (!transport.unix) {
                return Map.of();
            }
            dir = Files.createTempDirectory("softclan-uds-");
            return Map.of("path", dir.resolve("echo.sock").toString());
        }

        /**
         * Refuses to measure TCP under the layer's name: the connection made must have gone through it.
         *
         * @param socket the connection, for the message
         */
        protected void checkAccelerated(final Object socket) {
            if (transport.mode == Mode.LAYER && SocketLayer.STATS.acceleratedConnections() == 0) {
                throw new IllegalStateException(name + ": the connection did not go through shared memory ("
                    + socket.getClass().getName() + ", " + SocketLayer.STATS.report().replace('\n', ' ') + ")");
            }
        }

        /**
         * @param remaining bytes of the message still to come
         * @return the failure of a read that met the end of the stream
         */
        static EOFException closedEarly(final int remaining) {
            return new EOFException("the peer closed the connection with " + remaining + " bytes to come");
        }

        @Override
        protected boolean peerGone(final Exception e) {
            final Io io = transport.io;
            return e instanceof EOFException || e instanceof ClosedChannelException && io != Io.STREAMS
                || (io == Io.BLOCKING || io == Io.SPIN ? e instanceof SocketTimeoutException : e instanceof SocketException);
        }

        @Override
        public Path scratch() {
            return dir;
        }

        /**
         * Closes the connection, the listening socket and the Unix socket's directory, each whatever the others
         * did: the first failure is thrown, with the later ones suppressed in it. Idempotent.
         */
        @Override
        public void close() throws IOException {
            final Closeable l = listen;
            final Path d = dir;
            listen = null;
            dir = null;
            Throwable first = attempt(null, this::disconnect);
            if (l != null) {
                first = attempt(first, l::close);
            }
            if (d != null) {
                first = attempt(first, () -> Files.deleteIfExists(d.resolve("echo.sock")));
                first = attempt(first, () -> Files.deleteIfExists(d));
            }
            if (first instanceof IOException e) {
                throw e;
            }
            if (first instanceof RuntimeException e) {
                throw e;
            }
            if (first instanceof Error e) {
                throw e;
            }
        }

        /** A step of {@link #close()}. */
        @FunctionalInterface
        private interface Step {
            void run() throws IOException;
        }

        /** {@return {@code first}, or what {@code step} threw if that is the first failure} (a later one suppressed in it) */
        private static Throwable attempt(final Throwable first, final Step step) {
            try {
                step.run();
                return first;
            } catch (final IOException | RuntimeException | Error e) {
                if (first == null) {
                    return e;
                }
                first.addSuppressed(e);
                return first;
            }
        }
    }

    /**
     * One side of a round trip over a socket channel: blocking ({@code tcp}, {@code uds}), non-blocking and
     * spinning ({@code -spin}), or non-blocking with a selector ({@code nio...}).
     */
    static final class ChannelLink extends SocketLink {
        private ServerSocketChannel server;
        private SocketChannel socket;
        private Selector selector;
        private SelectionKey key;

        ChannelLink(final SocketTransport t, final int size) {
            super(t, size, true);
        }

        @Override
        public void connect(final Map<String, String> echoParams) throws IOException {
            final SocketChannel s = transport.unix ? SocketChannel.open(StandardProtocolFamily.UNIX) : SocketChannel.open();
            s.connect(address(echoParams));
            configure(s);
            checkAccelerated(s);
        }

        private void configure(final SocketChannel s) throws IOException {
            socket = s;
            if (!transport.unix) {
                s.setOption(StandardSocketOptions.TCP_NODELAY, true);
            }
            s.configureBlocking(transport.io == Io.BLOCKING);
            if (transport.io == Io.SELECTOR) {
                selector = Selector.open();
                key = s.register(selector, SelectionKey.OP_READ);
            }
        }

        /**
         * Listens: on the {@code host} the client names, where it names one; a {@code uds} echo side at the path
         * the client chose, which it names back.
         */
        @Override
        public Map<String, String> open(final Map<String, String> clientParams) throws IOException {
            final Map<String, String> params = new HashMap<>();
            if (clientParams.containsKey("host")) {
                params.put("host", clientParams.get("host"));
            }
            listen = server = listen(transport.unix ? Paths.get(clientParams.get("path")) : null, 0, params);
            return params;
        }

        @Override
        protected boolean accept(final BooleanSupplier stop) throws IOException {
            server.configureBlocking(false);
            SocketChannel s = null;
            try (Selector accepting = Selector.open()) {
                server.register(accepting, SelectionKey.OP_ACCEPT);
                while (s == null && !stop.getAsBoolean()) {
                    accepting.select(100);
                    accepting.selectedKeys().clear();
                    s = server.accept();
                }
            }
            if (s == null) {
                return false;
            }
            configure(s);
            checkAccelerated(s);
            return true;
        }

        @Override
        protected void send(final long seq) throws IOException {
            message.clear();
            socket.write(message);
            if (message.hasRemaining() && key != null) {
                // short: wait until the channel can take more (the peer's buffer has room again)
                key.interestOps(SelectionKey.OP_WRITE);
                while (message.hasRemaining()) {
                    selector.select(100);
                    selector.selectedKeys().clear();
                    socket.write(message);
                }
                key.interestOps(SelectionKey.OP_READ);
            }
            while (message.hasRemaining()) {
                socket.write(message);
            }
            message.clear();
        }

        @Override
        protected boolean receive(final long timeoutNanos) throws IOException {
            if (selector != null) {
                return select(timeoutNanos);
            }
            final long start = transport.io == Io.SPIN ? System.nanoTime() : 0;
            int idle = 0;
            while (message.hasRemaining()) {
                final int n = socket.read(message);
                if (n < 0) {
                    throw closedEarly(message.remaining());
                }
                if (n == 0) {
                    Thread.onSpinWait();
                    if ((++idle & 0xFFF) == 0 && System.nanoTime() - start > timeoutNanos) {
                        return false;
                    }
                }
            }
            message.clear();
            return true;
        }

        /** Receives with the selector: selects, then reads what came, until the message is whole. */
        private boolean select(final long timeoutNanos) throws IOException {
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
                    throw closedEarly(message.remaining());
                }
            }
            message.clear();
            return true;
        }

        @Override
        public void disconnect() {
            final SocketChannel s = socket;
            final Selector sel = selector;
            socket = null;   // forgotten even if closing fails: a second disconnect has nothing to close
            selector = null;
            CloseHelper.closeAll(s, sel);
        }
    }

    /** One side of a round trip over a {@code java.net} socket's streams. */
    static final class StreamLink extends SocketLink {
        private final byte[] bytes;
        private ServerSocket server;
        private Socket socket;
        private InputStream in;
        private OutputStream out;

        StreamLink(final SocketTransport t, final int size) {
            super(t, size, false);
            this.bytes = message.array();
        }

        /** Connects to the {@code port} of the {@code host} the echo side named, else of the loopback address. */
        @Override
        public void connect(final Map<String, String> echoParams) throws IOException {
            configure(new Socket(host(echoParams), Integer.parseInt(echoParams.get("port"))));
        }

        private void configure(final Socket s) throws IOException {
            socket = s;
            s.setTcpNoDelay(true);
            in = s.getInputStream();
            out = s.getOutputStream();
            checkAccelerated(s);
        }

        /** Listens on the {@code host} the client names, where it names one (named back), else on the loopback address. */
        @Override
        public Map<String, String> open(final Map<String, String> clientParams) throws IOException {
            listen = server = new ServerSocket(0, 50, host(clientParams));
            server.setSoTimeout(100);
            final Map<String, String> params = new HashMap<>();
            if (clientParams.containsKey("host")) {
                params.put("host", clientParams.get("host"));
            }
            params.put("port", Integer.toString(server.getLocalPort()));
            return params;
        }

        @Override
        protected boolean accept(final BooleanSupplier stop) throws IOException {
            while (!stop.getAsBoolean()) {
                try {
                    configure(server.accept());
                    return true;
                } catch (final SocketTimeoutException e) {
                    // look at stop again
                }
            }
            return false;
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
                    throw closedEarly(size - got);
                }
                got += n;
            }
            return true;
        }

        @Override
        public void disconnect() {
            CloseHelper.close(socket);
            socket = null;
        }
    }
}
