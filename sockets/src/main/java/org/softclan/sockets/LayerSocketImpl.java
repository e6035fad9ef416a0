package org.softclan.sockets;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketImpl;
import java.net.SocketOption;
import java.net.SocketOptions;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.softclan.vmmc.stream.ByteStream;

/**
 * The socket implementation the layer gives every {@link java.net.Socket} and
 * {@link java.net.ServerSocket} of the process: the JDK's own TCP implementation underneath (every
 * call that is not about the data goes to it unchanged), and, for a connection whose two ends run the
 * layer in one fabric, a byte stream that carries the data instead of TCP.
 *
 * <p>The TCP connection stays open for the connection's life: it gives the addresses and ports the
 * program sees, takes the options it sets, and its close is the peer's signal as for TCP. Data of an
 * accelerated connection never touches it, in either direction. See {@link Handshake} for how the two
 * ends agree to switch.
 *
 * <p>Thread safety as for the JDK's implementation: one reader and one writer may work concurrently,
 * and close may come from any thread (blocked reads and writes then end with a {@link SocketException}).
 */
final class LayerSocketImpl extends SocketImpl {
    private final SocketImpl tcp;
    private final boolean server;
    /** The data path of an accelerated connection; {@code null} while TCP carries the data. */
    private volatile ByteStream stream;
    /** A server socket's shared-memory listener, {@code null} if none. */
    private volatile ServerBinding binding;
    private volatile FallbackReason reason = FallbackReason.NOT_APPLICABLE;
    private volatile int timeoutMillis;
    private volatile boolean reusePort;
    private boolean streamSocket = true;
    private InputStream in;
    private OutputStream out;
    volatile boolean inputShut;
    volatile boolean outputShut;
    /** A region of the stream was cut from outside (a fault met in a read or write): every later one fails. */
    volatile boolean broken;
    private volatile boolean closed;

    LayerSocketImpl(final boolean server) {
        this.server = server;
        this.tcp = PlatformSocket.newImpl(server);
    }

    /** {@return whether this connection's data goes through shared memory} */
    boolean accelerated() {
        return stream != null;
    }

    /** {@return why this connection is not accelerated ({@link FallbackReason#ACCELERATED} if it is)} */
    FallbackReason reason() {
        return reason;
    }

    @Override
    protected void create(final boolean stream) throws IOException {
        streamSocket = stream;
        PlatformSocket.create(tcp, stream);
    }

    @Override
    protected void connect(final String host, final int port) throws IOException {
        final InetAddress a = InetAddress.getByName(host);
        connect(new InetSocketAddress(a, port), 0);
    }

    @Override
    protected void connect(final InetAddress address, final int port) throws IOException {
        connect(new InetSocketAddress(address, port), 0);
    }

    @Override
    protected void connect(final SocketAddress remote, final int millis) throws IOException {
        if (!(remote instanceof InetSocketAddress isa) || isa.isUnresolved()) {
            PlatformSocket.connect(tcp, remote, millis);   // the JDK's own exception
            return;
        }
        if (isa.getAddress() == null) {
            throw new UnknownHostException(isa.getHostName());
        }
        ByteStream s = null;
        int tcpMillis = millis;
        if (streamSocket) {
            final long start = System.nanoTime();
            final SocketLayer.Attempt attempt = SocketLayer.offer(tcp, isa, millis);
            s = attempt.stream();
            reason = attempt.reason();
            if (millis > 0) {   // the program's connect timeout covers the hand-shake too
                tcpMillis = (int) Math.max(1, millis - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            }
        }
        try {
            PlatformSocket.connect(tcp, isa, tcpMillis);
        } catch (final IOException | RuntimeException e) {
            if (s != null) {
                s.close();   // the server drops the stream it kept for this port
            }
            throw e;
        }
        copyAddresses();
        if (s != null && !KernelCheck.connectionEndsAt(port, localport)) {
            // the TCP connection does not end at the port whose server acked (a redirect): stay on TCP;
            // nothing was sent on the stream, and closing it drops what the server kept for it
            s.close();
            s = null;
            reason = FallbackReason.HANDSHAKE_FAILED;
            SocketLayer.STATS.error("the TCP connection to " + isa + " ends elsewhere (redirected?): stays on TCP");
        }
        if (s != null) {
            attach(s);
        } else {
            SocketLayer.STATS.fellBack(reason);
        }
    }

    @Override
    protected void bind(final InetAddress host, final int port) throws IOException {
        PlatformSocket.bind(tcp, host, port);
        localport = PlatformSocket.localPort(tcp);
    }

    @Override
    protected void listen(final int backlog) throws IOException {
        PlatformSocket.listen(tcp, backlog);
        localport = PlatformSocket.localPort(tcp);
        if (reusePort) {
            reason = FallbackReason.NOT_APPLICABLE;   // several processes may share the port: no one owns it
            return;
        }
        final SocketLayer.Listening l = SocketLayer.listen(localport, (InetAddress) tcp.getOption(SocketOptions.SO_BINDADDR),
            Descriptors.of(PlatformSocket.fileDescriptor(tcp)));
        binding = l.binding();
        reason = l.reason();
    }

    @Override
    protected void accept(final SocketImpl s) throws IOException {
        if (!(s instanceof LayerSocketImpl into)) {
            throw new SocketException("softclan sockets: cannot accept into a " + s.getClass().getName());
        }
        PlatformSocket.accept(tcp, into.tcp);
        into.copyAddresses();
        final ServerBinding b = binding;
        if (b == null) {
            into.reason = reason == FallbackReason.ACCELERATED ? FallbackReason.PEER_NOT_ACCELERATED : reason;
        } else if (!SocketLayer.isLocal(into.address)) {
            into.reason = FallbackReason.REMOTE_HOST;
        } else {
            final ByteStream taken = b.take(into.port, into.address);
            if (taken == null) {
                into.reason = FallbackReason.PEER_NOT_ACCELERATED;
            } else {
                into.attach(taken);
                return;
            }
        }
        SocketLayer.STATS.fellBack(into.reason);
    }

    private void copyAddresses() {
        address = PlatformSocket.inetAddress(tcp);
        port = PlatformSocket.port(tcp);
        localport = PlatformSocket.localPort(tcp);
        fd = PlatformSocket.fileDescriptor(tcp);
    }

    private void attach(final ByteStream s) {
        s.readTimeout(timeoutMillis, TimeUnit.MILLISECONDS);
        stream = s;
        reason = FallbackReason.ACCELERATED;
        SocketLayer.STATS.accelerated();
    }

    @Override
    protected synchronized InputStream getInputStream() throws IOException {
        if (in == null) {
            final ByteStream s = stream;
            in = s != null ? new StreamSocketInput(this, s) : PlatformSocket.inputStream(tcp);
        }
        return in;
    }

    @Override
    protected synchronized OutputStream getOutputStream() throws IOException {
        if (out == null) {
            final ByteStream s = stream;
            out = s != null ? new StreamSocketOutput(this, s) : PlatformSocket.outputStream(tcp);
        }
        return out;
    }

    @Override
    protected int available() throws IOException {
        final ByteStream s = stream;
        if (s == null) {
            return PlatformSocket.available(tcp);
        }
        return ((StreamSocketInput) getInputStream()).available();
    }

    @Override
    protected void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        final ByteStream s = stream;
        if (s != null) {
            s.close();   // the end-of-stream marker first (unless the output was shut down): the peer reads EOF
        }
        final ServerBinding b = binding;
        if (b != null) {
            b.close();
        }
        PlatformSocket.close(tcp);
    }

    @Override
    protected void shutdownInput() throws IOException {
        final ByteStream s = stream;
        if (s != null) {
            inputShut = true;   // reads return -1 from now on; what the peer sends is dropped with the stream
        }
        PlatformSocket.shutdownInput(tcp);
    }

    @Override
    protected void shutdownOutput() throws IOException {
        final ByteStream s = stream;
        if (s != null) {
            outputShut = true;
            s.shutdownOutput();   // the peer's reads return -1 after what was written before
        }
        PlatformSocket.shutdownOutput(tcp);
    }

    @Override
    protected boolean supportsUrgentData() {
        return stream == null && PlatformSocket.supportsUrgentData(tcp);
    }

    @Override
    protected void sendUrgentData(final int data) throws IOException {
        if (stream != null) {
            throw new SocketException("softclan sockets: urgent data is not supported on a connection through"
                + " shared memory");
        }
        PlatformSocket.sendUrgentData(tcp, data);
    }

    @Override
    public void setOption(final int opt, final Object value) throws SocketException {
        tcp.setOption(opt, value);
        if (opt == SocketOptions.SO_TIMEOUT && value instanceof Integer t) {
            timeoutMillis = t;
            final ByteStream s = stream;
            if (s != null) {
                s.readTimeout(t, TimeUnit.MILLISECONDS);
            }
        }
    }

    @Override
    public Object getOption(final int opt) throws SocketException {
        return tcp.getOption(opt);
    }

    @Override
    protected <T> void setOption(final SocketOption<T> name, final T value) throws IOException {
        PlatformSocket.setOption(tcp, name, value);
        if (name == StandardSocketOptions.SO_REUSEPORT && Boolean.TRUE.equals(value)) {
            reusePort = true;
        }
    }

    @Override
    protected <T> T getOption(final SocketOption<T> name) throws IOException {
        return PlatformSocket.getOption(tcp, name);
    }

    @Override
    protected Set<SocketOption<?>> supportedOptions() {
        return PlatformSocket.supportedOptions(tcp);
    }

    @Override
    public String toString() {
        return "softclan socket[" + (server ? "server " : "") + "local port " + localport
            + (port != 0 ? ", remote " + address + ":" + port : "") + ", " + reason + "]";
    }
}
