package org.softclan.examples.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.Test;

/** The generated data: the same bytes whatever the buffer splits, and mismatches found exactly where they are. */
class StreamPatternTest {
    private static final long SEED = 1234;

    private static byte[] bytes(final long seed, final long from, final int n) {
        final byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = StreamPattern.byteAt(seed, from + i);
        }
        return b;
    }

    @Test
    void fillGivesTheSameBytesWhateverTheSplitsBufferKindAndByteOrder() {
        final int total = 10_000;
        final byte[] expected = bytes(SEED, 0, total);
        final Random r = new Random(7);
        for (int round = 0; round < 50; round++) {
            final ByteBuffer buf = (round % 2 == 0 ? ByteBuffer.allocateDirect(total + 16) : ByteBuffer.allocate(total + 16))
                .order(round % 4 < 2 ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
            final int base = r.nextInt(16);   // the buffer's offset need not be aligned with the stream's
            long p = 0;
            while (p < total) {
                final int n = (int) Math.min(total - p, 1 + r.nextInt(40));
                buf.limit(base + (int) p + n).position(base + (int) p);
                StreamPattern.fill(SEED, buf, p);
                assertEquals(base + p + n, buf.position());
                p += n;
            }
            final byte[] got = new byte[total];
            buf.position(base).limit(base + total);
            buf.get(got);
            assertArrayEquals(expected, got, "round " + round);
        }
    }

    @Test
    void wordsAreLittleEndianInTheStream() {
        final ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        StreamPattern.fill(SEED, b, 8);
        assertEquals(StreamPattern.word(SEED, 1), b.getLong(0));
        assertEquals(StreamPattern.word(SEED, 2), b.getLong(8));
    }

    @Test
    void mismatchIsMinusOneForGeneratedDataAndTheExactPositionOfAChangedByte() {
        final Random r = new Random(11);
        for (int round = 0; round < 200; round++) {
            final long from = r.nextInt(1 << 20);
            final int n = 1 + r.nextInt(300);
            final ByteBuffer buf = round % 2 == 0 ? ByteBuffer.allocateDirect(n) : ByteBuffer.allocate(n);
            buf.put(bytes(SEED, from, n)).flip();
            assertEquals(-1, StreamPattern.mismatch(SEED, buf, from));
            final int wrong = r.nextInt(n);
            buf.put(wrong, (byte) (buf.get(wrong) ^ (1 << r.nextInt(8))));
            assertEquals(from + wrong, StreamPattern.mismatch(SEED, buf, from), "round " + round);
            assertEquals(0, buf.position(), "mismatch does not move the buffer");
        }
    }

    @Test
    void theFirstOfSeveralMismatchesIsReported() {
        final ByteBuffer buf = ByteBuffer.wrap(bytes(SEED, 3, 100));
        buf.put(90, (byte) ~buf.get(90));
        buf.put(41, (byte) ~buf.get(41));
        assertEquals(3 + 41, StreamPattern.mismatch(SEED, buf, 3));
    }

    @Test
    void differentSeedsAndPositionsGiveDifferentData() {
        assertFalse(Arrays.equals(bytes(1, 0, 64), bytes(2, 0, 64)));
        assertFalse(Arrays.equals(bytes(1, 0, 64), bytes(1, 64, 64)));
        assertEquals(-1, StreamPattern.mismatch(1, ByteBuffer.wrap(bytes(1, 5, 64)), 5));
        assertFalse(StreamPattern.mismatch(2, ByteBuffer.wrap(bytes(1, 5, 64)), 5) < 0);
    }
}
