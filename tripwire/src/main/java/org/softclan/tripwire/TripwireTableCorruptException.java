package org.softclan.tripwire;

import org.softclan.dsm.DsmException;

/**
 * A word of shared tripwire state (a region's tripwire table, or an event queue), which any process
 * that maps it can write, held a value the protocol never writes: an index outside the table, an
 * entry whose range leaves the region, a list that loops, a lock word naming no live holder.
 *
 * <p>Arming and disarming repair the table (rebuilding it from its valid entries) and retry once
 * before they throw this; a writer's snoop never throws it: the write succeeds, the garbage is
 * ignored and counted ({@link TripwireUnit#protocolErrorCount()}, {@link TripwireUnit#lastProtocolError()}).
 * The message names the region, the structure, the field and the value found.
 */
public final class TripwireTableCorruptException extends DsmException {
    private static final long serialVersionUID = 1L;

    /** The region whose shared tripwire state held the value. */
    private final String regionName;
    /** The damaged structure. */
    private final String structure;
    /** The damaged field. */
    private final String field;
    /** The value found. */
    private final long value;

    /**
     * Reports a value the protocol never writes, found in shared tripwire state; the message is built
     * from the arguments.
     *
     * @param regionName the region whose table (or the queue region) held the value
     * @param structure  which structure: "header", "entry 12", "node 40", "hash", "event queue", ...
     * @param field      which field of it
     * @param value      the value found
     * @param limit      what the value should have respected, for the message
     */
    public TripwireTableCorruptException(final String regionName, final String structure, final String field,
                                         final long value, final String limit) {
        super("region '" + regionName + "': tripwire " + structure + " field '" + field + "' holds " + value
            + " (" + limit + "); another process wrote garbage into shared tripwire state or died mid-update."
            + " The table is rebuilt from its valid entries; tripwires whose entries were damaged are dropped.");
        this.regionName = regionName;
        this.structure = structure;
        this.field = field;
        this.value = value;
    }

    /** {@return the region named in the message} */
    public String regionName() {
        return regionName;
    }

    /** {@return the damaged structure} */
    public String structure() {
        return structure;
    }

    /** {@return the damaged field} */
    public String field() {
        return field;
    }

    /** {@return the value found} */
    public long value() {
        return value;
    }
}
