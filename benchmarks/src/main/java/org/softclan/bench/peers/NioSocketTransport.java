package org.softclan.bench.peers;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.StandardSocketOptions;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.SelectorProvider;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.softclan.sockets.LayerSelectorProvider;
import org.softclan.sockets.SocketLayer;

/**
 * {@code nio}, {@code nio-fallback} and {@code nio-layer}: non-blocking {@link SocketChannel}s and a
 * {@link Selector} on both sides (as an unchanged NIO program writes them, an event loop's way), over TCP
 * loopback with {@code TCP_NODELAY}. {@code nio} is the JDK's own; {@code nio-layer} is the same code in
 * JVMs started with the socket layer's agent, whose {@code SocketChannel.open()},
 * {@code ServerSocketChannel.open()} and {@code Selector.open()} give the layer's channels and selector, so
 * the connection goes through shared memory; {@code nio-fallback} has the agent with the layer switched
 * off ({@code -Dsoftclan.sockets.enabled=false}): the layer's channels and selector, the data over TCP.
 * The client writes the whole payload, then selects and reads until it has the whole response; the echo
 * side selects and reads until it has the whole request, then writes it back. A write that is short
 * (the peer's buffer full) waits for {@link SelectionKey#OP_WRITE} before it writes the rest.
 *
 * <p>The agent comes as for {@link LayerSocketTransport} ({@link LayerSocketTransport#jvmArgs}); without it
 * {@code nio-layer} and {@code nio-fallback} fail at once, saying so, and {@code nio-layer} also fails if
 * its connection did not go through shared memory.
 */
final class NioSocketTransport extends PeerTransport {
    /** Which of the three. */
    enum Mode {
        /** The JDK's own channels and selector. */
        PLAIN("nio", ""),
        /** The layer installed and switched off: its channels and selector, the data on TCP. */
        FALLBACK("nio-fallback", ", the socket layer's agent installed and the layer off (a connection that falls back)"),
        /** Through the layer: shared memory. */
        LAYER("nio-layer", ", through the socket layer (shared memory)");

        final String name;
        final String suffix;

        Mode(final String name, final String suffix) {
            this.name = name;
            this.suffix = suffix;
        }
    }

    private final Mode mode;

    NioSocketTransport(final Mode mode) {
        super(mode.name, "JDK SocketChannel + Selector, TCP loopback, TCP_NODELAY, non-blocking" + mode.suffix,
            mode != Mode.LAYER, false);
        this.mode = mode;
    }

    @Override
    public Client client(final int size) {
        check();
        return new Link(this, size);
    }

    @Override
    public Echo echo(final int size) {
        check();
        return new Link(this, size);
    }

    private void check() {
        if (mode != Mode.PLAIN && !(SocketLayer.isInstalled() && SelectorProvider.provider() instanceof LayerSelectorProvider)) {
            throw new IllegalStateException(mode.name + " needs the socket layer's agent in this JVM (bench compare"
                + " starts it so) and its selector provider (this JVM's is " + SelectorProvider.provider().getClass().getName()
                + "); without them the channels would be the JDK's plain TCP");
        }
    }

    /** One side of a round trip over a non-blocking socket channel and its selector. */
    static final class Link extends PeerTransport.Link {
        private final boolean layer;
        private ServerSocketChannel listen;
        private SocketChannel socket;
        private Selector selector;
        private SelectionKey key;

        Link(final NioSocketTransport t, final int size) {
            super(t.name(), size, true);
            this.layer = t.mode == Mode.LAYER;
        }

        @Override
        public Map<String, String> prepare() {
            return Map.of();
        }

        @Override
        public void connect(final Map<String, String> echoParams) throws IOException {
            final SocketChannel s = SocketChannel.open();
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(echoParams.get("port"))));
            configure(s);
            checkAccelerated();
        }

        private void configure(final SocketChannel s) throws IOException {
            socket = s;
            s.setOption(StandardSocketOptions.TCP_NODELAY, true);
            s.configureBlocking(false);
            selector = Selector.open();
            key = s.register(selector, SelectionKey.OP_READ);
        }

        /** Refuses to measure TCP under the layer's name: the connection made must have gone through it. */
        private void checkAccelerated() {
            if (layer && SocketLayer.STATS.acceleratedConnections() == 0) {
                throw new IllegalStateException("nio-layer: the connection did not go through shared memory ("
                    + socket.getClass().getName() + ", " + SocketLayer.STATS.report().replace('\n', ' ') + ")");
            }
        }

        @Override
        public Map<String, String> open(final Map<String, String> clientParams) throws IOException {
            listen = ServerSocketChannel.open();
            listen.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return Map.of("port", Integer.toString(((InetSocketAddress) listen.getLocalAddress()).getPort()));
        }

        @Override
        protected boolean accept(final BooleanSupplier stop) throws IOException {
            listen.configureBlocking(false);
            SocketChannel s = null;
            try (Selector accepting = Selector.open()) {
                listen.register(accepting, SelectionKey.OP_ACCEPT);
                while (s == null) {
                    if (stop.getAsBoolean()) {
                        return false;
                    }
                    accepting.select(100);
                    accepting.selectedKeys().clear();
                    s = listen.accept();
                }
            }
            configure(s);
            checkAccelerated();
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
        public Path scratch() {
            return null;
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

        @Override
        public void close() throws IOException {
            disconnect();
            if (listen != null) {
                listen.close();
                listen = null;
            }
        }
    }
}
