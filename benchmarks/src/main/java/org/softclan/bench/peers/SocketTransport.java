package org.softclan.bench.peers;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
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
