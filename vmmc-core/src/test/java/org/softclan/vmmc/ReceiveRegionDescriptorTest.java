package org.softclan.vmmc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.softclan.vmmc.ReceiveRegionDescriptor.*;

import org.junit.jupiter.api.Test;

/** The receive region's layout: words that must not overlap do not, and records are laid out as described. */
class ReceiveRegionDescriptorTest {
    @Test
    void everyLongWordIsAlignedAndTheHeaderWordsDoNotOverlap() {
        final int[] longs = {WRITE_POINTER_OFFSET, PEER_READ_POINTER_OFFSET, PEER_CLOSED_OFFSET, NUDGE_OFFSET,
            RING_CAPACITY_OFFSET, ANSWER_OFFSET, ANSWER_KEY_OFFSET, READ_POSITION_OFFSET, ROOM_WANTED_OFFSET,
            EAGER_PUBLISH_OFFSET};
        for (int i = 0; i < longs.length; i++) {
            assertEquals(0, longs[i] % 8, "offset " + longs[i]);
            for (int j = i + 1; j < longs.length; j++) {
                assertTrue(longs[i] + 8 <= longs[j] || longs[j] + 8 <= longs[i], longs[i] + " and " + longs[j]);
            }
        }
        // the answer name (int length + bytes) ends before the reason, the reason before the read position
        assertTrue(ANSWER_NAME_OFFSET + 4 + ListenRegionDescriptor.NAME_MAX <= ANSWER_REASON_OFFSET);
        assertTrue(ANSWER_REASON_OFFSET + 4 <= READ_POSITION_OFFSET);
        // the refusal text lies in the control area, which ends where the ring begins
        assertTrue(ANSWER_TEXT_OFFSET >= CONTROL_OFFSET && ANSWER_TEXT_OFFSET + 4 + ReceiveRegionDescriptor.ANSWER_TEXT_MAX <= RING_OFFSET);
        assertEquals(RING_OFFSET, CONTROL_OFFSET + CONTROL_LENGTH);
        assertEquals(Connection.CONTROL_BYTES, CONTROL_LENGTH);
        // the hot words of different writers are 128 bytes apart (a line and its prefetch pair)
        final int[] hot = {WRITE_POINTER_OFFSET, PEER_READ_POINTER_OFFSET, READ_POSITION_OFFSET, ROOM_WANTED_OFFSET};
        for (int i = 0; i < hot.length; i++) {
            for (int j = i + 1; j < hot.length; j++) {
                assertTrue(hot[i] / 128 != hot[j] / 128, hot[i] + " and " + hot[j] + " share 128 bytes");
            }
        }
        // the space tripwire's range, from the peer read pointer to the nudge, holds the closed flag too
        assertTrue(PEER_READ_POINTER_OFFSET < PEER_CLOSED_OFFSET && PEER_CLOSED_OFFSET < NUDGE_OFFSET);
    }

    @Test
    void aRecordTakesItsHeaderAndPayloadRoundedUpToEightBytes() {
        assertEquals(8, recordLength(0));
        assertEquals(16, recordLength(1));
        assertEquals(16, recordLength(8));
        assertEquals(24, recordLength(9));
        assertEquals(8L + Integer.MAX_VALUE + 1, recordLength(Integer.MAX_VALUE), "no int overflow");
    }
}
