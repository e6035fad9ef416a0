package org.softclan.tripwire;

/**
 * The tripwires a unit has armed (and those disarmed while their events may still be in its queue),
 * so its poll hands out only events a tripwire of its own could have posted: the region id and
 * tripwire id must name one of them, and the transfer must overlap its range. A peer that writes a
 * slot of the queue, or an entry of a table, cannot make the owner act on an event it made up
 * (unless it guesses a live id and range, which gives the owner nothing a real write would not).
 *
 * <p>An open-addressing table (linear probing, tombstones) changed in place by arming and disarming
 * threads under this object's monitor, and read by the polling thread without locks or allocation.
 * A change is published by a volatile store of {@link #table} after it; {@link #accepts} starts with
 * a volatile load of it. An entry is added before the arming unit releases the region's table lock,
 * so no write can fire it, and no event of it can be polled, before it is visible here. Disarmed
 * entries stay until the owner's head passes the queue's tail as read after the disarm.
 */
final class KnownTripwires implements EventQueue.EventFilter {
    private static final int EMPTY = 0;
    private static final int TOMBSTONE = -1;

    private static final class Table {
        final int mask;
        final int[] regions;   // region id (units number regions from 1), EMPTY or TOMBSTONE
        final long[] ids;
        final long[] starts;
        final long[] ends;
        final long[] retireAt; // the queue's tail when disarmed, -1 while armed
        int used;              // live entries and tombstones

        Table(final int size) {
            mask = size - 1;
            regions = new int[size];
            ids = new long[size];
            starts = new long[size];
            ends = new long[size];
            retireAt = new long[size];
        }
    }

    private volatile Table table = new Table(16);
    private int live;
    private int retired;
    private int purgeAt = 32;

    private static int mix(final int regionId, final long id) {
        long h = (id ^ ((long) regionId << 40)) * 0x9E3779B97F4A7C15L;
        h ^= h >>> 29;
        return (int) h;
    }

    /** Adds an armed entry watching {@code [offset, offset + length)} of the unit's region {@code regionId}. */
    synchronized void add(final int regionId, final long id, final long offset, final long length) {
        Table t = table;
        if ((t.used + 1) * 2 > t.mask + 1) {
            t = rehash(t, Integer.highestOneBit(Math.max(16, 2 * (live + 1) - 1)) << 1);
        }
        final int i = insert(t, regionId, id, offset, offset + length, -1);
        live++;
        t.regions[i] = regionId;
        table = t;   // publish (release)
    }

    private static int insert(final Table t, final int regionId, final long id, final long start, final long end,
                              final long retireAt) {
        int i = mix(regionId, id) & t.mask;
        while (t.regions[i] > 0) {
            i = (i + 1) & t.mask;
        }
        if (t.regions[i] == EMPTY) {
            t.used++;
        }
        t.ids[i] = id;
        t.starts[i] = start;
        t.ends[i] = end;
        t.retireAt[i] = retireAt;
        return i;
    }

    private static Table rehash(final Table from, final int size) {
        final Table t = new Table(size);
        for (int i = 0; i <= from.mask; i++) {
            if (from.regions[i] > 0) {
                final int j = insert(t, from.regions[i], from.ids[i], from.starts[i], from.ends[i], from.retireAt[i]);
                t.regions[j] = from.regions[i];
            }
        }
        return t;
    }

    /**
     * Marks an entry disarmed: its events posted before {@code tail} (read after the disarm) stay
     * acceptable until the owner's {@code head} passes it. Now and then forgets those whose time is up.
     */
    synchronized void retire(final int regionId, final long id, final long tail, final long head) {
        final Table t = table;
        int i = mix(regionId, id) & t.mask;
        for (int probes = 0; probes <= t.mask && t.regions[i] != EMPTY; probes++) {
            if (t.regions[i] == regionId && t.ids[i] == id && t.retireAt[i] < 0) {
                t.retireAt[i] = tail;
                retired++;
                break;
            }
            i = (i + 1) & t.mask;
        }
        if (retired >= purgeAt) {
            for (int j = 0; j <= t.mask; j++) {
                if (t.regions[j] > 0 && t.retireAt[j] >= 0 && t.retireAt[j] <= head) {
                    t.regions[j] = TOMBSTONE;
                    retired--;
                    live--;
                }
            }
            // amortised O(1): a pass over the table per an eighth of its size in retirements at least
            purgeAt = Math.max(2 * retired + 32, (t.mask + 1) / 8);
        }
        table = t;   // publish (release)
    }

    @Override
    public boolean accepts(final int regionId, final long tripwireId, final long offset, final long length) {
        final Table t = table;   // acquire
        if (regionId <= 0 || length <= 0 || offset < 0) {
            return false;
        }
        int i = mix(regionId, tripwireId) & t.mask;
        for (int probes = 0; probes <= t.mask; probes++) {
            final int r = t.regions[i];
            if (r == EMPTY) {
                return false;
            }
            if (r == regionId && t.ids[i] == tripwireId && offset < t.ends[i] && t.starts[i] - length < offset) {
                return true;
            }
            i = (i + 1) & t.mask;
        }
        return false;
    }
}
