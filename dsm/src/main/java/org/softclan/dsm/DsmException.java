package org.softclan.dsm;

/**
 * Base of every error the NIC reports. Unchecked, because the write path is a hot path; each
 * subclass documents when it is thrown, and every message names the region and the limit involved.
 */
public class DsmException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Reports a failure of the NIC.
     *
     * @param message what went wrong, naming the region, offset and limit involved
     */
    public DsmException(final String message) {
        super(message);
    }

    /**
     * Reports a failure of the NIC caused by another one.
     *
     * @param message what went wrong
     * @param cause   the underlying failure
     */
    public DsmException(final String message, final Throwable cause) {
        super(message, cause);
    }
}
