package org.softclan.vmmc;

import org.softclan.dsm.DsmException;

/** A connection could not be made: no server listens on the name, it refused, or it did not answer in time. */
public final class ConnectException extends DsmException {
    private static final long serialVersionUID = 1L;

    /**
     * Reports a connection that could not be made.
     *
     * @param message names the service and the reason
     */
    public ConnectException(final String message) {
        super(message);
    }
}
