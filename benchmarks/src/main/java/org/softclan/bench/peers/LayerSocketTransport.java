package org.softclan.bench.peers;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.softclan.sockets.SocketLayer;
import org.softclan.sockets.SocketsAgent;

/**
 * {@code socket}, {@code socket-fallback} and {@code socket-layer}: blocking {@link Socket} streams
 * ({@code java.net}, as an unchanged program writes them) over TCP loopback with {@code TCP_NODELAY}.
 * {@code socket} is the JDK's own; {@code socket-layer} is the same code in JVMs started with the socket
 * layer's agent ({@code -javaagent}), whose connection goes through shared memory; {@code socket-fallback}
 * has the agent with the layer switched off ({@code -Dsoftclan.sockets.enabled=false}), so every call goes
 * through the layer's socket implementation and the data over TCP: what a connection that falls back costs. The client writes the whole
 * payload, then reads until it has the whole response; the echo side reads the whole request, then
 * writes it back.
 *
 * <p>The layer needs the agent before {@code main}: {@code bench compare} starts the measuring JVM of
 * {@code socket-layer} with it ({@link #jvmArgs}), and that JVM's echo child inherits it (a child JVM
 * takes its parent's JVM arguments). A {@code pingpong} of {@code socket-layer} started without it fails
 * at once, saying so, rather than measure TCP under the layer's name.
 */
final class LayerSocketTransport extends PeerTransport {
    /** Which of the three. */
    enum Mode {
        /** The JDK's own sockets. */
        PLAIN("socket", ""),
        /** The layer installed and switched off: every call through its socket implementation, the data on TCP. */
        FALLBACK("socket-fallback", ", the socket layer's agent installed and the layer off (a connection that falls back)"),
        /** Through the layer: shared memory. */
        LAYER("socket-layer", ", through the socket layer (shared memory)");

        final String name;
        final String suffix;

        Mode(final String name, final String suffix) {
            this.name = name;
            this.suffix = suffix;
        }
    }

    private final boolean layer;
    private final Mode mode;

    LayerSocketTransport(final Mode mode) {
        super(mode.name, "java.net.Socket streams, TCP loopback, TCP_NODELAY, blocking" + mode.suffix,
            mode != Mode.LAYER, false);
        this.mode = mode;
        this.layer = mode == Mode.LAYER;
    }

    private static Path agentJar;

    /**
     * @param transport a transport's name
     * @return the JVM arguments the measuring JVM of {@code transport} needs (none but for {@code socket-layer},
     *         {@code socket-fallback}, {@code nio-layer} and {@code nio-fallback}: the agent, and for the
     *         fallbacks the layer switched off)
     * @throws IOException if the agent's jar cannot be written
     */
    static synchronized java.util.List<String> jvmArgs(final String transport) throws IOException {
        final boolean layer = Mode.LAYER.name.equals(transport) || NioSocketTransport.Mode.LAYER.name.equals(transport);
        final boolean fallback = Mode.FALLBACK.name.equals(transport)
            || NioSocketTransport.Mode.FALLBACK.name.equals(transport);
        if (!layer && !fallback) {
            return java.util.List.of();
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
        return layer ? java.util.List.of("-javaagent:" + agentJar)
            : java.util.List.of("-javaagent:" + agentJar, "-Dsoftclan.sockets.enabled=false");
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
        if (mode != Mode.PLAIN && !SocketLayer.isInstalled()) {
            throw new IllegalStateException(mode.name + " needs the socket layer's agent in this JVM (bench compare"
                + " starts it so); without it the connection would be the JDK's plain TCP");
        }
    }

    /** One side of a round trip over a {@code java.net} socket. */
    static final class Link extends PeerTransport.Link {
        private final boolean layer;
        private final byte[] bytes;
        private ServerSocket listen;
        private Socket socket;
        private InputStream in;
        private OutputStream out;

        Link(final LayerSocketTransport t, final int size) {
            super(t.name(), size, false);
            this.layer = t.layer;
            this.bytes = message.array();
        }

        @Override
        public Map<String, String> prepare() {
            return Map.of();
        }

        @Override
        public void connect(final Map<String, String> echoParams) throws IOException {
            configure(new Socket(InetAddress.getLoopbackAddress(), Integer.parseInt(echoParams.get("port"))));
            checkAccelerated();
        }

        private void configure(final Socket s) throws IOException {
            socket = s;
            s.setTcpNoDelay(true);
            in = s.getInputStream();
            out = s.getOutputStream();
        }

        /** Refuses to measure TCP under the layer's name: the connection made must have gone through it. */
        private void checkAccelerated() {
            if (layer && SocketLayer.STATS.acceleratedConnections() == 0) {
                throw new IllegalStateException("socket-layer: the connection did not go through shared memory ("
                    + SocketLayer.STATS.report().replace('\n', ' ') + ")");
            }
        }

        @Override
        public Map<String, String> open(final Map<String, String> clientParams) throws IOException {
            listen = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            listen.setSoTimeout(100);
            final Map<String, String> params = new HashMap<>();
            params.put("port", Integer.toString(listen.getLocalPort()));
            return params;
        }

        @Override
        protected boolean accept(final BooleanSupplier stop) throws IOException {
            while (true) {
                if (stop.getAsBoolean()) {
                    return false;
                }
                try {
                    configure(listen.accept());
                    checkAccelerated();
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
        public Path scratch() {
            return null;
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
        }
    }
}
