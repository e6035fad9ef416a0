package org.softclan.sockets;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.softclan.dsm.DsmException;
import org.softclan.vmmc.stream.ByteStream;
import org.softclan.vmmc.stream.StreamListener;

/**
 * A listening server socket's shared-memory side: a byte-stream listener on the port's service name
 * ({@link SocketLayer#serviceFor}) and a daemon thread that takes each client's {@link Handshake hello}
 * and keeps its stream under the client's port until {@code accept} returns that client's TCP connection
 * ({@link #take}).
 *
 * <p>Everything a client sends is checked; a hello that is malformed, late (over
 * {@value #HELLO_TIMEOUT_MS} ms) or for another port costs that client its stream, never the server. A
 * kept stream whose client has gone is dropped when found, so a later plain client on the same port is
 * not taken for it.
 */
final class ServerBinding implements AutoCloseable {
    static final long HELLO_TIMEOUT_MS = 2_000;
    private final StreamListener listener;
    private final int port;
    /** The address the server socket is bound to (the wildcard: every address of the host). */
    private final InetAddress bound;
    private final Map<Integer, Pending> pending = new ConcurrentHashMap<>();
    private final Thread acceptor;
    private volatile boolean closed;

    private record Pending(ByteStream stream, InetAddress address) {
    }

    ServerBinding(final StreamListener listener, final int port, final InetAddress bound) {
        this.listener = listener;
        this.port = port;
        this.bound = bound;
        this.acceptor = new Thread(this::acceptLoop, "softclan-sockets-accept-" + port);
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /**
     * Takes the stream a client sent a hello for, before its TCP connection from {@code clientPort}.
     *
     * @param clientPort the TCP connection's remote port
     * @param remote     its remote address
     * @return the stream, or {@code null} if no live client asked for one from that port and address
     */
    ByteStream take(final int clientPort, final InetAddress remote) {
        final Pending p = pending.get(clientPort);
        if (p == null || (p.address != null && !p.address.equals(remote))) {
            return null;
        }
        if (!pending.remove(clientPort, p)) {
            return null;
        }
        try {
            p.stream.connection().checkPeer();
            return p.stream;
        } catch (final DsmException gone) {
            p.stream.close();   // its client went away after the hello; whoever has its port now is not it
            return null;
        }
    }

    private void acceptLoop() {
        int idle = 0;
        while (!closed) {
            final ByteStream s;
            try {
                s = listener.accept(100, TimeUnit.MILLISECONDS);
            } catch (final RuntimeException e) {
                if (closed) {
                    return;
                }
                SocketLayer.STATS.handshakeRefused();
                continue;
            }
            if (s == null) {
                if (++idle % 50 == 0) {
                    prune();
                }
                continue;
            }
            handshake(s);
        }
    }

    private void handshake(final ByteStream s) {
        try {
            s.readTimeout(HELLO_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            final ByteBuffer b = ByteBuffer.allocate(Handshake.HELLO_LENGTH);
            while (b.hasRemaining()) {
                if (s.read(b) < 0) {
                    throw new EOFException("softclan sockets: the client ended its stream inside its hello");
                }
            }
            final Handshake.Hello h = Handshake.readHello(b.flip());
            if (h.serverPort() != port) {
                throw new IOException("softclan sockets: a hello for port " + h.serverPort() + " reached the"
                    + " listener of port " + port);
            }
            if (!reaches(h.serverAddress())) {
                // another socket holds this port on the address dialed: the TCP connection goes there
                throw new IOException("softclan sockets: a hello for " + h.serverAddress() + ":" + port
                    + " reached the listener bound to " + bound + ":" + port);
            }
            s.readTimeout(0, TimeUnit.MILLISECONDS);
            final Pending old = pending.put(h.clientPort(), new Pending(s, h.address()));
            if (old != null) {
                old.stream.close();   // that client's port is someone else's now: it has gone
            }
            s.write(Handshake.ack(h.clientPort()));
            if (closed) {
                close();   // a close that raced this hello: nobody will take it
            }
        } catch (final IOException | RuntimeException e) {
            SocketLayer.STATS.handshakeRefused();
            s.close();
        }
    }

    /** {@return whether a TCP connect to {@code dialed} on this port reaches this server socket} */
    private boolean reaches(final InetAddress dialed) {
        if (bound == null || bound.isAnyLocalAddress()) {
            return true;
        }
        return bound.equals(dialed);
    }

    /** Drops kept streams whose client closed or died (one that never connected over TCP). */
    private void prune() {
        for (final Map.Entry<Integer, Pending> e : pending.entrySet()) {
            try {
                e.getValue().stream.connection().checkPeer();
            } catch (final DsmException gone) {
                if (pending.remove(e.getKey(), e.getValue())) {
                    e.getValue().stream.close();
                }
            }
        }
    }

    /** Stops listening; the streams kept for connections not accepted are closed (their clients see a reset). */
    @Override
    public void close() {
        closed = true;
        try {
            listener.close();
        } catch (final RuntimeException ignored) {
            // the listener's memory is released with the endpoint at the latest
        }
        for (final Pending p : pending.values()) {
            p.stream.close();
        }
        pending.clear();
    }
}
