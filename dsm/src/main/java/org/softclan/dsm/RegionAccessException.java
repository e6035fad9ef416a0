package org.softclan.dsm;

/** An import presented the wrong access key for a region. */
public final class RegionAccessException extends DsmException {
    private static final long serialVersionUID = 1L;

    /**
     * Reports an import that presented the wrong access key.
     *
     * @param message names the region
     */
    public RegionAccessException(final String message) {
        super(message);
    }
}
