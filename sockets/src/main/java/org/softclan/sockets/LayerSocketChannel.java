package org.softclan.sockets;

import java.io.IOException;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketOption;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ConnectionPendingException;
import java.nio.channels.IllegalBlockingModeException;
import java.nio.channels.NotYetConnectedException;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.softclan.dsm.DsmException;
import org.softclan.tripwire.EventQueue;
import org.softclan.vmmc.stream.ByteStream;
import org.softclan.vmmc.stream.StreamPeerGoneException;
import org.softclan.vmmc.stream.StreamTimeoutException;

/**
 * The layer's {@link SocketChannel}: the JDK's own TCP channel underneath, and, for a connection whose
 * two ends run the layer in one fabric, a byte stream in shared memory that carries the data instead
 * (the same hand-shake as a {@link java.net.Socket}'s, {@link Handshake}). Addresses, options,
 * half-close and close go to the TCP channel as well, so the program sees what TCP would show.
 *
 * <p>Blocking and non-blocking modes: a non-blocking read takes what the stream holds now
 * ({@link ByteStream#readNow}), a non-blocking write what the peer's ring has room for
 * ({@link ByteStream#writeNow}). A non-blocking connect returns {@code false} at once: the hand-shake
 * (which waits for the server's process) and the TCP connect are made on a thread of the layer's pool
 * ({@link NonBlockingConnect}); the channel is then ready for {@code OP_CONNECT} and
 * {@code finishConnect} takes the outcome (the stream, or TCP for a connection that falls back). Readiness for a selector comes from the stream
 * ({@link ByteStream#readable()}, {@link ByteStream#writable()}); the TCP connection stays registered in
 * the JDK's selector for reading only as the peer's liveness signal: its end (the peer closed, or its
 * process died and the kernel closed its sockets) makes the channel readable, and a read then reports
 * the end of stream or {@code Connection reset}.
 *
 * <p>Thread safety: one reader and one writer at a time (others wait), close from any thread.
 */
final class LayerSocketChannel extends LayerConnectingChannel implements TimedChannel {
    private final ReentrantLock readLock = new ReentrantLock();
    private final ReentrantLock writeLock = new ReentrantLock();
    private volatile boolean inputShut;
    private volatile boolean outputShut;
    /** The TCP connection of an accelerated channel ended (the peer closed it or died). */
    private volatile boolean tcpEnded;
    /** The peer's process was found gone after its TCP connection ended. */
    private volatile boolean peerDead;
    private Socket adaptor;
    /** A mapping of this channel's stream faulted under a readiness check (its file was cut): it is broken. */
    private volatile boolean broken;
    /** The JDK selectors {@link #tcp} was registered with by a {@link LayerSelector}. */
    private final java.util.Set<java.nio.channels.Selector> below = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * @param provider the layer's provider
     * @param tcp      the JDK's channel (fresh, or accepted)
     * @param stream   the accepted connection's stream, {@code null} for TCP (or a channel not connected yet)
     */
    LayerSocketChannel(final LayerSelectorProvider provider, final SocketChannel tcp, final ByteStream stream)
        throws IOException {
        super(provider, tcp);
        if (stream != null) {
            attach(stream);
        }
    }

    // ------------------------------------------------------------------------- reading

    @Override
    public int read(final ByteBuffer dst) throws IOException {
        Objects.requireNonNull(dst, "dst");
        final ByteStream s = stream;
        if (s == null) {
            notWhileConnecting();
            return tcp.read(dst);
        }
        readLock.lock();
        try {
            ensureReadable();
            if (inputShut) {
                return -1;
            }
            if (broken) {
                throw SocketErrors.reset(new IOException("a region of this connection was cut from outside"));
            }
            if (isBlocking()) {
                return blockingRead(s, dst, 0);
            }
            int n;
            try {
                n = s.readNow(dst);
                if (n == 0 && dst.hasRemaining() && tcpEnded) {
                    s.connection().checkPeer();   // the TCP connection ended: a dead peer is a reset now
                }
            } catch (final StreamPeerGoneException | DsmException e) {
                throw SocketErrors.reset(e);
            }
            if (n > 0) {
                SocketLayer.STATS.received(n);
            }
            return n;
        } catch (final InternalError fault) {
            throw cut(fault);
        } finally {
            readLock.unlock();
        }
    }

    private int blockingRead(final ByteStream s, final ByteBuffer dst, final int timeoutMillis) throws IOException {
        boolean done = false;
        try {
            begin();
            s.readTimeout(timeoutMillis, TimeUnit.MILLISECONDS);
            final int n = s.read(dst);
            done = true;
            if (n > 0) {
                SocketLayer.STATS.received(n);
            }
            return n;
        } catch (final StreamTimeoutException e) {
            done = true;
            throw new SocketTimeoutException("Read timed out");
        } catch (final StreamPeerGoneException e) {
            done = true;
            throw SocketErrors.reset(e);
        } finally {
            if (timeoutMillis != 0) {
                s.readTimeout(0, TimeUnit.MILLISECONDS);
            }
            end(done);
        }
    }

    @Override
    public int read(final ByteBuffer dst, final int timeoutMillis) throws IOException {
        if (!isBlocking()) {
            throw new IllegalBlockingModeException();
        }
        final ByteStream s = stream;
        if (s == null) {
            notWhileConnecting();
            // the JDK's adaptor applies SO_TIMEOUT to its channel's reads
            final Socket a = tcp.socket();
            a.setSoTimeout(timeoutMillis);
            final byte[] b = new byte[Math.max(1, Math.min(dst.remaining(), 64 * 1024))];
            final int n = a.getInputStream().read(b, 0, Math.min(b.length, dst.remaining()));
            if (n > 0) {
                dst.put(b, 0, n);
            }
            return n;
        }
        readLock.lock();
        try {
            ensureReadable();
            return inputShut ? -1 : blockingRead(s, dst, timeoutMillis);
        } catch (final InternalError fault) {
            throw cut(fault);
        } finally {
            readLock.unlock();
        }
    }

    @Override
    public SocketChannel accept(final int timeoutMillis) {
        throw new UnsupportedOperationException("a socket channel accepts nothing");
    }

    @Override
    public long read(final ByteBuffer[] dsts, final int offset, final int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, dsts.length);
        if (stream == null) {
            notWhileConnecting();
            return tcp.read(dsts, offset, length);
        }
        long total = 0;
        for (int i = offset; i < offset + length; i++) {
            if (!dsts[i].hasRemaining()) {
                continue;
            }
            final boolean blocking = isBlocking();
            if (blocking && total > 0) {
                if (!stream.readable()) {
                    break;   // a blocking scattering read waits for its first bytes only
                }
            }
            final int n = read(dsts[i]);
            if (n < 0) {
                return total > 0 ? total : -1;
            }
            total += n;
            if (dsts[i].hasRemaining()) {
                break;
            }
        }
        return total;
    }

    private void ensureReadable() throws IOException {
        ensureOpen();
        if (!isConnected()) {
            throw new NotYetConnectedException();
        }
    }

    // ------------------------------------------------------------------------- writing

    @Override
    public int write(final ByteBuffer src) throws IOException {
        Objects.requireNonNull(src, "src");
        final ByteStream s = stream;
        if (s == null) {
            notWhileConnecting();
            return tcp.write(src);
        }
        writeLock.lock();
        try {
            ensureWritable();
            if (broken) {
                throw SocketErrors.brokenPipe(new IOException("a region of this connection was cut from outside"));
            }
            if (isBlocking()) {
                boolean done = false;
                try {
                    begin();
                    final int n = src.remaining();
                    s.write(src);
                    done = true;
                    SocketLayer.STATS.sent(n);
                    return n;
                } catch (final StreamPeerGoneException e) {
                    done = true;
                    throw SocketErrors.brokenPipe(e);
                } finally {
                    end(done);
                }
            }
            try {
                final int n = s.writeNow(src);
                if (n > 0) {
                    SocketLayer.STATS.sent(n);
                }
                return n;
            } catch (final StreamPeerGoneException | IllegalStateException e) {
                // IllegalStateException: the peer's control area claims a receive mode no peer of the layer
                // uses (PRE_POSTED): that peer's connection fails, as any protocol violation
                throw SocketErrors.brokenPipe(e);
            }
        } catch (final InternalError fault) {
            throw cut(fault);
        } finally {
            writeLock.unlock();
        }
    }

    @Override
    public long write(final ByteBuffer[] srcs, final int offset, final int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, srcs.length);
        if (stream == null) {
            notWhileConnecting();
            return tcp.write(srcs, offset, length);
        }
        long total = 0;
        for (int i = offset; i < offset + length; i++) {
            if (!srcs[i].hasRemaining()) {
                continue;
            }
            total += write(srcs[i]);
            if (srcs[i].hasRemaining()) {
                break;   // the ring is full (non-blocking)
            }
        }
        return total;
    }

    private void ensureWritable() throws IOException {
        ensureOpen();
        if (!isConnected()) {
            throw new NotYetConnectedException();
        }
        if (outputShut) {
            throw new ClosedChannelException();
        }
    }

    // ------------------------------------------------------------------------- the selector's side

    /**
     * {@return the operations of {@code interest} this accelerated channel is ready for now}: reading
     * when a read would not wait, writing when the ring has room (or a write would fail)
     */
    int readyOps(final int interest) {
        if (broken) {
            return interest & (SelectionKey.OP_READ | SelectionKey.OP_WRITE);   // the read or write reports it
        }
        try {
            return readyOps0(interest);
        } catch (final InternalError cut) {
            final org.softclan.dsm.RegionTruncatedException t = org.softclan.dsm.RegionFaults.explain(cut);
            if (t != null && streamIntact()) {
                // another region's fault (the doorbell this thread waited on), delivered late here: marked known
                // cut by the translation, so the selector finds it at its next wait; this connection is whole
                SocketLayer.STATS.error("a fault of " + t.regionName() + ", cut from outside, came out in " + this
                    + ", which is whole");
                return 0;
            }
            // a mapping of this stream was cut from outside: this connection is broken, no other
            broken = true;
            SocketLayer.STATS.error("a region of " + this + " was cut from outside: " + cut);
            return interest & (SelectionKey.OP_READ | SelectionKey.OP_WRITE);
        }
    }

    /**
     * A fault of mapped memory the JVM delivered during this channel's read or write: a region this JVM
     * maps was cut from outside, most likely one of this connection's (its ring, or the peer's doorbell it
     * rang), but the JVM names no memory and may deliver a fault late, so the operation was cut short at an
     * unknown point. This connection is broken from now on (nothing touches its memory again); the regions
     * found cut are marked so that no other connection rings or posts to them again.
     *
     * @return "Connection reset", naming the region(s) found cut
     * @throws InternalError {@code fault} itself, if no region this JVM maps was cut (not a fault of ours)
     */
    private SocketException cut(final InternalError fault) {
        broken = true;
        return SocketErrors.cut(fault);
    }

    /** Marks this channel broken (a fault of its stream's memory met outside it); its next read or write fails. */
    void breakOff() {
        broken = true;
    }

    private int readyOps0(final int interest) {
        final ByteStream s = stream;
        int ready = 0;
        if ((interest & SelectionKey.OP_READ) != 0
            && (inputShut || peerDead || !isOpen() || s.readable())) {
            ready |= SelectionKey.OP_READ;
        }
        if ((interest & SelectionKey.OP_WRITE) != 0 && (outputShut || !isOpen() || s.writable())) {
            ready |= SelectionKey.OP_WRITE;
        }
        return ready;
    }

    /** {@return the operations to watch the TCP connection of an accelerated channel for: its end, until seen} */
    int tcpInterest() {
        return tcpEnded ? 0 : SelectionKey.OP_READ;
    }

    /** {@return whether the TCP connection ended while the peer's process was still alive (to look again)} */
    boolean awaitsPeerDeath() {
        return tcpEnded && !peerDead;
    }

    /**
     * The TCP connection of an accelerated channel is readable: its end (or bytes no peer of the layer
     * sends, which end it as well). Then looks whether the peer's process is gone.
     */
    void onTcpReadable() {
        try {
            final ByteBuffer b = ByteBuffer.allocate(64);
            final int n = tcp.read(b);
            if (n == 0) {
                return;
            }
            if (n > 0) {
                SocketLayer.STATS.error("bytes on the TCP connection of an accelerated channel: its liveness watch ends");
            }
        } catch (final IOException | RuntimeException ended) {
            // reset: ended as well
        }
        tcpEnded = true;
        recheckPeer();
    }

    /** Looks again whether the peer of an accelerated channel whose TCP connection ended is alive. */
    void recheckPeer() {
        final ByteStream s = stream;
        try {
            s.connection().checkPeer();
        } catch (final RuntimeException gone) {
            peerDead = true;
        }
    }

    /** {@return whether both regions of this channel's connection still have their full size (one stat each)} */
    private boolean streamIntact() {
        final ByteStream s = stream;
        if (s == null) {
            return true;
        }
        try {
            s.connection().checkPeer();
            return true;
        } catch (final RuntimeException e) {
            return !(e.getCause() instanceof org.softclan.dsm.RegionTruncatedException);
        }
    }

    /**
     * After a fault the JVM delivered outside this channel's own calls (it names no memory): marks this
     * channel broken if a region of its stream was cut from outside (one {@code stat} each), so that
     * nothing touches that memory again and its next read or write fails.
     */
    void breakOffIfCut() {
        final ByteStream s = stream;
        if (s == null) {
            return;
        }
        try {
            s.connection().checkPeer();
        } catch (final RuntimeException e) {
            if (e.getCause() instanceof org.softclan.dsm.RegionTruncatedException) {
                broken = true;
            } else {
                peerDead = true;
            }
        } catch (final InternalError e) {
            broken = true;
        }
    }

    /** {@return the doorbell of the Tripwire unit this accelerated channel's arrivals ring} */
    EventQueue bell() {
        return stream.connection().unit().events();
    }

    // ------------------------------------------------------------------------- the rest: TCP's

    @Override
    public SocketChannel bind(final SocketAddress local) throws IOException {
        if (connecting != null && isOpen()) {
            throw new ConnectionPendingException();
        }
        tcp.bind(local);
        return this;
    }

    @Override
    public <T> SocketChannel setOption(final SocketOption<T> name, final T value) throws IOException {
        tcp.setOption(name, value);
        return this;
    }

    @Override
    public <T> T getOption(final SocketOption<T> name) throws IOException {
        return tcp.getOption(name);
    }

    @Override
    public Set<SocketOption<?>> supportedOptions() {
        return tcp.supportedOptions();
    }

    @Override
    public SocketChannel shutdownInput() throws IOException {
        ensureOpen();
        notWhileConnecting();
        if (stream != null && tcp.isConnected()) {
            inputShut = true;   // reads return -1 from now on
        }
        tcp.shutdownInput();
        return this;
    }

    @Override
    public SocketChannel shutdownOutput() throws IOException {
        ensureOpen();
        notWhileConnecting();
        final ByteStream s = stream;
        if (s != null && tcp.isConnected()) {
            writeLock.lock();
            try {
                if (!outputShut) {
                    outputShut = true;
                    try {
                        s.shutdownOutput();   // the peer reads -1 after what was written before
                    } catch (final StreamPeerGoneException e) {
                        // the peer is gone: nothing to end
                    }
                }
            } finally {
                writeLock.unlock();
            }
        }
        tcp.shutdownOutput();
        return this;
    }

    @Override
    public synchronized Socket socket() {
        if (adaptor == null) {
            try {
                adaptor = new ChannelSocket(this, this, tcp.socket());
            } catch (final SocketException e) {
                throw new IllegalStateException("softclan sockets: no socket adaptor for " + this, e);
            }
        }
        return adaptor;
    }

    @Override
    public SocketAddress getRemoteAddress() throws IOException {
        final NonBlockingConnect c = connecting;
        if (c != null && isOpen()) {
            return c.remote;   // as the JDK's, from the connect on
        }
        return tcp.getRemoteAddress();
    }

    @Override
    public SocketAddress getLocalAddress() throws IOException {
        return tcp.getLocalAddress();
    }

    @Override
    protected void implCloseSelectableChannel() throws IOException {
        synchronized (connectLock) {
            final NonBlockingConnect c = connecting;
            if (c != null) {
                c.abandon();
            }
            final ByteStream p = pending;
            if (p != null) {
                p.close();
            }
            final ByteStream s = stream;
            if (s != null) {
                if (isBlocking() || broken || writableForClose(s)) {
                    s.close();   // the end-of-stream marker first (unless the output was shut down)
                } else {
                    // the peer's ring is full: its end-of-stream marker waits for room (up to the stream's close
                    // linger); an event loop's close must not, so that wait goes to a thread of its own, as the
                    // kernel lingers for a TCP close
                    final Thread t = new Thread(s::close, "softclan-sockets-close");
                    t.setDaemon(true);
                    t.start();
                }
            }
            tcp.close();
        }
    }

    private static boolean writableForClose(final ByteStream s) {
        try {
            return s.writable();
        } catch (final RuntimeException | InternalError e) {
            return true;   // broken: the close does not wait for anything
        }
    }

    /** Notes that {@code selector} registered this channel, and {@link #tcp} with its JDK selector {@code jdk}. */
    void registeredWith(final LayerSelector selector, final java.nio.channels.Selector jdk) {
        registeredWith(selector);
        below.add(jdk);
    }

    @Override
    protected void implConfigureBlocking(final boolean block) throws IOException {
        if (block) {
            // this channel has no valid key (the caller checked): a key of the channel below is left from a
            // cancelled one, not deregistered yet by the next select; the JDK's own channel could switch now
            for (final java.nio.channels.Selector s : below) {
                final SelectionKey k = tcp.keyFor(s);
                if (k != null) {
                    k.cancel();
                }
            }
        }
        if (stream == null) {
            tcp.configureBlocking(block);
        }
    }


    @Override
    public String toString() {
        return "softclan " + tcp + " [" + reason + "]";
    }
}
