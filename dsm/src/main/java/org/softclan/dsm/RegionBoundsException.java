package org.softclan.dsm;

/**
 * A transfer fell outside a region (or registered memory), had a negative length, or was misaligned
 * for an atomic access. Nothing was written when this is thrown.
 */
public final class RegionBoundsException extends DsmException {
    private static final long serialVersionUID = 1L;

    /**
     * Reports a transfer out of bounds, of negative length or misaligned.
     *
     * @param message names the region, offset, length and limit
     */
    public RegionBoundsException(final String message) {
        super(message);
    }

    static RegionBoundsException of(final String what, final long offset, final long length, final long limit) {
        if (length < 0) {
            return new RegionBoundsException(what + ": negative length " + length + " at offset " + offset
                + " (size " + limit + " bytes)");
        }
        if (offset < 0) {
            return new RegionBoundsException(what + ": negative offset " + offset + " (length " + length
                + ", size " + limit + " bytes)");
        }
        return new RegionBoundsException(what + ": offset " + offset + " + length " + length + " = "
            + (offset + length) + " exceeds the limit of " + limit + " bytes (valid offsets 0.."
            + (limit - 1) + ")");
    }

    static RegionBoundsException misaligned(final String what, final long offset, final int alignment) {
        return new RegionBoundsException(what + ": offset " + offset + " is not " + alignment
            + "-byte aligned, which atomic (ordered, volatile, compare-and-set, get-and-add) accesses need");
    }

    /** Checks a range of a Java array given with a region access: throws {@link #of} if it does not fit. */
    static void checkArray(final String what, final int arrayLength, final int offset, final int length) {
        if ((offset | length) < 0 || offset > arrayLength - length) {
            throw of(what, offset, length, arrayLength);
        }
    }

    /** Checks a range of a Chronicle store given with a region access: throws {@link #of} if it does not fit. */
    static void checkStore(final String what, final net.openhft.chronicle.bytes.BytesStore<?, ?> store, final long offset,
                           final long length) {
        if (offset < store.start() || length < 0 || offset > store.capacity() - length) {
            throw of(what, offset, length, store.capacity());
        }
    }
}
