package org.softclan.net;

import org.softclan.dsm.StaleRegionException;

/**
 * A transfer or request across the link did not complete within its timeout: the peer host's agent did
 * not answer (it died, or the link is cut), its publication was not connected, or back-pressure lasted
 * the whole timeout. A {@link StaleRegionException}: the mapping it happened on is revoked (its region can
 * no longer be reached for sure), so layers above treat it as a peer gone. Nothing was half-applied by this
 * call that the message does not say: a write burst split into several messages names how many bytes were
 * sent before it gave up.
 */
public final class LinkTimeoutException extends StaleRegionException {
    private static final long serialVersionUID = 1L;

    /**
     * Reports a transfer or request that timed out.
     *
     * @param message what timed out, naming the host, the region, and the timeout
     */
    public LinkTimeoutException(final String message) {
        super(message);
    }
}
