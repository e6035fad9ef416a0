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
     * @param bytes capacity of this end's receive ring, a power of two from 4 KiB (default 1 MiB); the
     *              peer's largest message to this end is half of it
     * @return this
     */
    public ConnectionContext ringCapacity(final int bytes) {
        if (bytes < 4096 || Integer.bitCount(bytes) != 1) {
            throw new IllegalArgumentException("ring capacity " + bytes + " must be a power of two of at least 4096");
        }
        this.ringCapacity = bytes;
        return this;
    }

    /**
     * @param mode how arrivals are signalled (default {@link Connection.Mode#WAKE})
     * @return this
     */
    public ConnectionContext mode(final Connection.Mode mode) {
        this.mode = mode;
        return this;
    }

    /**
     * @param strategy how blocking sends and receives wait (default {@link WaitStrategy#competitive()})
     * @return this
     */
    public ConnectionContext waitStrategy(final WaitStrategy strategy) {
        this.strategy = strategy;
        return this;
    }

    /** A connection's own unit needs few events: it is signalled by wake-ups, or polled often. */
    static final int OWN_UNIT_QUEUE = 1024;

    TripwireUnit ownUnit(final org.softclan.dsm.Endpoint endpoint) {
        return unit != null ? unit : TripwireUnit.open(endpoint, new TripwireUnit.Context().queueCapacity(OWN_UNIT_QUEUE));
    }

    /**
     * @param unit a Tripwire unit to share (one event queue for many connections); default: each
     *             connection opens its own and closes it with itself
     * @return this
     */
    public ConnectionContext unit(final TripwireUnit unit) {
        this.unit = unit;
        return this;
    }
}
