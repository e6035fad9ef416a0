package org.softclan.bench.peers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Random;
import java.util.zip.CRC32C;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class MessageCheckTest {
    static final int SIZE = 100;
    static final int SLOTS = 3;

    /** A stream of {@code n} messages as the sender builds them. */
    private static byte[] stream(final int n) {
        final ByteBuffer[] slots = new ByteBuffer[SLOTS];
        for (int s = 0; s < SLOTS; s++) {
            slots[s] = ByteBuffer.allocate(SIZE);
            MessageCheck.fill(slots[s], SIZE, s);
        }
        final byte[] all = new byte[n * SIZE];
        for (int m = 0; m < n; m++) {
            final ByteBuffer b = slots[m % SLOTS];
            MessageCheck.header(b, m, 1_000L + m);
            System.arraycopy(b.array(), 0, all, m * SIZE, SIZE);
        }
        return all;
    }

    /** Feeds {@code bytes} in random-sized chunks. */
    private static void feed(final MessageCheck check, final byte[] bytes, final long now) {
        final Random rnd = new Random(42);
        int at = 0;
        while (at < bytes.length) {
            final int n = Math.min(bytes.length - at, 1 + rnd.nextInt(250));
            final ByteBuffer buf = ByteBuffer.allocate(n + 7);
            buf.position(7);
            buf.put(bytes, at, n);
            check.accept(buf, 7, n, now);
            at += n;
        }
    }

    @Test
    void acceptsTheSendersStreamInAnyChunksAndCountsIt() {
        final byte[] bytes = stream(50);
        final Histogram h = new Histogram(1_000_000_000L, 3);
        final MessageCheck check = new MessageCheck(SIZE, SLOTS, true, h, 10);
        feed(check, bytes, 5_000);
        assertNull(check.failure());
        assertEquals(50L * SIZE, check.bytes());
        assertEquals(50, check.messages());
        final CRC32C crc = new CRC32C();
        crc.update(bytes);
        assertEquals(crc.getValue(), check.crc());
        assertEquals(40, h.getTotalCount(), "messages after the warm-up");
        assertEquals(5_000 - 1_049, h.getMinValue(), 4, "latency of message 49: now - intended");
        assertEquals(5_000 - 1_010, h.getMaxValue(), 4, "latency of message 10, the first after the warm-up");
    }

    @Test
    void noticesAWrongSequenceNumber() {
        final byte[] bytes = stream(10);
        bytes[4 * SIZE] ^= 1;   // message 4 says it is message 5
        final MessageCheck check = new MessageCheck(SIZE, SLOTS, false, null, 0);
        feed(check, bytes, 0);
        assertNotNull(check.failure());
        assertTrue(check.failure().contains("message 4"), check.failure());
    }

    @Test
    void noticesAWrongLastByte() {
        final byte[] bytes = stream(10);
        bytes[7 * SIZE + SIZE - 1] ^= 0x40;
        final MessageCheck check = new MessageCheck(SIZE, SLOTS, false, null, 0);
        feed(check, bytes, 0);
        assertNotNull(check.failure());
        assertTrue(check.failure().contains("message 7 byte 99"), check.failure());
    }

    @Test
    void noticesABodyFromTheWrongSlot() {
        // every message from slot 0's buffer, as a sender that reused one buffer would send
        final ByteBuffer one = ByteBuffer.allocate(SIZE);
        MessageCheck.fill(one, SIZE, 0);
        final byte[] bytes = new byte[3 * SIZE];
        for (int m = 0; m < 3; m++) {
            MessageCheck.header(one, m, 0);
            System.arraycopy(one.array(), 0, bytes, m * SIZE, SIZE);
        }
        final MessageCheck check = new MessageCheck(SIZE, SLOTS, false, null, 0);
        feed(check, bytes, 0);
        assertNotNull(check.failure());
        assertTrue(check.failure().startsWith("message 1 "), check.failure());
    }
}
