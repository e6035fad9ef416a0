package org.softclan.sockets;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketImpl;
import java.net.SocketOptions;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.RegionExistsException;
import org.softclan.tripwire.WaitStrategy;
import org.softclan.vmmc.ConnectException;
import org.softclan.vmmc.ConnectionContext;
import org.softclan.vmmc.stream.ByteStream;
import org.softclan.vmmc.stream.ByteStreams;
import org.softclan.vmmc.stream.StreamListener;

/**
 * The transparent socket layer of a process: it makes every {@link Socket} and {@link ServerSocket} of
 * the JVM a {@link LayerSocketImpl}, so that a TCP connection to another process of this host that runs
 * the layer in the same fabric carries its bytes through a byte stream in shared memory, and every other
 * connection stays the JDK's own, unchanged. Installed by the agent ({@link SocketsAgent}) before
 * {@code main}, or by {@link #install()}.
 *
 * <p>The fabric is {@code SOFTCLAN_FABRIC} from the environment, else the system property
 * {@code softclan.fabric}, else {@link Fabric#defaultRoot()}; it is opened at the first connection that
 * could use it. {@code -Dsoftclan.sockets.enabled=false} leaves every connection on TCP (the factories
 * stay installed, so the switch needs no change of command line beyond the property).
 *
 * <p>Source: the idea is SCILAN's (Eliminating the Protocol Stack for Socket Based Communication in
 * Shared Memory Interconnects, 1998): remap the socket implementation under unchanged programs; the
 * switch over an open TCP connection follows Linux SMC-D's (the TCP connection stays for set-up and
 * close).
 */
public final class SocketLayer {
    /** The layer's counters, for this process. */
    public static final SocketLayerStats STATS = new SocketLayerStats();
    /** How long a client waits for the server process's answer to its hello (ms). */
    static final long HANDSHAKE_TIMEOUT_MS = 5_000;
    /**
     * How long a read or write of an accelerated socket spins before it blocks, in ns
     * ({@code -Dsoftclan.sockets.spinMicros}, default 100 us). Longer than one block-and-wake between two
     * JVMs here (about 40 us on a 2-CPU virtual machine): with a window shorter than that, a ping-pong
     * whose two sides once blocked stays blocking, each waking the other (both sides' waits fall to the
     * kernel wake-up's 40 us round trip); with it longer, the side that wakes the other finds the answer
     * still spinning, and the pair goes back to spinning. A reader that waits longer uses no CPU.
     */
    static final long SPIN_NANOS = TimeUnit.MICROSECONDS.toNanos(Long.getLong("softclan.sockets.spinMicros", 100));
    private static final Map<InetAddress, Boolean> LOCAL = new ConcurrentHashMap<>();
    private static Endpoint endpoint;
    private static Throwable fabricFailure;
    private static boolean installed;

    private SocketLayer() {
    }

    /** A client's attempt: the stream to use ({@code null}: TCP) and why. */
    record Attempt(ByteStream stream, FallbackReason reason) {
    }

    /** A server socket's registration: its binding ({@code null}: TCP only) and why. */
    record Listening(ServerBinding binding, FallbackReason reason) {
    }

    /**
     * Installs the layer's factories for {@link Socket} and {@link ServerSocket}: every socket made from
     * now on goes through the layer. Idempotent.
     *
     * @throws IllegalStateException if the JDK's socket implementation cannot be reached (the message
     *                               names the {@code --add-opens} flags), or another socket factory is
     *                               already installed in this JVM
     */
    @SuppressWarnings("deprecation")   // the factories are deprecated (JDK 17), not for removal: the only hook for java.net.Socket
    public static synchronized void install() {
        if (installed) {
            return;
        }
        PlatformSocket.check();
        try {
            Socket.setSocketImplFactory(() -> new LayerSocketImpl(false));
            ServerSocket.setSocketFactory(() -> new LayerSocketImpl(true));
        } catch (final IOException e) {
            throw new IllegalStateException("softclan sockets: another socket factory is installed in this JVM ("
                + e.getMessage() + "); the layer is not active", e);
        }
        installed = true;
    }

    /** {@return whether {@link #install()} succeeded in this JVM} */
    public static synchronized boolean isInstalled() {
        return installed;
    }

    /** {@return the settings of an accelerated socket's connection: the competitive wait of {@link #SPIN_NANOS}} */
    static ConnectionContext connectionContext() {
        return new ConnectionContext().waitStrategy(WaitStrategy.competitive(SPIN_NANOS));
    }

    /**
     * {@return the byte-stream service name a server listening on {@code port} registers in the fabric}:
     * {@code tcp-NETNS-PORT}, where {@code NETNS} is this process's network namespace (the inode of
     * {@code /proc/self/ns/net}): two processes that share a fabric directory but not a network namespace
     * (containers sharing {@code /dev/shm}) do not share a loopback either, and must not meet.
     */
    static String serviceFor(final int port) {
        return "tcp-" + NETNS + "-" + port;
    }

    private static final String NETNS = networkNamespace();

    private static String networkNamespace() {
        try {
            final String link = java.nio.file.Files.readSymbolicLink(Paths.get("/proc/self/ns/net")).toString();
            final String digits = link.replaceAll("[^0-9]", "");
            return digits.isEmpty() ? "0" : digits;
        } catch (final IOException | UnsupportedOperationException | SecurityException e) {
            return "0";
        }
    }

    static boolean enabled() {
        return !"false".equalsIgnoreCase(System.getProperty("softclan.sockets.enabled", "true"));
    }

    /** {@return the fabric's directory the layer uses (environment, then property, then the default)} */
    public static Path fabricRoot() {
        final String env = System.getenv("SOFTCLAN_FABRIC");
        if (env != null && !env.isEmpty()) {
            return Paths.get(env);
        }
        final String prop = System.getProperty("softclan.fabric");
        if (prop != null && !prop.isEmpty()) {
            return Paths.get(prop);
        }
        return Fabric.defaultRoot();
    }

    /** {@return this process's endpoint in the fabric, opened on first use; {@code null} if that failed} */
    static synchronized Endpoint endpoint() {
        if (endpoint == null && fabricFailure == null) {
            try {
                final Fabric f = Fabric.open(fabricRoot());
                endpoint = f.openEndpoint("sockets-" + ProcessHandle.current().pid());
                STATS.publishTo(endpoint.stats());
            } catch (final RuntimeException | Error e) {
                fabricFailure = e;
                STATS.error("the fabric at " + fabricRoot() + " cannot be used: " + e);
            }
        }
        return endpoint;
    }

    /**
     * {@return whether {@code a} is an address of this host}: a loopback or wildcard address, or one of
     * its interfaces' (cached per address)
     */
    static boolean isLocal(final InetAddress a) {
        if (a == null) {
            return false;
        }
        if (a.isLoopbackAddress() || a.isAnyLocalAddress()) {
            return true;
        }
        return LOCAL.computeIfAbsent(a, x -> {
            try {
                return NetworkInterface.getByInetAddress(x) != null;
            } catch (final SocketException e) {
                return false;
            }
        });
    }

    /**
     * A client's side of the switch, before its TCP connect: if the server's process runs the layer in
     * this fabric, binds {@code tcp} (when the program did not) so its port is known, connects a byte
     * stream to that process, says which TCP connection it is for, and waits for its ack.
     */
    static Attempt offer(final SocketImpl tcp, final InetSocketAddress remote, final int connectMillis) {
        return offer(new ClientSocket() {
            @Override
            public int localPort() {
                return PlatformSocket.localPort(tcp);
            }

            @Override
            public void bind(final InetAddress any) throws IOException {
                PlatformSocket.bind(tcp, any, 0);
            }

            @Override
            public InetAddress boundAddress() throws IOException {
                return (InetAddress) tcp.getOption(SocketOptions.SO_BINDADDR);
            }

            @Override
            public int descriptor() {
                return Descriptors.of(PlatformSocket.fileDescriptor(tcp));
            }
        }, remote, connectMillis);
    }

    /** The TCP socket a client connects, as {@link #offer} needs it: a socket impl's or a channel's. */
    interface ClientSocket {
        /** {@return the port it is bound to, 0 if none} @throws IOException as the socket's */
        int localPort() throws IOException;

        /** Binds it to {@code any} (a wildcard address), port 0. @param any the address @throws IOException as the socket's */
        void bind(InetAddress any) throws IOException;

        /** {@return the address it is bound to} @throws IOException as the socket's */
        InetAddress boundAddress() throws IOException;

        /** {@return its descriptor number in this process, -1 if unknown} */
        int descriptor();
    }

    /**
     * The reasons a connect to {@code remote} falls back that are known without asking anyone (the layer
     * is off, another host, no fabric): {@return one of them, or {@code null} if only a hand-shake can tell}
     */
    static FallbackReason fallsBackAtOnce(final InetSocketAddress remote) {
        if (!enabled()) {
            return FallbackReason.DISABLED;
        }
        if (!isLocal(remote.getAddress())) {
            return FallbackReason.REMOTE_HOST;
        }
        return endpoint() == null ? FallbackReason.FABRIC_UNAVAILABLE : null;
    }

    /** As {@link #offer(SocketImpl, InetSocketAddress, int)} for any client socket. */
    static Attempt offer(final ClientSocket tcp, final InetSocketAddress remote, final int connectMillis) {
        final FallbackReason atOnce = fallsBackAtOnce(remote);
        if (atOnce != null) {
            return new Attempt(null, atOnce);
        }
        final Endpoint ep = endpoint();
        if (ep == null) {
            return new Attempt(null, FallbackReason.FABRIC_UNAVAILABLE);
        }
        // one deadline for the stream's connect and the ack (the TCP connect gets what is left of the program's)
        final long waitMillis = connectMillis > 0 ? Math.min(connectMillis, HANDSHAKE_TIMEOUT_MS) : HANDSHAKE_TIMEOUT_MS;
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMillis);
        ByteStream s;
        try {
            s = ByteStreams.connect(ep, serviceFor(remote.getPort()), connectionContext(), waitMillis,
                TimeUnit.MILLISECONDS);
        } catch (final ConnectException e) {
            return new Attempt(null, FallbackReason.PEER_NOT_ACCELERATED);
        } catch (final RuntimeException e) {
            STATS.error("connecting a stream for " + remote + ": " + e);
            return new Attempt(null, FallbackReason.HANDSHAKE_FAILED);
        }
        try {
            int localPort = tcp.localPort();
            if (localPort == 0) {
                final InetAddress any = remote.getAddress() instanceof Inet4Address
                    ? InetAddress.getByAddress(new byte[4]) : InetAddress.getByAddress(new byte[16]);
                tcp.bind(any);
                localPort = tcp.localPort();
            }
            final InetAddress bound = tcp.boundAddress();
            s.write(Handshake.hello(localPort, remote.getPort(), bound, remote.getAddress(), tcp.descriptor(),
                s.connection().outbound().descriptor()));
            final ByteBuffer ack = ByteBuffer.allocate(Handshake.ACK_LENGTH);
            while (ack.hasRemaining()) {
                final long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    throw new IOException("softclan sockets: no ack within " + waitMillis + " ms");
                }
                s.readTimeout(left, TimeUnit.MILLISECONDS);
                if (s.read(ack) < 0) {
                    throw new IOException("softclan sockets: the server ended the stream instead of its ack");
                }
            }
            final Handshake.Ack a = Handshake.checkAck(ack, localPort);
            // the ack's process must be the one the TCP connect reaches: it holds the listening socket
            // of that port, and this stream's ring (a process of the fabric acking for a port another
            // process listens on fails one or the other), under the descriptors the ack names
            if (!KernelCheck.holdsSocket(a.pid(), a.listenFd(), KernelCheck.tcpSocketInodes(remote.getPort(), 0, true))
                || !KernelCheck.holdsFile(a.pid(), a.ringFd(), ringFile(s))) {
                throw new IOException("softclan sockets: the process that acked (pid " + a.pid() + ") does not hold"
                    + " the listening socket of port " + remote.getPort() + " (descriptor " + a.listenFd() + ") and this"
                    + " stream's ring (descriptor " + a.ringFd() + ")");
            }
            s.readTimeout(0, TimeUnit.MILLISECONDS);
            return new Attempt(s, FallbackReason.ACCELERATED);
        } catch (final IOException | RuntimeException e) {
            s.close();
            STATS.error("hand-shake with the server of " + remote + ": " + e);
            return new Attempt(null, FallbackReason.HANDSHAKE_FAILED);
        }
    }

    /** {@return the file of this end's receive region of {@code s}: its peer has it mapped} */
    static Path ringFile(final ByteStream s) {
        return s.connection().inbound().endpoint().fabric().root()
            .resolve(s.connection().inbound().regionName() + ".region");
    }

    /**
     * A server socket's side: registers the port's service in the fabric (unless another process has).
     *
     * @param port     the port it listens on
     * @param bound    the address it is bound to (the wildcard for every address)
     * @param listenFd its listening socket's descriptor number (named in acks; -1 if unknown: clients then
     *                 stay on TCP)
     */
    static Listening listen(final int port, final InetAddress bound, final int listenFd) {
        if (!enabled()) {
            return new Listening(null, FallbackReason.DISABLED);
        }
        final Endpoint ep = endpoint();
        if (ep == null) {
            return new Listening(null, FallbackReason.FABRIC_UNAVAILABLE);
        }
        try {
            final StreamListener l = ByteStreams.listen(ep, serviceFor(port), connectionContext());
            return new Listening(new ServerBinding(l, port, bound, listenFd), FallbackReason.ACCELERATED);
        } catch (final RegionExistsException e) {
            return new Listening(null, FallbackReason.LISTENER_CONFLICT);
        } catch (final RuntimeException e) {
            STATS.error("listening for port " + port + ": " + e);
            return new Listening(null, FallbackReason.FABRIC_UNAVAILABLE);
        }
    }
}
