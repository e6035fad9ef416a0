package org.softclan.bench.peers;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

/**
 * The request/response payload: {@code size} bytes, the sequence number stamped in its first eight
 * bytes and (when {@code size >= 16}) in its last eight, the rest filled once with pseudo-random bytes.
 * Checking both stamps proves the whole payload was carried: a transport that moved only a prefix
 * leaves the old tail stamp behind.
 */
public final class Payload {
    /** The smallest payload: one stamp. */
    public static final int MIN_SIZE = 8;
    /** The largest payload: fits every transport's default ring or term with room to spare. */
    public static final int MAX_SIZE = 256 * 1024;

    private Payload() {
    }

    /** @throws IllegalArgumentException unless {@value #MIN_SIZE} &lt;= size &lt;= {@value #MAX_SIZE} */
    public static int checkSize(final int size) {
        if (size < MIN_SIZE || size > MAX_SIZE) {
            throw new IllegalArgumentException("payload size " + size + " is outside " + MIN_SIZE + ".." + MAX_SIZE
                + " bytes");
        }
        return size;
    }

    /** @return a heap buffer (with its array) of {@code size} pseudo-random bytes, little-endian */
    public static ByteBuffer filled(final int size) {
        final byte[] b = new byte[checkSize(size)];
        new SplittableRandom(size).nextBytes(b);
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** @return a direct, little-endian buffer of {@code size} pseudo-random bytes */
    public static ByteBuffer filledDirect(final int size) {
        final ByteBuffer b = ByteBuffer.allocateDirect(checkSize(size)).order(ByteOrder.LITTLE_ENDIAN);
        b.put(filled(size)).clear();
        return b;
    }

    /** Stamps {@code seq} at both ends of the first {@code size} bytes of {@code b} (absolute; little-endian). */
    public static void stamp(final ByteBuffer b, final int size, final long seq) {
        b.putLong(0, seq);
        if (size >= 16) {
            b.putLong(size - 8, seq);
        }
    }

    /** @return the head stamp, after checking the tail stamp equals it (absolute; little-endian) */
    public static long check(final ByteBuffer b, final int size) {
        final long head = b.getLong(0);
        if (size >= 16) {
            final long tail = b.getLong(size - 8);
            if (tail != head) {
                throw new IllegalStateException("payload of " + size + " bytes is torn: head stamp " + head
                    + ", tail stamp " + tail);
            }
        }
        return head;
    }

    /** @throws IllegalStateException unless the payload carries {@code expected} at both ends */
    public static void expect(final ByteBuffer b, final int size, final long expected) {
        final long seq = check(b, size);
        if (seq != expected) {
            throw new IllegalStateException("expected the payload of round trip " + expected + ", got " + seq);
        }
    }

    /** Counts requests on the echo side and checks they come in order 1, 2, 3, ... */
    public static final class Sequence {
        private long last;

        /** A sequence that expects 1 next. */
        public Sequence() {
        }

        /**
         * Takes the next request's sequence number.
         *
         * @param seq the request's sequence number
         * @throws IllegalStateException unless {@code seq} follows the previous one
         */
        public void next(final long seq) {
            if (seq != last + 1) {
                throw new IllegalStateException("echo: request " + seq + " after " + last + " (lost or repeated)");
            }
            last = seq;
        }

        /** @return the requests taken (the last sequence number) */
        public long count() {
            return last;
        }
    }
}
