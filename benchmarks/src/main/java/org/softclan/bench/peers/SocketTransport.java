package org.softclan.bench.peers;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;


/**
 * {@code tcp} and {@code uds}: blocking JDK {@link SocketChannel}s. {@code tcp} connects over loopback
 * {@code 127.0.0.1} with {@code TCP_NODELAY} on both ends; {@code uds} is a Unix domain socket
 * ({@link StandardProtocolFamily#UNIX}) bound in a fresh temporary directory. The echo side listens;
 * the client writes the whole payload, then reads until it has the whole response; the echo side reads
 * the whole request, then writes it back.
 *
 * <p>{@code tcp-spin} and {@code uds-spin} are the same with non-blocking channels whose reads are
 * retried in a busy loop: no thread ever sleeps in the kernel, so a round trip pays no wake-up of an
 * idle CPU (on a virtual machine whose CPUs idle, that wake-up can cost more than the rest of the
 * round trip). They are the sockets at their fastest, at the price of a core per side.
 *
 * <p>One way, {@code tcp} and {@code uds}: blocking channels, the receiver listening ({@code tcp} on the
 * loopback address, {@code uds} in the session's scratch directory), send and receive buffers of
 * {@link Config#ringBytes()} asked for (where the platform allows), the sender writing each message whole.
 */
final class SocketTransport extends PeerTransport {
    private final boolean unix;
    private final boolean spin;

    SocketTransport(final boolean unix, final boolean spin) {
        super((unix ? "uds" : "tcp") + (spin ? "-spin" : ""), (unix ? "JDK SocketChannel, Unix domain socket, "
            : "JDK SocketChannel, TCP loopback 127.0.0.1, TCP_NODELAY, ")
            + (spin ? "non-blocking, busy-polling reads" : "blocking"), true, !spin);
        this.unix = unix;
        this.spin = spin;
    }

    @Override
    public Client client(final int size) {
        return new SocketLink(this, size);
    }

    @Override
    public Echo echo(final int size) {
        return new SocketLink(this, size);
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
                try {
                    if (channel != null) {
                        channel.close();
                    }
                    server.close();
                } catch (final IOException e) {
                    // closing anyway
                }
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
        connect(channel, fromReceiver);
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
                try {
                    channel.close();
                } catch (final IOException e) {
                    // closing anyway
                }
            }
        };
    }

    /**
     * Opens a listening socket: {@code uds} bound at {@code path} (named in {@code params} as {@code path}),
     * {@code tcp} on an ephemeral port of the loopback address (named as {@code port}).
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
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        params.put("port", Integer.toString(((InetSocketAddress) server.getLocalAddress()).getPort()));
        return server;
    }

    /**
     * Connects {@code channel} to what {@link #listen} named ({@code tcp}: with {@code TCP_NODELAY}), blocking.
     *
     * @param channel a socket of the listener's protocol family
     * @param params  what {@link #listen} put in its parameters
     * @throws IOException if it cannot connect
     */
    private static void connect(final SocketChannel channel, final Map<String, String> params) throws IOException {
        if (params.containsKey("path")) {
            channel.connect(UnixDomainSocketAddress.of(params.get("path")));
        } else {
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            channel.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(params.get("port"))));
        }
        channel.configureBlocking(true);
    }

    /**
     * Echo side: accepts a connection on a listening channel (with a selector, looking at {@code stop} at least
     * every 100 ms).
     *
     * @param listen the listening channel (made non-blocking)
     * @param stop   polled while no client comes
     * @return the connection, or null if {@code stop} said so first
     * @throws IOException if accepting failed
     */
    static SocketChannel acceptUnlessStopped(final ServerSocketChannel listen, final BooleanSupplier stop)
        throws IOException {
        listen.configureBlocking(false);
        try (Selector selector = Selector.open()) {
            listen.register(selector, SelectionKey.OP_ACCEPT);
            SocketChannel s = null;
            while (s == null && !stop.getAsBoolean()) {
                selector.select(100);
                selector.selectedKeys().clear();
                s = listen.accept();
            }
            return s;
        }
    }

    /**
     * One side of a round trip. The client makes the socket's directory ({@code uds}) and connects; the
     * echo side listens, and accepts in {@link #accept} (with a selector, so that a stop before the client
     * connects is seen). A send writes the whole message; a receive reads until it has the whole message:
     * blocking reads have no timeout (if the peer dies, the kernel closes its socket and the read fails, so
     * no side hangs on a dead peer), spinning reads give up after the time given.
     */
    static final class SocketLink extends Link {
        private final boolean unix;
        private final boolean spin;
        private Path dir;
        private ServerSocketChannel listen;
        private SocketChannel socket;

        SocketLink(final SocketTransport t, final int size) {
            super(t.name(), size, true);
            this.unix = t.unix;
            this.spin = t.spin;
        }

        @Override
        public Map<String, String> prepare() throws IOException {
            if (!unix) {
                return Map.of();
            }
            dir = Files.createTempDirectory("softclan-uds-");
            return Map.of("path", dir.resolve("echo.sock").toString());
        }

        @Override
        public void connect(final Map<String, String> echoParams) throws IOException {
            final SocketChannel s = unix ? SocketChannel.open(StandardProtocolFamily.UNIX) : SocketChannel.open();
            SocketTransport.connect(s, unix ? Map.of("path", dir.resolve("echo.sock").toString()) : echoParams);
            configure(s);
        }

        private void configure(final SocketChannel s) throws IOException {
            socket = s;
            if (!unix) {
                socket.setOption(StandardSocketOptions.TCP_NODELAY, true);
            }
            socket.configureBlocking(!spin);
        }

        @Override
        public Map<String, String> open(final Map<String, String> clientParams) throws IOException {
            final Map<String, String> params = new HashMap<>();
            listen = listen(unix ? Paths.get(clientParams.get("path")) : null, 0, params);
            params.remove("path");
            return params;
        }

        @Override
        protected boolean accept(final BooleanSupplier stop) throws IOException {
            final SocketChannel s = acceptUnlessStopped(listen, stop);
            if (s != null) {
                configure(s);
            }
            return s != null;
        }

        @Override
        protected void send(final long seq) throws IOException {
            message.clear();
            while (message.hasRemaining()) {
                socket.write(message);
            }
            message.clear();
        }

        @Override
        protected boolean receive(final long timeoutNanos) throws IOException {
            final long start = spin ? System.nanoTime() : 0;
            int idle = 0;
            while (message.hasRemaining()) {
                final int n = socket.read(message);
                if (n < 0) {
                    throw new EOFException("the peer closed the connection with " + message.remaining()
                        + " bytes to come");
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

        @Override
        protected boolean peerGone(final Exception e) {
            return e instanceof EOFException || e instanceof ClosedChannelException || e instanceof SocketTimeoutException;
        }

        @Override
        public Path scratch() {
            return dir;
        }

        @Override
        public void disconnect() throws IOException {
            if (socket != null) {
                socket.close();
                socket = null;
            }
        }

        @Override
        public void close() throws IOException {
            disconnect();
            if (listen != null) {
                listen.close();
                listen = null;
            }
            if (dir != null) {
                Files.deleteIfExists(dir.resolve("echo.sock"));
                Files.deleteIfExists(dir);
                dir = null;
            }
        }
    }
}
