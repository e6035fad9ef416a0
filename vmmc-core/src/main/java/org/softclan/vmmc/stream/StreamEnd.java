package org.softclan.vmmc.stream;

import static org.softclan.vmmc.stream.StreamFrameDescriptor.DEPOSIT_FRAME_LENGTH;
import static org.softclan.vmmc.stream.StreamFrameDescriptor.MAX_FRAME;

import java.io.IOException;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.TimeUnit;

import org.softclan.dsm.RegionFaults;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.InboundMapping;
import org.softclan.dsm.Mapping;
import org.softclan.dsm.OutboundMapping;
import org.softclan.dsm.RegionTruncatedException;
import org.softclan.vmmc.Connection;
import org.softclan.vmmc.PeerGoneException;
import org.softclan.vmmc.PeerProtocolException;

/**
 * What every role of one {@link ByteStream} end shares: the connection and its two regions, the
 * largest frame, the timeouts, the closed flag and the first protocol violation found in what the peer
 * wrote, with the checks and exceptions built on them. Its {@link #toString()} is the stream's, so every
 * role's messages name the stream the same way.
 *
 * <p><b>Memory order</b>: {@link #closed} and {@link #violation} are volatile (any thread reads them
 * without a lock); everything else, the timeouts included, is final.
 */
final class StreamEnd {
    /** One slice of a blocking wait: between slices the peer's liveness and the closed flag are checked. */
    static final long SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(Connection.LIVENESS_SLICE_MS);

    final Connection connection;
    final Endpoint endpoint;
    /** The peer's receive region: this end writes frames into its ring and its control area for the peer. */
    final OutboundMapping tx;
    /** This end's receive region: the peer's frames and the control area the peer writes for this end. */
    final InboundMapping rx;
    /** Largest frame this end sends, type byte included. */
    final int frame;
    /** Set once by {@link StreamCloser#close()} (under its close lock); read by every role (volatile). */
    volatile boolean closed;
    /**
     * Longest wait of a read for its first byte, in ns, 0 for forever ({@link ByteStreamContext#readTimeout},
     * changed by {@link ByteStream#readTimeout}); volatile: a read takes the value current when it starts.
     */
    volatile long readTimeoutNanos;
    /** Longest wait of a write overall, in ns, 0 for forever ({@link ByteStreamContext#writeTimeout}). */
    final long writeTimeoutNanos;
    /**
     * The first protocol violation found in what the peer wrote (a frame, a DEPOSIT notice, the control
     * area, the post table): the stream is broken from then on, reads and writes fail with it (volatile).
     */
    private volatile String violation;

    /**
     * @param connection the connection that carries the stream
     * @param ctx        the stream's settings (its timeouts are taken from it)
     * @throws IllegalArgumentException if the connection's messages cannot hold a DEPOSIT frame
     */
    StreamEnd(final Connection connection, final ByteStreamContext ctx) {
        this.connection = connection;
        this.readTimeoutNanos = ctx.readTimeoutNanos;
        this.writeTimeoutNanos = ctx.writeTimeoutNanos;
        this.tx = connection.outbound();
        this.rx = connection.inbound();
        this.endpoint = tx.endpoint();
        this.frame = Math.min(connection.maxMessage(), MAX_FRAME);
        if (frame < DEPOSIT_FRAME_LENGTH) {
            throw new IllegalArgumentException(connection + " carries messages of at most " + frame + " bytes");
        }
    }

    /**
     * {@return {@code timeout} in ns}
     *
     * @param timeout the wait, at least 0
     * @param unit    its unit
     * @throws IllegalArgumentException if {@code timeout} is negative
     */
    static long toNanos(final long timeout, final TimeUnit unit) {
        if (timeout < 0) {
            throw new IllegalArgumentException("negative timeout " + timeout);
        }
        return unit.toNanos(timeout);
    }

    /**
     * Records the peer's protocol violation (the first one wins: the stream is broken from now on) and
     * returns the exception reporting it. The record is a volatile read, then a volatile write.
     *
     * @param structure the structure the peer wrote (a frame kind, the control area, the post table)
     * @param field     the field and its offset
     * @param value     what the peer wrote there
     * @param rule      what it should have written
     * @return the exception to throw where the violation was found
     */
    StreamPeerGoneException violation(final String structure, final String field, final Object value,
                                      final String rule) {
        final String message = this + ": the peer " + (tx.isRemote() ? "on host '" + tx.remoteHost() + "'" : tx.owner())
            + " broke the stream protocol: " + structure + " "
            + field + " is " + value + "; " + rule;
        if (violation == null) {
            violation = message;
        }
        return new StreamPeerGoneException(message, new PeerProtocolException(message));
    }

    /** {@return whether a protocol violation of the peer was recorded (volatile read)} */
    boolean isBroken() {
        return violation != null;
    }

    /** @throws StreamPeerGoneException (caused by {@link PeerProtocolException}) if the peer broke the protocol */
    void checkBroken() throws StreamPeerGoneException {
        final String broken = violation;
        if (broken != null) {
            throw new StreamPeerGoneException(broken, new PeerProtocolException(broken));
        }
    }

    /** @throws ClosedChannelException if the stream is closed (volatile read) */
    void ensureOpen() throws ClosedChannelException {
        if (closed) {
            throw new ClosedChannelException();
        }
    }

    /**
     * For a thread that took a lock: {@link AsynchronousCloseException} if the stream was open when it
     * began waiting for the lock and was closed meanwhile (it was blocked in the call), else as
     * {@link #ensureOpen()}.
     *
     * @param wasOpen whether the stream was open before the caller waited for its lock
     * @throws ClosedChannelException if the stream is closed
     */
    void ensureOpen(final boolean wasOpen) throws ClosedChannelException {
        if (closed) {
            throw wasOpen ? new AsynchronousCloseException() : new ClosedChannelException();
        }
    }

    /** {@return the exception for a region closed under a call: asynchronous if this stream was closed} */
    IOException closedMeanwhile() {
        return closed ? new AsynchronousCloseException() : new ClosedChannelException();
    }

    /**
     * {@return the stream's exception for the connection's report that the peer is gone: broken if the
     * peer broke the protocol, else cut short}
     */
    StreamPeerGoneException streamGone(final PeerGoneException e) {
        return new StreamPeerGoneException(this + (e instanceof PeerProtocolException
            ? ": the stream is broken: " : ": the stream was cut short: ") + e.getMessage(), e);
    }

    /**
     * A fault the JVM reported late on a region of this stream cut from outside, as the stream's error
     * (a {@link StreamPeerGoneException} whose cause names the region and its sizes); any other error is
     * rethrown.
     *
     * @param e the error a region access raised
     * @return the stream's exception
     */
    StreamPeerGoneException regionCut(final InternalError e) {
        final RegionTruncatedException t = RegionFaults.explain(e);
        if (t == null) {
            throw e;
        }
        final PeerGoneException gone = new PeerGoneException(this + ": a region of the stream was cut from outside: "
            + t.getMessage());
        gone.initCause(t);
        return new StreamPeerGoneException(gone.getMessage(), gone);
    }

    /** {@return {@code why} as a {@link PeerGoneException} (itself if it is one)} */
    static PeerGoneException gone(final Throwable why) {
        if (why instanceof PeerGoneException p) {
            return p;
        }
        final PeerGoneException p = new PeerGoneException(why.getMessage());
        p.initCause(why);
        return p;
    }

    @Override
    public String toString() {
        return "byte stream over " + connection;
    }
}
