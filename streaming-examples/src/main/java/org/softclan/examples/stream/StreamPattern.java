package org.softclan.examples.stream;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The demo's generated data: a deterministic pseudo-random byte sequence that can be produced, and
 * checked, from any position without producing what comes before.
 *
 * <p>Stream byte {@code p} is byte {@code p % 8} (little-endian) of the 64-bit word {@link #word(long, long)
 * word(seed, p / 8)}: an xor-shift, multiply, xor-shift mix (a bijection) of the seed's Weyl sequence
 * {@code seed + (index + 1) * golden-ratio}. A word costs two multiplies and two shifts, so filling or checking
 * a buffer runs at several GB/s, and the receiver can verify every byte instead of trusting a checksum alone;
 * the words differ from position to position, so a lost, repeated or misplaced piece shows up too.
 */
public final class StreamPattern {
    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

    private StreamPattern() {
    }

    /**
     * @param seed  the stream's seed
     * @param index the word's index: stream bytes {@code 8 * index .. 8 * index + 7}
     * @return the word, whose low byte is stream byte {@code 8 * index}
     */
    public static long word(final long seed, final long index) {
        long z = seed + (index + 1) * GOLDEN_GAMMA;
        z = (z ^ (z >>> 32)) * 0xD6E8FEB86659FD93L;
        return z ^ (z >>> 32);
    }

    /**
     * @param seed     the stream's seed
     * @param position a stream position, from 0
     * @return the stream byte at that position
     */
    public static byte byteAt(final long seed, final long position) {
        return (byte) (word(seed, position >>> 3) >>> ((position & 7) << 3));
    }

    /**
     * Fills the remaining bytes of {@code dst} with the stream bytes from {@code position} on, and
     * advances its position to its limit.
     *
     * @param seed     the stream's seed
     * @param dst      the buffer (heap or direct, any byte order)
     * @param position the stream position of {@code dst}'s first remaining byte
     */
    public static void fill(final long seed, final ByteBuffer dst, final long position) {
        final boolean little = dst.order() == ByteOrder.LITTLE_ENDIAN;
        int at = dst.position();
        final int end = dst.limit();
        long p = position;
        while (at < end && (p & 7) != 0) {
            dst.put(at++, byteAt(seed, p++));
        }
        long w = p >>> 3;
        while (end - at >= Long.BYTES) {
            final long v = word(seed, w++);
            dst.putLong(at, little ? v : Long.reverseBytes(v));
            at += Long.BYTES;
        }
        p = w << 3;
        while (at < end) {
            dst.put(at++, byteAt(seed, p++));
        }
        dst.position(end);
    }

    /**
     * Compares the remaining bytes of {@code src} with the stream bytes from {@code position} on. The
     * buffer's position is not moved.
     *
     * @param seed     the stream's seed
     * @param src      the bytes received
     * @param position the stream position of {@code src}'s first remaining byte
     * @return the stream position of the first byte that differs, or -1 if all are as generated
     */
    public static long mismatch(final long seed, final ByteBuffer src, final long position) {
        final boolean little = src.order() == ByteOrder.LITTLE_ENDIAN;
        int at = src.position();
        final int end = src.limit();
        long p = position;
        while (at < end && (p & 7) != 0) {
            if (src.get(at) != byteAt(seed, p)) {
                return p;
            }
            at++;
            p++;
        }
        long w = p >>> 3;
        while (end - at >= Long.BYTES) {
            final long v = word(seed, w);
            if (src.getLong(at) != (little ? v : Long.reverseBytes(v))) {
                break;   // the byte loop below finds which byte of this word differs
            }
            w++;
            at += Long.BYTES;
        }
        p = w << 3;
        while (at < end) {
            if (src.get(at) != byteAt(seed, p)) {
                return p;
            }
            at++;
            p++;
        }
        return -1;
    }
}
