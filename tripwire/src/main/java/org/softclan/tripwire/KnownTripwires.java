package org.softclan.tripwire;

import java.util.ArrayList;
import java.util.List;

/**
 * The tripwires a unit has armed (and those disarmed while their events may still be in its queue),
 * so its poll hands out only events a tripwire of its own could have posted: the region id and
 * tripwire id must name one of them, and the transfer must overlap its range. A peer that writes a
 * slot of the queue, or an entry of a table, cannot make the owner act on an event it made up
 * (unless it guesses a live id and range, which gives the owner nothing a real write would not).
 *
 * <p>Copy-on-write: arming and disarming (rare, under a lock) rebuild an open-addressing table that
 * the polling thread reads without locks or allocation through one volatile read.
 */
final class KnownTripwires implements EventQueue.EventFilter {
    /** One known tripwire entry; {@code retireAt} is the queue's tail when it was disarmed, else -1. */
    private record Known(int regionId, long id, long start, long end, long retireAt) {
    }

    /** Immutable probe table; region id 0 marks an empty slot (units number regions from 1). */
    private static final class Table {
        final int mask;
        final int[] regions;
        final long[] ids;
        final long[] starts;
        final long[] ends;

        Table(final List<Known> all) {
            final int size = Integer.highestOneBit(Math.max(8, all.size() * 2 - 1)) << 1;
            mask = size - 1;
            regions = new int[size];
            ids = new long[size];
            starts = new long[size];
            ends = new long[size];
            for (final Known k : all) {
                int i = mix(k.regionId, k.id) & mask;
                while (regions[i] != 0) {
                    i = (i + 1) & mask;
                }
                regions[i] = k.regionId;
                ids[i] = k.id;
                starts[i] = k.start;
                ends[i] = k.end;
            }
        }
    }

    private final List<Known> all = new ArrayList<>();
    private volatile Table table = new Table(List.of());

    private static int mix(final int regionId, final long id) {
        long h = (id ^ ((long) regionId << 40)) * 0x9E3779B97F4A7C15L;
        h ^= h >>> 29;
        return (int) h;
    }

    /** Adds an armed entry watching {@code [offset, offset + length)} of the unit's region {@code regionId}. */
    synchronized void add(final int regionId, final long id, final long offset, final long length) {
        all.add(new Known(regionId, id, offset, offset + length, -1));
        table = new Table(all);
    }

    /**
     * Marks an entry disarmed: its events posted before {@code tail} (read after the disarm) stay
     * acceptable until the owner's head passes it; entries whose time is up are forgotten.
     */
    synchronized void retire(final int regionId, final long id, final long tail, final long head) {
        for (int i = 0; i < all.size(); i++) {
            final Known k = all.get(i);
            if (k.regionId == regionId && k.id == id && k.retireAt < 0) {
                all.set(i, new Known(regionId, id, k.start, k.end, tail));
                break;
            }
        }
        all.removeIf(k -> k.retireAt >= 0 && k.retireAt <= head);
        table = new Table(all);
    }

    @Override
    public boolean accepts(final int regionId, final long tripwireId, final long offset, final long length) {
        if (regionId == 0 || length <= 0 || offset < 0) {
            return false;
        }
        final Table t = table;
        int i = mix(regionId, tripwireId) & t.mask;
        for (int probes = 0; probes <= t.mask && t.regions[i] != 0; probes++) {
            if (t.regions[i] == regionId && t.ids[i] == tripwireId && offset < t.ends[i]
                && t.starts[i] - length < offset) {
                return true;
            }
            i = (i + 1) & t.mask;
        }
        return false;
    }
}
