package org.softclan.vmmc.rpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.softclan.dsm.testing.Messages.assertMentions;

import java.util.List;

import net.openhft.chronicle.bytes.Bytes;
import org.junit.jupiter.api.Test;

/** The codecs decode what a peer wrote: a count is checked against the bytes it could describe. */
class CodecsTest {
    @Test
    void aByteArrayRoundTripsAndAGarbageLengthIsRefusedBeforeAnyAllocation() {
        final Bytes<?> b = Bytes.allocateElasticOnHeap(64);
        Codecs.BYTES.encode(new byte[] {1, 2, 3}, b);
        assertArrayEquals(new byte[] {1, 2, 3}, Codecs.BYTES.decode(b));
        b.clear();
        b.writeInt(Integer.MAX_VALUE).writeLong(7);   // a 12-byte frame claiming a 2 GiB array
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Codecs.BYTES.decode(b));
        assertMentions(e, "byte array", Integer.toString(Integer.MAX_VALUE), "8 bytes left");
    }

    @Test
    void aListRoundTripsAndAGarbageCountNeitherAllocatesForItNorIsNegative() {
        final Codec<List<Long>> longs = Codecs.list(Codecs.LONG);
        final Bytes<?> b = Bytes.allocateElasticOnHeap(64);
        longs.encode(List.of(4L, 5L), b);
        assertEquals(List.of(4L, 5L), longs.decode(b));
        b.clear();
        b.writeInt(-3);
        assertMentions(assertThrows(IllegalArgumentException.class, () -> longs.decode(b)), "-3", "negative");
        b.clear();
        b.writeInt(Integer.MAX_VALUE).writeLong(6);   // one element, then the frame ends
        assertThrows(RuntimeException.class, () -> longs.decode(b), "the frame ends before the second element");
    }

    @Test
    void aListOfStringsWithAGarbageCountIsRefusedAtOnceNotDecodedTwoBillionTimes() {
        // Chronicle's readUtf8 answers "" at the end of a frame without reading a byte: before, the decoder
        // called it 2^31 - 1 times and filled the heap with empty strings (a 20-byte frame ran a server
        // out of memory)
        final Codec<List<String>> strings = Codecs.list(Codecs.STRING);
        final Bytes<?> b = Bytes.allocateElasticOnHeap(64);
        strings.encode(List.of("a", "bc"), b);
        assertEquals(List.of("a", "bc"), strings.decode(b));
        b.clear();
        b.writeInt(Integer.MAX_VALUE);
        assertMentions(assertThrows(IllegalArgumentException.class, () -> strings.decode(b)),
            Integer.toString(Integer.MAX_VALUE), "0 bytes left");
    }
}
