package org.softclan.tripwire;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The filter a unit's poll applies to every event: only events a tripwire of its own could have posted. */
class KnownTripwiresTest {
    @Test
    void anArmedEntryAcceptsTransfersOverlappingItsRangeAndNothingElse() {
        final KnownTripwires known = new KnownTripwires();
        known.add(3, 77L, 64, 8);   // watches [64, 72) of region 3
        assertTrue(known.accepts(3, 77L, 64, 8));
        assertTrue(known.accepts(3, 77L, 71, 1));
        assertTrue(known.accepts(3, 77L, 0, 65), "a transfer ending inside the range");
        assertTrue(known.accepts(3, 77L, 0, 4096), "a transfer covering the range");
        assertFalse(known.accepts(3, 77L, 72, 8), "just after the range");
        assertFalse(known.accepts(3, 77L, 0, 64), "just before the range");
        assertFalse(known.accepts(4, 77L, 64, 8), "another region");
        assertFalse(known.accepts(3, 78L, 64, 8), "another tripwire id");
        assertFalse(known.accepts(3, 77L, 64, 0), "an empty transfer");
        assertFalse(known.accepts(3, 77L, -8, 80), "a negative offset");
        assertFalse(known.accepts(0, 77L, 64, 8), "region ids start at 1");
        assertFalse(known.accepts(-1, 77L, 64, 8), "the tombstone's value is no region");
    }

    @Test
    void aRetiredEntryStaysAcceptableUntilTheHeadPassesTheTailReadAtItsDisarm() {
        final KnownTripwires known = new KnownTripwires();
        known.add(1, 5L, 0, 8);
        known.retire(1, 5L, 100, 90);   // events posted before position 100 may still be in the queue
        assertTrue(known.accepts(1, 5L, 0, 8));
        // purges happen once enough entries are retired: retire many others with the head past 100
        for (int i = 0; i < 64; i++) {
            known.add(2, 1000L + i, 8L * i, 8);
            known.retire(2, 1000L + i, 200, 150);
        }
        assertFalse(known.accepts(1, 5L, 0, 8), "forgotten once the head passed the tail it was retired at");
    }

    @Test
    void manyEntriesSurviveGrowthAndTombstones() {
        final KnownTripwires known = new KnownTripwires();
        for (int i = 1; i <= 1000; i++) {
            known.add(1 + i % 7, i, 8L * i, 8);
        }
        for (int i = 1; i <= 1000; i += 2) {
            known.retire(1 + i % 7, i, 0, 0);   // retired with nothing outstanding: forgotten at the next purge
        }
        for (int i = 1001; i <= 1500; i++) {
            known.add(1 + i % 7, i, 8L * i, 8);   // reuses tombstones and grows
        }
        for (int i = 2; i <= 1500; i += 2) {
            assertTrue(known.accepts(1 + i % 7, i, 8L * i, 8), "entry " + i);
            assertFalse(known.accepts(1 + (i + 1) % 7, i, 8L * i, 8), "entry " + i + " under another region");
        }
        for (int i = 1001; i <= 1500; i += 2) {
            assertTrue(known.accepts(1 + i % 7, i, 8L * i, 8), "entry " + i);
        }
    }
}
