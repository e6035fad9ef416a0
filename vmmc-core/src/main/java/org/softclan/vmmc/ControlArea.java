package org.softclan.vmmc;

import static org.softclan.vmmc.ReceiveRegionDescriptor.CONTROL_LENGTH;
import static org.softclan.vmmc.ReceiveRegionDescriptor.CONTROL_OFFSET;
import static org.softclan.vmmc.ReceiveRegionDescriptor.NUDGE_OFFSET;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.softclan.dsm.OutboundMapping;
import org.softclan.dsm.StaleRegionException;
import org.softclan.tripwire.TripwireUnit;
import org.softclan.tripwire.WaitStrategy;

/**
 * The control area a {@link Connection} lends to the layer above (byte streams keep their receive mode
 * and post table there): where its words lie in both receive regions ({@link Connection#controlOffset}),
 * the nudge that tells the peer a word changed ({@link Connection#nudgePeer()}), and the wait for a
 * condition on those words ({@link Connection#await}).
 *
 * <p><b>Protocol</b>: the layer above writes a control word in the peer's region (through
 * {@link Connection#outbound()}), then nudges: a release store of a bumped counter into the nudge word of
 * the peer's region ({@code ReceiveRegionDescriptor}), which the peer's space tripwire covers, so the
 * peer's waits on this connection wake. A waiting peer evaluates its condition after every wake-up and
 * at the end of every {@value Connection#LIVENESS_SLICE_MS} ms slice (a slice that ends without a wake-up
 * also checks that this end is alive). The word's store precedes the nudge's release store, so a
 * condition that reads the word with acquire after the wake-up sees it.
 *
 * <p><b>Threads</b>: the nudge counter is bumped without a lock (byte streams nudge under their post
 * lock), so nudges from several threads at once may coalesce into one; {@link #await} may run on any
 * number of threads. Both pass the connection's close gate as {@link CloseGate#OTHER}: a close while
 * waiting ends the wait with {@link org.softclan.dsm.ClosedException}.
 *
 * <p><b>Allocation</b>: a nudge allocates nothing; a wait allocates its condition wrapper once per call.
 */
final class ControlArea {
    private final Connection connection;
    private final ConnectionHealth health;
    private final OutboundMapping tx;
    private final WaitStrategy strategy;
    private final TripwireUnit unit;
    /** Nudges this end gave its peer: the value of the last one stored. */
    private long nudges;

    /**
     * @param connection the connection whose gate and closed flag the calls use
     * @param health     the connection's liveness checks
     * @param tx         the mapping of the peer's receive region, where the nudge word is
     * @param strategy   how waits wait
     * @param unit       the unit whose event queue this connection's tripwires signal
     */
    ControlArea(final Connection connection, final ConnectionHealth health, final OutboundMapping tx,
                final WaitStrategy strategy, final TripwireUnit unit) {
        this.connection = connection;
        this.health = health;
        this.tx = tx;
        this.strategy = strategy;
        this.unit = unit;
    }

    /**
     * As {@link Connection#controlOffset}: where a word of the control area lies in a receive region.
     *
     * @param offset an offset into the control area, 0 to {@link ReceiveRegionDescriptor#CONTROL_LENGTH} - 8
     * @return the offset of that word in the region
     * @throws IllegalArgumentException if {@code offset} is outside the control area
     */
    static long offset(final int offset) {
        if (offset < 0 || offset > CONTROL_LENGTH - 8) {
            throw new IllegalArgumentException("control offset " + offset + " is outside 0.." + (CONTROL_LENGTH - 8));
        }
        return CONTROL_OFFSET + offset;
    }

    /**
     * As {@link Connection#nudgePeer()}: bumps the nudge word of the peer's region (release store).
     *
     * @throws PeerGoneException if the peer's region went away
     * @throws org.softclan.dsm.ClosedException if the connection is closed
     */
    void nudge() {
        connection.enter(CloseGate.OTHER);
        try {
            tx.putLongRelease(NUDGE_OFFSET, ++nudges);
        } catch (final StaleRegionException e) {
            throw health.peerGone();
        } finally {
            connection.leave(CloseGate.OTHER);
        }
    }

    /**
     * As {@link Connection#await}: waits with the wait strategy, in slices of
     * {@value Connection#LIVENESS_SLICE_MS} ms, until {@code ready} holds.
     *
     * @param ready        the condition, evaluated on this thread (it must not block)
     * @param timeoutNanos how long to wait, in ns
     * @return whether it held within the timeout
     * @throws PeerGoneException if the peer closed or died meanwhile
     * @throws org.softclan.dsm.ClosedException if the connection is closed, before or while waiting
     */
    boolean await(final BooleanSupplier ready, final long timeoutNanos) {
        connection.enter(CloseGate.OTHER);
        try {
            final BooleanSupplier readyOrClosed = () -> connection.isClosed() || ready.getAsBoolean();
            final long deadline = System.nanoTime() + timeoutNanos;
            while (!ready.getAsBoolean()) {
                final long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                if (!strategy.await(readyOrClosed, unit.events(),
                    Math.min(left, TimeUnit.MILLISECONDS.toNanos(Connection.LIVENESS_SLICE_MS)))) {
                    health.checkAlive();
                }
                connection.checkOpen();
            }
            return true;
        } finally {
            connection.leave(CloseGate.OTHER);
        }
    }
}
