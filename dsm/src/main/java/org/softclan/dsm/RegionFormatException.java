package org.softclan.dsm;

/**
 * A file in the fabric is not a region this version understands: unknown magic, unknown layout
 * version, a header whose sizes disagree with the file's length. The file was not mapped.
 */
public final class RegionFormatException extends DsmException {
    private static final long serialVersionUID = 1L;

    /**
     * Reports a file in the fabric that is not a region this version understands.
     *
     * @param message names the file and what was wrong with it
     */
    public RegionFormatException(final String message) {
        super(message);
    }
}
