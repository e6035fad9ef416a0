package org.softclan.vmmc.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.softclan.vmmc.Connection;

/** The stream's control area and frames: every field fits where the diagrams say, nothing overlaps. */
class StreamDescriptorsTest {
    @Test
    void thePostTableFitsTheControlAreaAfterTheDepositWordsAndWrapsModuloItsSlots() {
        final long controlStart = Connection.controlOffset(0);
        final long controlEnd = controlStart + Connection.CONTROL_BYTES;
        // the deposit name (int length + at most MAX_DEPOSIT_NAME bytes) ends before the post table
        assertTrue(StreamControlDescriptor.DEPOSIT_NAME_OFFSET + 4 + StreamControlDescriptor.MAX_DEPOSIT_NAME
            <= controlStart + StreamControlDescriptor.POST_TABLE);
        assertEquals(StreamControlDescriptor.DEPOSIT_NAME_OFFSET + 4, StreamControlDescriptor.DEPOSIT_NAME_BYTES_OFFSET,
            "the name's bytes follow its int length");
        final Set<Long> slots = new HashSet<>();
        for (long seq = 0; seq < 3L * StreamControlDescriptor.POST_SLOTS; seq++) {
            final long slot = StreamControlDescriptor.postSlotOffset(seq);
            assertTrue(slot >= controlStart + StreamControlDescriptor.POST_TABLE, "slot of post " + seq);
            assertTrue(slot + StreamControlDescriptor.POST_SLOT_LENGTH <= controlEnd, "slot of post " + seq);
            assertEquals(0, (slot - controlStart) % 8, "8-byte aligned");
            assertEquals(slot, StreamControlDescriptor.postSlotOffset(seq + StreamControlDescriptor.POST_SLOTS));
            slots.add(slot);
        }
        assertEquals(StreamControlDescriptor.POST_SLOTS, slots.size(), "one slot per post modulo the table");
        assertTrue(StreamControlDescriptor.POST_CAPACITY_OFFSET + 8 <= StreamControlDescriptor.POST_SLOT_LENGTH);
        assertEquals(ByteStream.POST_SLOTS, StreamControlDescriptor.POST_SLOTS);
    }

    @Test
    void aPostStateCarriesItsSequenceAboveTwoStateBits() {
        final long state = StreamControlDescriptor.postState(12345, StreamControlDescriptor.SENDER_TAKEN);
        assertEquals(12345, state >>> 2);
        assertEquals(StreamControlDescriptor.SENDER_TAKEN, state & 3);
        assertEquals(3, StreamControlDescriptor.RECEIVER_TAKEN & 3, "every state fits the two low bits");
    }

    @Test
    void aDepositFrameHoldsItsTwoLongsAlignedAfterTheType() {
        assertEquals(0, StreamFrameDescriptor.DEPOSIT_SEQ_OFFSET % 8);
        assertEquals(StreamFrameDescriptor.DEPOSIT_SEQ_OFFSET + 8, StreamFrameDescriptor.DEPOSIT_BYTES_OFFSET);
        assertEquals(StreamFrameDescriptor.DEPOSIT_BYTES_OFFSET + 8, StreamFrameDescriptor.DEPOSIT_FRAME_LENGTH);
        assertTrue(StreamFrameDescriptor.TYPE_OFFSET < StreamFrameDescriptor.DATA_OFFSET);
        assertEquals(StreamFrameDescriptor.TYPE_OFFSET + 1, StreamFrameDescriptor.EOF_FRAME_LENGTH, "EOF is its type byte alone");
        assertEquals(64 * 1024, StreamFrameDescriptor.MAX_FRAME - StreamFrameDescriptor.DATA_OFFSET);
    }
}
