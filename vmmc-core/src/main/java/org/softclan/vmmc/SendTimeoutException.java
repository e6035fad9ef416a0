package org.softclan.vmmc;

import org.softclan.dsm.DsmException;

/** A send waited for room in the peer's ring for its whole timeout; nothing was written. */
public final class SendTimeoutException extends DsmException {
    private static final long serialVersionUID = 1L;

    /**
     * Reports a send that found no room in the peer's ring within its timeout.
     *
     * @param message names the connection and the timeout
     */
    public SendTimeoutException(final String message) {
        super(message);
    }
}
