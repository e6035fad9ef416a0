package org.softclan.vmmc;

import org.softclan.tripwire.TripwireUnit;
import org.softclan.tripwire.WaitStrategy;

/**
 * Fluent settings of a connection (either end); defaults work out of the box.
 */
public final class ConnectionContext {
    int ringCapacity = 1 << 20;
    Connection.Mode mode = Connection.Mode.WAKE;
    WaitStrategy strategy = WaitStrategy.competitive();
    TripwireUnit unit;

    /**
     * Settings with the defaults: a 1 MiB receive ring, arrivals signalled by wake-ups
     * ({@link Connection.Mode#WAKE}) through the endpoint's shared unit, and blocking calls that wait
     * with {@link WaitStrategy#competitive()}.
     */
    public ConnectionContext() {
    }

    /**
     * Sets the capacity of this end's receive ring, which this end exports and the peer writes into.
     *
     * @param bytes capacity of this end's receive ring, a power of two from 4 KiB (default 1 MiB); the
     *              peer's largest message to this end is half of it, less the 8-byte record header
     * @return this
     * @throws IllegalArgumentException if {@code bytes} is not a power of two of at least 4096
     */
    public ConnectionContext ringCapacity(final int bytes) {
        if (bytes < 4096 || Integer.bitCount(bytes) != 1) {
            throw new IllegalArgumentException("ring capacity " + bytes + " must be a power of two of at least 4096");
        }
        this.ringCapacity = bytes;
        return this;
    }

    /**
     * Sets how a connection's arrivals are signalled.
     *
     * @param mode how arrivals are signalled (default {@link Connection.Mode#WAKE})
     * @return this
     */
    public ConnectionContext mode(final Connection.Mode mode) {
        this.mode = mode;
        return this;
    }

    /**
     * Sets how a connection's blocking calls wait.
     *
     * @param strategy how blocking sends and receives wait (default {@link WaitStrategy#competitive()})
     * @return this
     */
    public ConnectionContext waitStrategy(final WaitStrategy strategy) {
        this.strategy = strategy;
        return this;
    }

    /** A connection's own unit needs few events: it is signalled by wake-ups, or polled often. */
    static final int OWN_UNIT_QUEUE = 1024;

    /**
     * The unit a new connection arms its tripwires with: the one given; else, for {@link Connection.Mode#WAKE},
     * the endpoint's shared wake-up unit ({@link WakeUnits}); else a unit of its own.
     */
    TripwireUnit ownUnit(final org.softclan.dsm.Endpoint endpoint) {
        if (unit != null) {
            return unit;
        }
        return mode == Connection.Mode.WAKE ? WakeUnits.of(endpoint)
            : TripwireUnit.open(endpoint, new TripwireUnit.Context().queueCapacity(OWN_UNIT_QUEUE));
    }

    /** @return whether a connection made with these settings owns its unit (and closes it with itself) */
    boolean ownsUnit() {
        return unit == null && mode != Connection.Mode.WAKE;
    }

    /**
     * Sets the Tripwire unit a connection arms its tripwires with.
     *
     * @param unit a Tripwire unit to share (one event queue for many connections); default: connections
     *             in {@link Connection.Mode#WAKE} share one unit per endpoint (one event queue, one
     *             mapping, however many connections), and each connection in {@link Connection.Mode#EVENTS}
     *             opens its own and closes it with itself
     * @return this
     */
    public ConnectionContext unit(final TripwireUnit unit) {
        this.unit = unit;
        return this;
    }
}
