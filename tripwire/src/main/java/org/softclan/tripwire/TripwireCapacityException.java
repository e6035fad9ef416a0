package org.softclan.tripwire;

import org.softclan.dsm.DsmException;

/** A tripwire could not be armed because a table or list is full; the message says which and why. */
public final class TripwireCapacityException extends DsmException {
    private static final long serialVersionUID = 1L;

    /**
     * Reports a tripwire that could not be armed because a table or list is full.
     *
     * @param message names the region and the limit
     */
    public TripwireCapacityException(final String message) {
        super(message);
    }
}
