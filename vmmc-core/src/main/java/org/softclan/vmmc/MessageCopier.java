package org.softclan.vmmc;

import java.nio.ByteBuffer;

import net.openhft.chronicle.bytes.BytesStore;
import org.softclan.dsm.OutboundMapping;
import org.softclan.dsm.StaleRegionException;

/**
 * The copying sends of a {@link Connection} ({@code offer} and {@code send} of an array, a
 * {@link ByteBuffer} or a Chronicle {@link BytesStore}): each claims a record in the peer's ring through
 * the connection's zero-copy API ({@link Connection#tryClaim}, {@link Connection#claim}), copies the
 * caller's bytes into it through the outbound mapping (plain stores), and {@linkplain Connection#commit
 * commits} it (the release store of the peer's write pointer). The caller's buffer is free on return.
 *
 * <p><b>A copy that fails</b> (the peer's region went away, or was cut from outside) publishes nothing:
 * the claim is given up and the sending role left ({@link RingSender#abandonAndLeave()}), and the failure is
 * told as the connection tells it ({@link PeerGoneException}, or the cut region's broken connection).
 *
 * <p><b>Allocation</b>: none; one object per connection, used by the connection's one sending thread.
 */
final class MessageCopier {
    private final Connection connection;
    /** The sending role, for the claims that may answer back-pressure and the commits of a batch. */
    private final RingSender sender;
    private final ConnectionHealth health;
    private final OutboundMapping tx;

    /**
     * @param connection the connection whose claims and commits the sends use
     * @param health     how the connection tells a peer gone or a region cut
     * @param tx         the mapping of the peer's receive region the claims' offsets refer to
     */
    MessageCopier(final Connection connection, final ConnectionHealth health, final OutboundMapping tx) {
        this.connection = connection;
        this.sender = connection.sender();
        this.health = health;
        this.tx = tx;
    }

    /** As {@link Connection#offer(byte[], int, int)}. */
    boolean offer(final byte[] src, final int offset, final int length) {
        return copyAndCommit(connection.tryClaim(length, null), src, offset, length);
    }

    /** As {@link Connection#send(byte[], long, java.util.concurrent.TimeUnit)}; {@code timeoutNanos} at least 0. */
    void send(final byte[] src, final long timeoutNanos) {
        try {
            send(src, 0, src.length, timeoutNanos);
        } catch (final InternalError late) {
            throw health.cut(late);   // a fault of the copy into a cut region, delivered by the JVM on the way out
        }
    }

    /** As {@link Connection#send(byte[], int, int, long, java.util.concurrent.TimeUnit)}; {@code timeoutNanos} at least 0. */
    void send(final byte[] src, final int offset, final int length, final long timeoutNanos) {
        try {
            copyAndCommit(connection.claim(length, timeoutNanos, null), src, offset, length);
        } catch (final InternalError late) {
            throw health.cut(late);   // a fault of the copy into a cut region, delivered by the JVM on the way out
        }
    }

    /** As {@link Connection#send(ByteBuffer, long, java.util.concurrent.TimeUnit)}; {@code timeoutNanos} at least 0. */
    void send(final ByteBuffer src, final long timeoutNanos) {
        final int length = src.remaining();
        final long at = connection.claim(length, timeoutNanos, null);
        try {
            tx.put(at, src);
        } catch (final RuntimeException | Error e) {
            throw abandon(e);
        }
        connection.commit(null);
    }

    /**
     * As {@link Connection#send(BytesStore, long, int, long, java.util.concurrent.TimeUnit)} and, with
     * {@code timeoutNanos} {@link Connection#NO_WAIT}, {@link Connection#offer(BytesStore, long, int)}.
     *
     * @return false if {@code timeoutNanos} is {@link Connection#NO_WAIT} and there is no room now
     */
    boolean send(final BytesStore<?, ?> src, final long offset, final int length, final long timeoutNanos) {
        return copy(src, offset, length, timeoutNanos, true);
    }

    /** As {@link Connection#offerBatched}. */
    boolean offerBatched(final BytesStore<?, ?> src, final long offset, final int length) {
        return copy(src, offset, length, Connection.NO_WAIT, false);
    }

    /** Claims, copies {@code src} in and commits: published now, or left for the batch's publish. */
    private boolean copy(final BytesStore<?, ?> src, final long offset, final int length, final long timeoutNanos,
                         final boolean publish) {
        final long at = sender.enterAndClaim(length, timeoutNanos, null);
        if (at == Connection.BACK_PRESSURED) {
            return false;
        }
        try {
            tx.put(at, src, offset, length);
        } catch (final RuntimeException | Error e) {
            throw abandon(e);
        }
        if (publish) {
            connection.commit(null);
        } else {
            sender.commitBatchedAndLeave();
        }
        return true;
    }

    /** Fills the record claimed at {@code at} (unless {@link Connection#BACK_PRESSURED}) from {@code src} and commits it. */
    private boolean copyAndCommit(final long at, final byte[] src, final int offset, final int length) {
        if (at == Connection.BACK_PRESSURED) {
            return false;
        }
        try {
            tx.put(at, src, offset, length);
        } catch (final RuntimeException | Error e) {
            throw abandon(e);
        }
        connection.commit(null);
        return true;
    }

    /**
     * Gives up the open claim after filling it failed (nothing is published) and leaves the sending role.
     *
     * @return the exception to throw: {@link PeerGoneException} for a stale mapping, else {@code e}
     * @throws Error {@code e} itself, if it is one
     */
    private RuntimeException abandon(final Throwable e) {
        RuntimeException out = null;
        try {
            if (e instanceof StaleRegionException) {
                out = health.peerGone();
            } else if (e instanceof InternalError || e instanceof org.softclan.dsm.RegionTruncatedException) {
                out = health.cut(e);   // rethrows an error that is not a cut region's
            }
        } finally {
            sender.abandonAndLeave();
        }
        if (out != null) {
            return out;
        }
        if (e instanceof Error) {
            throw (Error) e;
        }
        return (RuntimeException) e;
    }
}
