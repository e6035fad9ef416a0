package org.softclan.tripwire;

/**
 * Receives events from {@link EventQueue#poll(EventHandler, int)}, one call per event, with no
 * allocation. The bytes of the write that caused an event were visible before the event was.
 */
@FunctionalInterface
public interface EventHandler {
    /**
     * Handles one event: a tripwire fired.
     *
     * @param sequence   the event's position in its queue, from 0, increasing; a gap means slots that were
     *                   dropped ({@link EventQueue#droppedCount()}) or skipped ({@link EventQueue#skippedCount()})
     * @param tripwireId the id of the tripwire that fired (unique within its region's table)
     * @param cookie     the user value given when the tripwire was armed
     * @param regionId   the unit's id for the region ({@link TripwireUnit#regionName(int)})
     * @param offset     first byte of the transfer that fired it
     * @param length     bytes in that transfer
     * @param value      the 8-byte word at the tripwire's (aligned) start after the transfer, else 0
     */
    void onEvent(long sequence, long tripwireId, long cookie, int regionId, long offset, long length, long value);
}
