package org.softclan.vmmc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class HeldRecordsTest {
    @Test
    void theBoundStaysAtTheOldestHeldRecordWhateverOrderTheyAreReleasedIn() {
        final HeldRecords h = new HeldRecords();
        h.add(0);
        h.add(64);
        h.add(128);
        assertEquals(3, h.unreleased());
        assertTrue(h.release(64));
        assertEquals(0, h.oldestStart(), "64 is released but 0 is still held");
        assertTrue(h.release(0));
        assertEquals(128, h.oldestStart(), "0 and 64 went; 128 is the oldest held");
        assertFalse(h.release(64), "released already");
        assertTrue(h.release(128));
        assertTrue(h.isEmpty());
        assertEquals(0, h.unreleased());
    }

    @Test
    void itGrowsPastItsFirstSizeAcrossTheRingsWrapAndKeepsTheOrder() {
        final HeldRecords h = new HeldRecords();
        // move the head into the middle of the first arrays, then fill past their size
        for (int i = 0; i < 10; i++) {
            h.add(i);
        }
        for (int i = 0; i < 10; i++) {
            assertTrue(h.release(i));
        }
        for (int i = 0; i < 100; i++) {
            h.add(1000 + 8L * i);
        }
        assertEquals(100, h.unreleased());
        for (int i = 99; i >= 1; i--) {
            assertTrue(h.release(1000 + 8L * i));
            assertEquals(1000, h.oldestStart());
        }
        assertTrue(h.release(1000));
        assertTrue(h.isEmpty());
    }

    @Test
    void aRecordHeldTwiceNeedsTwoReleases() {
        final HeldRecords h = new HeldRecords();
        h.add(0);
        h.add(0);
        assertTrue(h.release(0));
        assertFalse(h.isEmpty());
        assertTrue(h.release(0));
        assertTrue(h.isEmpty());
    }
}
