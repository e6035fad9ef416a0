package org.softclan.examples.stream;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * What the demo's sender puts on the byte stream: a header, the payload, a trailer, then the end of
 * the stream. All numbers little-endian.
 *
 * <pre>
 *   header (32 bytes)                      trailer (24 bytes)
 *   0   magic   "SCSTREAM" (8)             0   magic   "SCSTREND" (8)
 *   8   version 1 (4)                      8   payload length, as sent (8)
 *   12  kind    0 generated, 1 file (4)    16  CRC32C of the payload, as sent (8)
 *   16  payload length (8)
 *   24  seed of the generated data (8; 0 for a file)
 * </pre>
 *
 * The header lets the receiver know how many bytes to expect (and the generator's seed, to check every
 * byte); the trailer carries the sender's checksum, computed over the bytes it handed to the stream.
 */
public final class StreamFormat {
    /** Header length in bytes. */
    public static final int HEADER_LENGTH = 32;
    /** Trailer length in bytes. */
    public static final int TRAILER_LENGTH = 24;
    /** Format version this class writes and reads. */
    public static final int VERSION = 1;
    /** Header magic: "SCSTREAM" in ASCII, little-endian. */
    public static final long HEADER_MAGIC = magic("SCSTREAM");
    /** Trailer magic: "SCSTREND" in ASCII, little-endian. */
    public static final long TRAILER_MAGIC = magic("SCSTREND");

    private static final int MAGIC_OFFSET = 0;
    private static final int VERSION_OFFSET = 8;
    private static final int KIND_OFFSET = 12;
    private static final int LENGTH_OFFSET = 16;
    private static final int SEED_OFFSET = 24;
    private static final int TRAILER_LENGTH_OFFSET = 8;
    private static final int TRAILER_CRC_OFFSET = 16;

    private StreamFormat() {
    }

    /** What the payload is. */
    public enum Kind {
        /** {@link StreamPattern} data of the header's seed. */
        GENERATED,
        /** The bytes of a file. */
        FILE
    }

    /**
     * A stream's header.
     *
     * @param kind   what the payload is
     * @param length payload bytes
     * @param seed   the generator's seed ({@link Kind#GENERATED}), else 0
     */
    public record Header(Kind kind, long length, long seed) {
        /** @return a phrase for messages, e.g. "1073741824 bytes of generated data (seed 42)" */
        public String describe() {
            return length + " bytes of " + (kind == Kind.GENERATED ? "generated data (seed " + seed + ")" : "a file");
        }
    }

    /**
     * @param header what to encode
     * @param dst    a buffer with at least {@value #HEADER_LENGTH} bytes remaining; its position moves past them
     */
    public static void putHeader(final Header header, final ByteBuffer dst) {
        final ByteBuffer b = dst.slice(dst.position(), HEADER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(MAGIC_OFFSET, HEADER_MAGIC)
            .putInt(VERSION_OFFSET, VERSION)
            .putInt(KIND_OFFSET, header.kind().ordinal())
            .putLong(LENGTH_OFFSET, header.length())
            .putLong(SEED_OFFSET, header.seed());
        dst.position(dst.position() + HEADER_LENGTH);
    }

    /**
     * @param src a buffer with {@value #HEADER_LENGTH} bytes remaining, as received; its position is not moved
     * @return the header
     * @throws IllegalArgumentException if the bytes are not a header of this version (the message says which
     *                                  field is wrong)
     */
    public static Header header(final ByteBuffer src) {
        final ByteBuffer b = src.slice(src.position(), HEADER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        final long magic = b.getLong(MAGIC_OFFSET);
        if (magic != HEADER_MAGIC) {
            throw new IllegalArgumentException(String.format("the stream does not start with a streaming-demo header"
                + " (magic 0x%016x, expected 0x%016x): is the sender a StreamSender?", magic, HEADER_MAGIC));
        }
        final int version = b.getInt(VERSION_OFFSET);
        if (version != VERSION) {
            throw new IllegalArgumentException("the stream's header has version " + version + "; this receiver reads"
                + " version " + VERSION);
        }
        final int kind = b.getInt(KIND_OFFSET);
        if (kind < 0 || kind >= Kind.values().length) {
            throw new IllegalArgumentException("the stream's header has an unknown payload kind " + kind);
        }
        final long length = b.getLong(LENGTH_OFFSET);
        if (length < 0) {
            throw new IllegalArgumentException("the stream's header has a negative payload length " + length);
        }
        return new Header(Kind.values()[kind], length, b.getLong(SEED_OFFSET));
    }

    /**
     * @param length payload bytes sent
     * @param crc    their CRC32C
     * @param dst    a buffer with at least {@value #TRAILER_LENGTH} bytes remaining; its position moves past them
     */
    public static void putTrailer(final long length, final long crc, final ByteBuffer dst) {
        final ByteBuffer b = dst.slice(dst.position(), TRAILER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(MAGIC_OFFSET, TRAILER_MAGIC).putLong(TRAILER_LENGTH_OFFSET, length).putLong(TRAILER_CRC_OFFSET, crc);
        dst.position(dst.position() + TRAILER_LENGTH);
    }

    /**
     * @param src a buffer with {@value #TRAILER_LENGTH} bytes remaining, as received; its position is not moved
     * @return {payload length, CRC32C} as the sender states them
     * @throws IllegalArgumentException if the bytes do not start with the trailer's magic
     */
    public static long[] trailer(final ByteBuffer src) {
        final ByteBuffer b = src.slice(src.position(), TRAILER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        final long magic = b.getLong(MAGIC_OFFSET);
        if (magic != TRAILER_MAGIC) {
            throw new IllegalArgumentException(String.format("the bytes after the payload are not the trailer"
                + " (magic 0x%016x, expected 0x%016x)", magic, TRAILER_MAGIC));
        }
        return new long[] {b.getLong(TRAILER_LENGTH_OFFSET), b.getLong(TRAILER_CRC_OFFSET)};
    }

    private static long magic(final String eight) {
        long m = 0;
        for (int i = 7; i >= 0; i--) {
            m = (m << 8) | (eight.charAt(i) & 0xFF);
        }
        return m;
    }
}
