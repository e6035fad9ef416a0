package org.softclan.dsm;

/** An import named a region the fabric does not hold. */
public final class NoSuchRegionException extends DsmException {
    private static final long serialVersionUID = 1L;

    /**
     * Reports an import of a region the fabric does not hold.
     *
     * @param message names the region and the fabric
     */
    public NoSuchRegionException(final String message) {
        super(message);
    }
}
