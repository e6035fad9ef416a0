package org.softclan.bench.peers;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
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
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import org.softclan.bench.throughput.Config;

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
final class SocketTransport implements PeerTransport {
    private final boolean unix;
    private final boolean spin;

    SocketTransport(final boolean unix, final boolean spin) {
        this.unix = unix;
        this.spin = spin;
    }

    @Override
    public String name() {
        return name(unix, spin);
    }

    static String name(final boolean unix, final boolean spin) {
        return (unix ? "uds" : "tcp") + (spin ? "-spin" : "");
    }

    @Override
    public String description() {
        return (unix ? "JDK SocketChannel, Unix domain socket, " : "JDK SocketChannel, TCP loopback 127.0.0.1, TCP_NODELAY, ")
            + (spin ? "non-blocking, busy-polling reads" : "blocking");
    }

    @Override
    public boolean slow() {
        return true;
    }

    @Override
    public Client client(final int size) {
        return new SocketClient(unix, spin, size);
    }

    @Override
    public Echo echo(final int size) {
        return new SocketEcho(unix, spin, size);
    }

    @Override
    public boolean oneWay() {
        return !spin;
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
        final ServerSocketChannel server;
        final Path path;
        if (unix) {
            path = rig.scratch().resolve("tp-" + rig.nextId() + ".sock");
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(path));
            toSender.put("path", path.toString());
        } else {
            path = null;
            server = ServerSocketChannel.open();
            server.setOption(StandardSocketOptions.SO_RCVBUF, c.ringBytes());
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            toSender.put("port", Integer.toString(((InetSocketAddress) server.getLocalAddress()).getPort()));
        }
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
            public void abort() {
                close();
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
        final SocketChannel channel;
        if (unix) {
            channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            trySetBuffer(channel, StandardSocketOptions.SO_SNDBUF, c.ringBytes());
            channel.connect(UnixDomainSocketAddress.of(fromReceiver.get("path")));
        } else {
            channel = SocketChannel.open();
            channel.setOption(StandardSocketOptions.SO_SNDBUF, c.ringBytes());
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            channel.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                Integer.parseInt(fromReceiver.get("port"))));
        }
        channel.configureBlocking(true);
        final ByteBuffer[] buffers = new ByteBuffer[slots];
        for (int s = 0; s < slots; s++) {
            buffers[s] = Rig.pageAligned(c.size());
        }
        return new Sender() {
            @Override
            public ByteBuffer buffer(final int slot) {
                return buffers[slot];
            }

            @Override
            public void send(final int slot, final int size) throws IOException {
                final ByteBuffer b = buffers[slot];
                b.limit(size).position(0);
                writeFully(channel, b);
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
     * Reads until {@code b} is full. On a non-blocking channel it spins while nothing has come, checking
     * {@code giveUp} every few thousand empty reads.
     *
     * @return false if {@code giveUp} said so before {@code b} was full
     */
    static boolean readFully(final SocketChannel s, final ByteBuffer b, final BooleanSupplier giveUp)
        throws IOException {
        int idle = 0;
        while (b.hasRemaining()) {
            final int n = s.read(b);
            if (n < 0) {
                throw new EOFException("the peer closed the connection with " + b.remaining() + " bytes to come");
            }
            if (n == 0) {
                Thread.onSpinWait();
                if ((++idle & 0xFFF) == 0 && giveUp.getAsBoolean()) {
                    return false;
                }
            }
        }
        return true;
    }

    static void writeFully(final SocketChannel s, final ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            s.write(b);
        }
    }

    static final class SocketClient implements Client {
        private final boolean unix;
        private final boolean spin;
        private final int size;
        private final ByteBuffer request;
        private final ByteBuffer response;
        private Path dir;
        private SocketChannel socket;

        SocketClient(final boolean unix, final boolean spin, final int size) {
            this.unix = unix;
            this.spin = spin;
            this.size = size;
            this.request = Payload.filledDirect(size);
            this.response = Payload.filledDirect(size);
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
            final SocketAddress address = unix ? UnixDomainSocketAddress.of(dir.resolve("echo.sock"))
                : new InetSocketAddress(InetAddress.getByName("127.0.0.1"), Integer.parseInt(echoParams.get("port")));
            socket = SocketChannel.open(address);
            if (!unix) {
                socket.setOption(StandardSocketOptions.TCP_NODELAY, true);
            }
            socket.configureBlocking(!spin);
        }

        /**
         * Blocking I/O has no timeout here: if the echo side dies, the kernel closes its socket and the
         * read fails, so the round trip cannot hang on a dead peer. Spinning reads give up after
         * {@code timeoutNanos}.
         */
        @Override
        public void roundTrip(final long seq, final long timeoutNanos) throws IOException {
            Payload.stamp(request, size, seq);
            request.clear();
            writeFully(socket, request);
            response.clear();
            final long sent = spin ? System.nanoTime() : 0;
            if (!readFully(socket, response, () -> System.nanoTime() - sent > timeoutNanos)) {
                throw new IllegalStateException(name(unix, spin) + ": round trip " + seq + " got no answer within "
                    + java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms");
            }
            Payload.expect(response, size, seq);
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
            if (dir != null) {
                Files.deleteIfExists(dir.resolve("echo.sock"));
                Files.deleteIfExists(dir);
                dir = null;
            }
        }
    }

    static final class SocketEcho implements Echo {
        private final boolean unix;
        private final boolean spin;
        private final int size;
        private final ByteBuffer buffer;
        private ServerSocketChannel listen;
        private SocketChannel socket;

        SocketEcho(final boolean unix, final boolean spin, final int size) {
            this.unix = unix;
            this.spin = spin;
            this.size = size;
            this.buffer = ByteBuffer.allocateDirect(size).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        }

        @Override
        public Map<String, String> open(final Map<String, String> clientParams) throws IOException {
            if (unix) {
                listen = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
                listen.bind(UnixDomainSocketAddress.of(Paths.get(clientParams.get("path"))));
                return Map.of();
            }
            listen = ServerSocketChannel.open();
            listen.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
            return Map.of("port", Integer.toString(((InetSocketAddress) listen.getLocalAddress()).getPort()));
        }

        @Override
        public long run(final BooleanSupplier stop) throws IOException {
            // accept with a selector, so that a stop before the client connects is seen
            listen.configureBlocking(false);
            try (Selector selector = Selector.open()) {
                listen.register(selector, SelectionKey.OP_ACCEPT);
                while (socket == null) {
                    if (stop.getAsBoolean()) {
                        return 0;
                    }
                    selector.select(100);
                    socket = listen.accept();
                }
            }
            if (!unix) {
                socket.setOption(StandardSocketOptions.TCP_NODELAY, true);
            }
            socket.configureBlocking(!spin);
            final Payload.Sequence sequence = new Payload.Sequence();
            try {
                while (!stop.getAsBoolean()) {
                    buffer.clear();
                    if (!readFully(socket, buffer, stop)) {
                        break;
                    }
                    sequence.next(Payload.check(buffer, size));
                    buffer.flip();
                    writeFully(socket, buffer);
                }
            } catch (final EOFException | ClosedChannelException | SocketTimeoutException clientClosed) {
                // the client closed the connection: the run is over
            }
            return sequence.count();
        }

        @Override
        public void close() throws IOException {
            if (socket != null) {
                socket.close();
            }
            if (listen != null) {
                listen.close();
            }
        }
    }
}
