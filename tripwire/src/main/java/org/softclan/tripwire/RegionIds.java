package org.softclan.tripwire;

import java.util.HashMap;
import java.util.Map;

import org.softclan.dsm.Mapping;

/**
 * A Tripwire unit's region ids: the small number an event carries instead of a region's name.
 *
 * <p>A region (a name and the generation of its export) keeps its id while at least one tripwire of the
 * unit is armed in it; the last tripwire released forgets it, so a long-lived unit (one shared by many
 * connections) holds bookkeeping for its live regions only. Ids run from 1 to {@link Integer#MAX_VALUE}
 * and wrap, skipping ids still in use. Thread-safe: every method takes this object's monitor.
 */
final class RegionIds {
    /** Ids by "name#generation". */
    private final Map<String, Integer> ids = new HashMap<>();
    private final Map<Integer, String> names = new HashMap<>();
    /** Tripwires armed per id, in a one-element array so the count is changed in place. */
    private final Map<Integer, int[]> armed = new HashMap<>();
    private int last;

    /**
     * Takes the region's id, a new one if no tripwire is armed there, for one more tripwire.
     *
     * @param mapping the mapping the tripwire is armed on
     * @return the region's id, at least 1
     */
    synchronized int reserve(final Mapping mapping) {
        final String key = mapping.regionName() + "#" + mapping.generation();
        Integer id = ids.get(key);
        if (id == null) {
            do {
                last = last == Integer.MAX_VALUE ? 1 : last + 1;
            } while (names.containsKey(last));
            id = last;
            ids.put(key, id);
            names.put(id, mapping.regionName());
            armed.put(id, new int[1]);
        }
        armed.get(id)[0]++;
        return id;
    }

    /**
     * Gives back one tripwire's hold on its region's id; the last one forgets the region.
     *
     * @param id an id {@link #reserve} returned; an unknown id is ignored
     */
    synchronized void release(final int id) {
        final int[] n = armed.get(id);
        if (n != null && --n[0] <= 0) {
            armed.remove(id);
            ids.values().remove(id);
            names.remove(id);
        }
    }

    /**
     * Names the region behind an id.
     *
     * @param id a region id as events carry it
     * @return the region's name, or {@code null} if no tripwire is armed there any more
     */
    synchronized String name(final int id) {
        return names.get(id);
    }
}
