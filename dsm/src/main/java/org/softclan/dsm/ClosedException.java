package org.softclan.dsm;

/** A mapping, registered memory, DMA engine, endpoint or fabric was used after it was closed. */
public final class ClosedException extends DsmException {
    private static final long serialVersionUID = 1L;

    /**
     * Reports a use of something already closed.
     *
     * @param message names what was closed
     */
    public ClosedException(final String message) {
        super(message);
    }
}
