package org.softclan.sockets;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.Map;
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
 * {@value #HELLO_TIMEOUT_MS} ms in all) or for another port or address costs that client its stream; each
 * hello is awaited on a thread of its own (at most {@value #MAX_HANDSHAKES} at once), so a slow one does
 * not hold up the others. A
 * kept stream whose client has gone is dropped when found, so a later plain client on the same port is
 * not taken for it.
 */
final class ServerBinding implements AutoCloseable {
    /** The longest a client may take to send its whole hello (ms). */
    static final long HELLO_TIMEOUT_MS = 2_000;
    /** Hellos awaited at once, each on a thread of its own; a stream beyond them is closed (its client falls back). */
    static final int MAX_HANDSHAKES = 64;
    /**
     * Streams kept for TCP connections not accepted yet; a hello beyond them is refused (its client falls
     * back before its TCP connect, so no connection is left half-accelerated). Each kept stream maps rings.
     */
    static final int MAX_PENDING = 1024;
    private final java.util.concurrent.Semaphore handshakes = new java.util.concurrent.Semaphore(MAX_HANDSHAKES);
    private final StreamListener listener;
    private final int port;
    /** The listening socket's descriptor number, named in acks. */
    private final int listenFd;
    /** The address the server socket is bound to (the wildcard: every address of the host). */
    private final InetAddress bound;
    /** Streams kept for connections not accepted yet, by client port (guarded by this binding). */
    private final Map<Integer, java.util.List<Pending>> pending = new java.util.HashMap<>();
    private int pendingCount;
    private final Thread acceptor;
    private volatile boolean closed;

    /** Hellos kept per client port at most (a forged one beside the real one). */
    static final int MAX_PER_PORT = 4;

    /** A stream kept for a TCP connection not yet accepted, with what its hello claims (checked on accept). */
    private record Pending(ByteStream stream, InetAddress address, long pid, int socketFd, int ringFd) {
    }

    ServerBinding(final StreamListener listener, final int port, final InetAddress bound, final int listenFd) {
        this.listenFd = listenFd;
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
        final java.util.List<Pending> candidates;
        synchronized (this) {
            final java.util.List<Pending> l = pending.get(clientPort);
            if (l == null) {
                return null;
            }
            candidates = new java.util.ArrayList<>(l);
        }
        // the kernel's word, not the hello's: the process that sent it holds this connection's client
        // socket and has the stream's ring mapped (a forged hello for another process's port fails)
        final java.util.Set<Long> inodes = KernelCheck.tcpSocketInodes(clientPort, port, false);
        ByteStream taken = null;
        for (final Pending p : candidates) {
            if (p.address != null && !p.address.equals(remote)) {
                continue;   // a client of the same port on another address
            }
            final boolean verified = taken == null && alive(p) && KernelCheck.holdsSocket(p.pid, p.socketFd, inodes)
                && KernelCheck.holdsFile(p.pid, p.ringFd, SocketLayer.ringFile(p.stream));
            // the others of this port and address cannot be for a later connection: the port is this one's
            forget(clientPort, p);
            if (verified) {
                taken = p.stream;
            } else {
                SocketLayer.STATS.handshakeRefused();
                p.stream.close();
            }
        }
        return taken;
    }

    private static boolean alive(final Pending p) {
        try {
            p.stream.connection().checkPeer();
            return true;
        } catch (final DsmException gone) {
            return false;
        }
    }

    private synchronized void forget(final int clientPort, final Pending p) {
        final java.util.List<Pending> l = pending.get(clientPort);
        if (l != null && l.remove(p)) {
            pendingCount--;
            if (l.isEmpty()) {
                pending.remove(clientPort);
            }
        }
    }

    /** @return whether {@code p} was kept (false: too many kept, for this port or in all) */
    private synchronized boolean keep(final int clientPort, final Pending p) {
        final java.util.List<Pending> l = pending.computeIfAbsent(clientPort, k -> new java.util.ArrayList<>(1));
        if (pendingCount >= MAX_PENDING || l.size() >= MAX_PER_PORT || closed) {
            if (l.isEmpty()) {
                pending.remove(clientPort);
            }
            return false;
        }
        l.add(p);
        pendingCount++;
        return true;
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
            // a hello slow to come must not hold up the others: each is awaited on a thread of its own
            if (!handshakes.tryAcquire()) {
                SocketLayer.STATS.handshakeRefused();
                s.close();
                continue;
            }
            final Thread t = new Thread(() -> {
                try {
                    handshake(s);
                } finally {
                    handshakes.release();
                }
            }, "softclan-sockets-hello-" + port);
            t.setDaemon(true);
            t.start();
        }
    }

    private void handshake(final ByteStream s) {
        try {
            final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(HELLO_TIMEOUT_MS);
            final ByteBuffer b = ByteBuffer.allocate(Handshake.HELLO_LENGTH);
            while (b.hasRemaining()) {
                final long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    throw new IOException("softclan sockets: no whole hello within " + HELLO_TIMEOUT_MS + " ms");
                }
                s.readTimeout(left, TimeUnit.MILLISECONDS);   // one deadline for the whole hello, not one per read
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
            if (!keep(h.clientPort(), new Pending(s, h.address(), h.pid(), h.socketFd(), h.ringFd()))) {
                throw new IOException("softclan sockets: too many streams wait for their TCP connection to be"
                    + " accepted on port " + port + " (at most " + MAX_PENDING + ", " + MAX_PER_PORT + " per client port)");
            }
            s.write(Handshake.ack(h.clientPort(), listenFd, s.connection().outbound().descriptor()));
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
        final java.util.List<java.util.Map.Entry<Integer, Pending>> all = new java.util.ArrayList<>();
        synchronized (this) {
            pending.forEach((port, l) -> l.forEach(p -> all.add(java.util.Map.entry(port, p))));
        }
        for (final java.util.Map.Entry<Integer, Pending> e : all) {
            if (!alive(e.getValue())) {
                forget(e.getKey(), e.getValue());
                e.getValue().stream.close();
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
        final java.util.List<Pending> all = new java.util.ArrayList<>();
        synchronized (this) {
            pending.values().forEach(all::addAll);
            pending.clear();
            pendingCount = 0;
        }
        for (final Pending p : all) {
            p.stream.close();
        }
    }
}
