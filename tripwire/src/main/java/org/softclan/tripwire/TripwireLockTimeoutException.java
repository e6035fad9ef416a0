package org.softclan.tripwire;

import org.softclan.dsm.DsmException;

/**
 * A region's tripwire table stayed locked by another live process for longer than the bound (5 s by
 * default; system property {@code softclan.tripwire.lockTimeoutMillis}); a lock held by a process
 * that died is taken over instead, in bounded time. Thrown by {@link TripwireUnit#arm} and
 * {@link Tripwire#disarm()}; the message names the region and the holder's pid. A writer's snoop
 * never throws it: after a shorter bound (200 ms, {@code softclan.tripwire.snoopWaitMillis}) it skips
 * that region's tripwires for the write and counts a protocol error
 * ({@link TripwireUnit#protocolErrorCount()}).
 */
public final class TripwireLockTimeoutException extends DsmException {
    private static final long serialVersionUID = 1L;

    /**
     * Reports a tripwire table that stayed locked by another live process for longer than the bound.
     *
     * @param message names the region, the holder and the bound
     */
    public TripwireLockTimeoutException(final String message) {
        super(message);
    }
}
