package org.softclan.dsm;

/** An export named a region that a live owner already exports. */
public final class RegionExistsException extends DsmException {
    private static final long serialVersionUID = 1L;

    /**
     * Reports an export of a name a live owner already exports.
     *
     * @param message names the region and its owner
     */
    public RegionExistsException(final String message) {
        super(message);
    }
}
