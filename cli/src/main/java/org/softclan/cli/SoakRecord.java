package org.softclan.cli;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;

/**
 * The data {@code vmmc soak}'s workers exchange, so that a receiver can tell intact data from torn
 * data by itself.
 *
 * <pre>
 *  message record (little-endian)
 *     0 sequence number (long), 1, 2, 3, ... per connection
 *     8 payload length (int)
 *    12 payload (random bytes)
 *    12 + length: CRC32C of bytes 0 .. 12 + length (int)
 *
 *  hello (the first message of a well-behaved writer, and the first 16 bytes of a well-behaved stream)
 *     0 {@link #HELLO} (long)   8 the soak's token (long), known only to the soak and its workers
 * </pre>
 *
 * <p>A stream's byte at position {@code p} (counted after the hello) is a function of the stream's seed
 * and {@code p} ({@link #streamByte}), so the receiver checks every byte and its position.
 */
final class SoakRecord {
    /** The hello's first word ("SOAKHELO"). */
    static final long HELLO = 0x4f4c4548_4b414f53L;
    /** Bytes of a hello. */
    static final int HELLO_BYTES = 16;
    /** Bytes of a record around its payload. */
    static final int OVERHEAD = 16;

    private SoakRecord() {
    }

    /** @return a hello carrying {@code token} */
    static byte[] hello(final long token) {
        return ByteBuffer.allocate(HELLO_BYTES).order(ByteOrder.LITTLE_ENDIAN).putLong(HELLO).putLong(token).array();
    }

    /** @return whether {@code length} bytes at {@code b} are a hello carrying {@code token} */
    static boolean isHello(final byte[] b, final int length, final long token) {
        if (length != HELLO_BYTES) {
            return false;
        }
        final ByteBuffer in = ByteBuffer.wrap(b, 0, length).order(ByteOrder.LITTLE_ENDIAN);
        return in.getLong() == HELLO && in.getLong() == token;
    }

    /**
     * Writes record {@code seq} with {@code payload} random bytes into {@code dst}.
     *
     * @return its length
     */
    static int encode(final long seq, final int payload, final SplittableRandom rnd, final byte[] dst) {
        final ByteBuffer out = ByteBuffer.wrap(dst).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(seq).putInt(payload);
        for (int i = 0; i < payload; i += 8) {
            final long r = rnd.nextLong();
            for (int k = 0; k < 8 && i + k < payload; k++) {
                dst[12 + i + k] = (byte) (r >>> (k << 3));
            }
        }
        final CRC32C crc = new CRC32C();
        crc.update(dst, 0, 12 + payload);
        out.putInt(12 + payload, (int) crc.getValue());
        return payload + OVERHEAD;
    }

    /**
     * @return the record's sequence number if {@code length} bytes at {@code b} are an intact record,
     *         else -1 (torn: a length that does not match or a checksum that does not)
     */
    static long decode(final byte[] b, final int length) {
        if (length < OVERHEAD) {
            return -1;
        }
        final ByteBuffer in = ByteBuffer.wrap(b, 0, length).order(ByteOrder.LITTLE_ENDIAN);
        final long seq = in.getLong(0);
        final int payload = in.getInt(8);
        if (payload != length - OVERHEAD) {
            return -1;
        }
        final CRC32C crc = new CRC32C();
        crc.update(b, 0, 12 + payload);
        return in.getInt(12 + payload) == (int) crc.getValue() ? seq : -1;
    }

    /** @return the byte at {@code position} of a stream generated from {@code seed} */
    static byte streamByte(final long seed, final long position) {
        return (byte) (mix(seed + (position >>> 3)) >>> ((position & 7) << 3));
    }

    /** Fills {@code dst[off .. off + len)} with the stream's bytes from {@code position}. */
    static void fillStream(final long seed, final long position, final byte[] dst, final int off, final int len) {
        for (int i = 0; i < len; i++) {
            dst[off + i] = streamByte(seed, position + i);
        }
    }

    /** SplitMix64's finaliser. */
    static long mix(final long z0) {
        long z = (z0 ^ (z0 >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
