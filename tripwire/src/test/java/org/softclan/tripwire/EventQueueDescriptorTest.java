package org.softclan.tripwire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.softclan.tripwire.EventQueueDescriptor.*;

import org.junit.jupiter.api.Test;

/** The event queue's layout: header words apart, slots where the description puts them, whatever the position. */
class EventQueueDescriptorTest {
    @Test
    void headerWordsAre128BytesApartBeforeTheSlots() {
        final int[] words = {CAPACITY_OFFSET, TAIL_OFFSET, HEAD_OFFSET, DOORBELL_OFFSET, WAITERS_OFFSET, OVERFLOW_OFFSET,
            FALLBACK_SEEN_OFFSET};
        for (int i = 0; i < words.length; i++) {
            assertTrue(words[i] + 8 <= SLOTS_OFFSET);
            for (int j = i + 1; j < words.length; j++) {
                assertTrue(words[i] / 128 != words[j] / 128, words[i] + " and " + words[j]);
            }
        }
        assertTrue(SLOT_VALUE_OFFSET + 8 <= SLOT_LENGTH);
    }

    @Test
    void aSlotIsAlwaysInsideTheSlotsWhateverThePositionAPeerWrote() {
        final int capacity = 1024;
        final int mask = capacity - 1;
        assertEquals(SLOTS_OFFSET, slotOffset(0, mask));
        assertEquals(SLOTS_OFFSET + SLOT_LENGTH, slotOffset(capacity + 1, mask));
        for (final long position : new long[] {-1, Long.MIN_VALUE, Long.MAX_VALUE, 1L << 62, -capacity}) {
            final long at = slotOffset(position, mask);
            assertTrue(at >= SLOTS_OFFSET && at + SLOT_LENGTH <= queueLength(capacity), position + " -> " + at);
            assertEquals(0, (at - SLOTS_OFFSET) % SLOT_LENGTH);
        }
        assertEquals(SLOTS_OFFSET + 64L * capacity, queueLength(capacity));
    }
}
