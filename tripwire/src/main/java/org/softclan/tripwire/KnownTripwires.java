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
 * A change is published by a volatile store of {@link #entries} after it; {@link #accepts} starts with
 * a volatile load of it. An entry is added before the arming unit releases the region's table lock,
 * so no write can fire it, and no event of it can be polled, before it is visible here. Disarmed
 * entries stay until the owner's head passes the queue's tail as read after the disarm.
 */
final class KnownTripwires {
    private static final int EMPTY = 0;
    private static final int TOMBSTONE = -1;

    /** Longs per entry in {@link Table#entries}: region id, tripwire id, start, end (one read, one line or two). */
    private static final int STRIDE = 4;

    private static final class Table {
        final int mask;
        /** Per entry: region id (EMPTY, TOMBSTONE or an id), tripwire id, start and end of its range. */
        final long[] entries;
        final long[] retireAt; // the queue's tail when disarmed, -1 while armed (read by the arming side only)
        int used;              // live entries and tombstones

        Table(final int size) {
            mask = size - 1;
            entries = new long[size * STRIDE];
            retireAt = new long[size];
        }

        int region(final int i) {
            return (int) entries[i * STRIDE];
        }
    }

    /** Changed under this object's monitor; {@link #entries} is published after every change. */
    private Table table = new Table(16);
    /** {@code table.entries}, as of the last change (the poll's one read: one load fewer on its path). */
    private volatile long[] entries = table.entries;
    /** Bumped after every pass that forgot entries: the poller's cached entry is then looked up again. */
    private volatile int purges;

    // the polling thread's last accepted entry (its own fields: one thread polls a unit's queue), so a
    // tripwire that fires again and again is checked by compares, not a hash walk
    private int hitRegion = -2;   // no region has this id
    private long hitId;
    private long hitStart;
    private long hitEnd;
    private int hitPurges;
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
        insert(t, regionId, id, offset, offset + length, -1);
        live++;
        table = t;
        entries = t.entries;   // publish (release)
    }

    /** Fills a free entry; its region id is stored last (a poll racing the change is ordered by {@link #table}). */
    private static void insert(final Table t, final int regionId, final long id, final long start, final long end,
                               final long retireAt) {
        int i = mix(regionId, id) & t.mask;
        while (t.region(i) > 0) {
            i = (i + 1) & t.mask;
        }
        if (t.region(i) == EMPTY) {
            t.used++;
        }
        final int at = i * STRIDE;
        t.entries[at + 1] = id;
        t.entries[at + 2] = start;
        t.entries[at + 3] = end;
        t.retireAt[i] = retireAt;
        t.entries[at] = regionId;
    }

    private static Table rehash(final Table from, final int size) {
        final Table t = new Table(size);
        for (int i = 0; i <= from.mask; i++) {
            final int at = i * STRIDE;
            if (from.region(i) > 0) {
                insert(t, from.region(i), from.entries[at + 1], from.entries[at + 2], from.entries[at + 3],
                    from.retireAt[i]);
            }
        }
        return t;
    }

    /**
     * Marks an entry disarmed: its events posted before {@code tail} (read after the disarm) stay
     * acceptable until the owner's {@code head} passes it. Now and then forgets those whose time is up.
     *
     * @param tail where the entry's last events lie before: {@link EventQueue#retirementTail()}, never the
     *             shared tail word as read (another process can write it)
     * @param head the owner's head: {@link EventQueue#ownerHead()}, never the shared head word
     */
    synchronized void retire(final int regionId, final long id, final long tail, final long head) {
        final Table t = table;
        int i = mix(regionId, id) & t.mask;
        for (int probes = 0; probes <= t.mask && t.region(i) != EMPTY; probes++) {
            if (t.region(i) == regionId && t.entries[i * STRIDE + 1] == id && t.retireAt[i] < 0) {
                t.retireAt[i] = tail;
                retired++;
                break;
            }
            i = (i + 1) & t.mask;
        }
        if (retired >= purgeAt) {
            for (int j = 0; j <= t.mask; j++) {
                if (t.region(j) > 0 && t.retireAt[j] >= 0 && t.retireAt[j] <= head) {
                    t.entries[j * STRIDE] = TOMBSTONE;
                    retired--;
                    live--;
                }
            }
            // amortised O(1): a pass over the table per an eighth of its size in retirements at least
            purgeAt = Math.max(2 * retired + 32, (t.mask + 1) / 8);
            purges++;   // the volatile store below publishes it too
        }
        table = t;
        entries = t.entries;   // publish (release)
    }

    /**
     * Whether a polled event can be genuine: its region and tripwire ids name an entry of this unit
     * (armed, or disarmed with events possibly still queued) and its transfer overlaps that entry's range.
     * The polling thread only (the queue's owner).
     *
     * @return whether the event may be handed out
     */
    public boolean accepts(final int regionId, final long tripwireId, final long offset, final long length) {
        final int p = purges;   // acquire: a pass that forgot entries since the hit was cached is seen here
        if (tripwireId == hitId && regionId == hitRegion && p == hitPurges) {
            return length > 0 && offset >= 0 && offset < hitEnd && hitStart - length < offset;
        }
        return lookup(regionId, tripwireId, offset, length, p);
    }

    private boolean lookup(final int regionId, final long tripwireId, final long offset, final long length,
                           final int purgesSeen) {
        final long[] e = entries;   // acquire
        if (regionId <= 0 || length <= 0 || offset < 0) {
            return false;
        }
        final int mask = e.length / STRIDE - 1;   // entries.length is a power of two times STRIDE
        int i = mix(regionId, tripwireId) & mask;
        for (int probes = 0; probes <= mask; probes++) {
            final int at = i * STRIDE;
            final long r = e[at];
            if (r == EMPTY) {
                return false;
            }
            if (r == regionId && e[at + 1] == tripwireId && offset < e[at + 3] && e[at + 2] - length < offset) {
                hitRegion = regionId;
                hitId = tripwireId;
                hitStart = e[at + 2];
                hitEnd = e[at + 3];
                hitPurges = purgesSeen;
                return true;
            }
            i = (i + 1) & mask;
        }
        return false;
    }
}
