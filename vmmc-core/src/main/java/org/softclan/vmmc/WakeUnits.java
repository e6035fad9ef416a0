package org.softclan.vmmc;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.softclan.dsm.Endpoint;
import org.softclan.tripwire.TripwireUnit;

/**
 * One Tripwire unit per endpoint for the wake-ups of every connection that brings no unit of its own
 * ({@link Connection.Mode#WAKE}, the default). A unit's event queue is a region: one per connection
 * cost that connection a mapping and a file descriptor here, and one more in the peer that imports the
 * queue to ring it; shared, it costs one per endpoint (and one per peer endpoint), so thousands of
 * connections fit under the kernel's mapping limit.
 *
 * <p>Waiters of all these connections block on the one queue's doorbell, and each ring wakes all of
 * them to re-check their own conditions: cheap for the usual few threads per endpoint. The unit is
 * created on first use and closed with the endpoint (its waiters leave with a {@code ClosedException}
 * before the endpoint unmaps anything); if it was closed otherwise, the next connection opens another.
 */
final class WakeUnits {
    /** Wake-only: no events are posted, the queue just carries the doorbell. */
    static final int QUEUE = 64;
    private static final Map<Endpoint, TripwireUnit> UNITS = new ConcurrentHashMap<>();

    private WakeUnits() {
    }

    /** @return the endpoint's shared wake-up unit, opened on first use */
    static TripwireUnit of(final Endpoint endpoint) {
        return UNITS.compute(endpoint, (e, u) -> {
            if (u != null && !u.isClosed()) {
                return u;
            }
            final TripwireUnit fresh = TripwireUnit.open(e, new TripwireUnit.Context().queueCapacity(QUEUE));
            if (u == null) {
                // forget the endpoint's unit when the endpoint closes (the unit itself closes then too)
                e.closeFirst(() -> UNITS.remove(e));
            }
            return fresh;
        });
    }
}
