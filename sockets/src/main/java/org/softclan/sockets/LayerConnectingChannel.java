package org.softclan.sockets;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.AlreadyConnectedException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ConnectionPendingException;
import java.nio.channels.NotYetConnectedException;
import java.nio.channels.SocketChannel;
import org.softclan.vmmc.stream.ByteStream;

/**
 * The connect half of the layer's {@link SocketChannel} ({@link LayerSocketChannel} is the data path):
 * the JDK's own TCP channel underneath, the hand-shake that may replace its data path by a byte stream
 * ({@link Handshake}), blocking and non-blocking connects, {@code finishConnect}, and the state a
 * connect leaves (the stream, or why the connection stays on TCP).
 *
 * <p>A blocking connect makes the hand-shake and the TCP connect on the caller's thread. A non-blocking
 * connect returns {@code false} at once: the hand-shake (which waits for the server's process) and the
 * TCP connect are made on a thread of the layer's pool ({@link NonBlockingConnect}); the channel is then
 * ready for {@code OP_CONNECT} and {@code finishConnect} takes the outcome. Until then the channel is
 * pending, not connected, and refuses reads, writes and a second connect, as the JDK's. Taking the
 * outcome and closing are ordered by one lock: a stream is either this channel's or closed.
 */
abstract class LayerConnectingChannel extends SocketChannel {
    /** The JDK's channel underneath: the TCP connection, its addresses and options. */
    final SocketChannel tcp;
    /** The data path of an accelerated connection; {@code null} while TCP carries the data. */
    volatile ByteStream stream;
    volatile FallbackReason reason = FallbackReason.NOT_APPLICABLE;
    /** The stream of a non-blocking connect whose TCP connection is not made yet ({@link #finishConnect}). */
    volatile ByteStream pending;
    private volatile InetSocketAddress pendingRemote;
    /** The layer's selectors this channel was registered with (woken when a non-blocking connect ends). */
    private final java.util.Set<LayerSelector> selectors = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** A non-blocking connect whose {@link #finishConnect} has not taken its outcome yet. */
    volatile NonBlockingConnect connecting;
    /** Orders taking a connect's outcome (its stream) against close, which then closes that stream. */
    final Object connectLock = new Object();

    LayerConnectingChannel(final LayerSelectorProvider provider, final SocketChannel tcp) {
        super(provider);
        this.tcp = tcp;
    }

    final void attach(final ByteStream s) throws IOException {
        tcp.configureBlocking(false);   // only the selector's liveness watch uses it from now on
        stream = s;
        reason = FallbackReason.ACCELERATED;
        SocketLayer.STATS.accelerated();
    }

    /** {@return whether this connection's data goes through shared memory} */
    final boolean accelerated() {
        return stream != null;
    }

    /** {@return why this connection is not accelerated ({@link FallbackReason#ACCELERATED} if it is)} */
    final FallbackReason reason() {
        return reason;
    }

    /** {@return the JDK channel underneath (what the selector registers with the JDK's selector)} */
    final SocketChannel tcp() {
        return tcp;
    }

    /** Notes that {@code selector} registered this channel (it is woken when a non-blocking connect ends). */
    final void registeredWith(final LayerSelector selector) {
        selectors.add(selector);
    }

    final void ensureOpen() throws ClosedChannelException {
        if (!isOpen()) {
            throw new ClosedChannelException();
        }
    }

    // ------------------------------------------------------------------------- connect

    @Override
    public boolean connect(final SocketAddress remote) throws IOException {
        ensureOpen();
        if (tcp.isConnected() && connecting == null) {
            throw new AlreadyConnectedException();
        }
        if (connecting != null || tcp.isConnectionPending()) {
            throw new ConnectionPendingException();
        }
        if (!(remote instanceof InetSocketAddress isa) || isa.isUnresolved() || isa.getAddress() == null) {
            return tcp.connect(remote);   // the JDK's own exception
        }
        if (!isBlocking()) {
            final FallbackReason atOnce = SocketLayer.fallsBackAtOnce(isa);
            if (atOnce != null) {
                reason = atOnce;
                SocketLayer.STATS.fellBack(atOnce);
                return tcp.connect(isa);   // the JDK's non-blocking connect
            }
            // the hand-shake waits for the server's process: not on the program's (an event loop's) thread
            final NonBlockingConnect c = new NonBlockingConnect(isa);
            connecting = c;   // before the pool's thread can end it: connectEnded reads it
            try {
                c.start(tcp, () -> offer(isa), this::connectEnded);
            } catch (final java.util.concurrent.RejectedExecutionException | OutOfMemoryError full) {
                connecting = null;
                c.abandon();
                reason = FallbackReason.HANDSHAKE_FAILED;
                SocketLayer.STATS.error("no thread for the hand-shake of a non-blocking connect to " + isa + ": " + full);
                SocketLayer.STATS.fellBack(reason);
                return tcp.connect(isa);
            }
            return false;
        }
        final SocketLayer.Attempt attempt = offer(isa);
        reason = attempt.reason();
        final ByteStream s = attempt.stream();
        if (s == null) {
            SocketLayer.STATS.fellBack(reason);
            return tcp.connect(isa);   // the JDK's connect
        }
        try {
            tcp.connect(isa);
        } catch (final IOException | RuntimeException e) {
            s.close();   // the server drops the stream it kept for this port
            throw e;
        }
        return switchTo(s, isa);
    }

    /** The hand-shake for a connect to {@code isa} ({@link SocketLayer#offer}). */
    private SocketLayer.Attempt offer(final InetSocketAddress isa) {
        return SocketLayer.offer(new ChannelClientSocket(tcp), isa, 0);
    }

    /** On the pool's thread, when a non-blocking connect's phase leaves BUSY: wake the selectors. */
    private void connectEnded() {
        if (!isOpen()) {
            final NonBlockingConnect c = connecting;
            if (c != null) {
                c.abandon();
            }
        }
        for (final LayerSelector s : selectors) {
            s.connectEnded();
        }
    }

    /**
     * {@return the phase of a non-blocking connect not yet finished ({@link NonBlockingConnect#BUSY},
     * {@code READY}, {@code TCP_PENDING}), or -1 if none}: the selector reports {@code OP_CONNECT} in
     * {@code READY}, and watches the TCP channel below only in {@code TCP_PENDING} (before, it is not
     * connecting: the JDK's selector would report it as hung up)
     */
    int connectPhase() {
        final NonBlockingConnect c = connecting;
        return c == null ? -1 : c.phase();
    }

    /** The TCP connection is made: checks it ends at the server that acked, then uses {@code s} (closed on failure). */
    private boolean switchTo(final ByteStream s, final InetSocketAddress isa) throws IOException {
        try {
            final int localPort = ((InetSocketAddress) tcp.getLocalAddress()).getPort();
            if (!KernelCheck.connectionEndsAt(isa.getPort(), localPort)) {
                s.close();
                reason = FallbackReason.HANDSHAKE_FAILED;
                SocketLayer.STATS.error("the TCP connection to " + isa + " ends elsewhere (redirected?): stays on TCP");
                SocketLayer.STATS.fellBack(reason);
                return true;
            }
            attach(s);
            return true;
        } catch (final IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    @Override
    public boolean finishConnect() throws IOException {
        ensureOpen();
        if (stream != null) {
            return true;
        }
        final NonBlockingConnect c = connecting;
        if (c != null) {
            if (c.phase() == NonBlockingConnect.BUSY) {
                if (!isBlocking()) {
                    return false;
                }
                boolean ended = false;
                try {
                    begin();   // an interrupt closes the channel, as the JDK's
                    ended = c.await(this::isOpen);
                } finally {
                    end(ended);   // closed meanwhile: AsynchronousCloseException or ClosedByInterruptException
                }
            }
            final NonBlockingConnect.Result r;
            synchronized (connectLock) {   // close waits: the stream is this channel's or closed, never lost
                ensureOpen();
                r = c.take();
                try {
                    if (r.failure() == null) {
                        final Boolean done = takeConnect(r, c.remote);
                        if (done != null) {
                            return done;
                        }
                    }
                } finally {
                    connecting = null;   // after the stream is attached: the selector never sees a half state
                }
            }
            if (r.failure() != null) {
                reason = r.reason();
                close();   // a channel whose connect failed is closed, as the JDK's (outside connectLock: close takes it)
                if (r.failure() instanceof IOException e) {
                    throw e;
                }
                throw (RuntimeException) r.failure();
            }
        }
        final boolean done;
        try {
            done = tcp.finishConnect();
        } catch (final IOException | RuntimeException e) {
            synchronized (connectLock) {
                final ByteStream s = pending;
                pending = null;
                if (s != null) {
                    s.close();
                }
            }
            throw e;
        }
        if (!done) {
            return false;
        }
        synchronized (connectLock) {
            ensureOpen();
            final ByteStream s = pending;
            pending = null;
            return s == null || switchTo(s, pendingRemote);
        }
    }

    /**
     * Uses the outcome of a non-blocking connect that did not fail (under {@link #connectLock});
     * {@return true as {@code finishConnect}, or {@code null} while its TCP connect is in progress}
     */
    private Boolean takeConnect(final NonBlockingConnect.Result r, final InetSocketAddress remote) throws IOException {
        reason = r.reason();
        if (r.stream() == null) {
            SocketLayer.STATS.fellBack(reason);
            return r.connected() ? Boolean.TRUE : null;
        }
        if (r.connected()) {
            return switchTo(r.stream(), remote);
        }
        pending = r.stream();   // the server acked; the TCP connect is finished as the JDK's
        pendingRemote = remote;
        return null;
    }

    @Override
    public boolean isConnected() {
        return connecting == null && tcp.isConnected();
    }

    @Override
    public boolean isConnectionPending() {
        return connecting != null && isOpen() || tcp.isConnectionPending();
    }

    /** Reads and writes before {@code finishConnect} took a non-blocking connect's outcome are refused. */
    final void notWhileConnecting() {
        if (connecting != null && isOpen()) {
            throw new NotYetConnectedException();
        }
    }
}
