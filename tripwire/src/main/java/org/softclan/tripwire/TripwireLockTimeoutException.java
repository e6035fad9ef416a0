package org.softclan.tripwire;

import org.softclan.dsm.DsmException;

/**
 * A region's tripwire table stayed locked by another live process for longer than the bound
 * ({@link TripwireTable#LOCK_TIMEOUT_NANOS}); a lock held by a process that died is taken over instead.
 * Thrown by arming and disarming; the message names the region and the holder's pid.
 */
public final class TripwireLockTimeoutException extends DsmException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message names the region, the holder and the bound
     */
    public TripwireLockTimeoutException(final String message) {
        super(message);
    }
}
