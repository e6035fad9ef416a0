package org.softclan.dsm;

/**
 * The region behind a mapping was removed or re-created by its owner after it was imported, or (for a
 * region of another host) that host can no longer be reached. The transfer was refused; import the region
 * again to reach its current generation.
 */
public class StaleRegionException extends DsmException {
    private static final long serialVersionUID = 1L;

    /**
     * Reports a transfer refused because the region is no longer the generation that was imported.
     *
     * @param message names the region, the generation imported and what happened to it
     */
    public StaleRegionException(final String message) {
        super(message);
    }
}
