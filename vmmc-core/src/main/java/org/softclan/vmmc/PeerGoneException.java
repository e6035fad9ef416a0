package org.softclan.vmmc;

import org.softclan.dsm.DsmException;

/** The other side of a connection closed it, or its process died; nothing more will arrive or leave. */
public class PeerGoneException extends DsmException {
    private static final long serialVersionUID = 1L;

    /**
     * Reports that the peer of a connection is gone.
     *
     * @param message names the connection and what happened to the peer
     */
    public PeerGoneException(final String message) {
        super(message);
    }
}
