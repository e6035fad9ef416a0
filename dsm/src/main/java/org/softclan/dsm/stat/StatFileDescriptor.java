package org.softclan.dsm.stat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The layout of an endpoint's statistics file, {@code FABRIC/.stat/ID.stat} (ID: the endpoint's liveness id
 * in hexadecimal): a header, then Agrona's counters metadata and values buffers and its distinct-error log,
 * as in Aeron's CnC file. Little-endian.
 *
 * <pre>
 *   0                   8         12        16
 *   +-------------------+---------+---------+
 *   | magic "SCSTAT01"  | version | header  |   header length: 4096
 *   +-------------------+---------+---------+
 *   16 pid (long)       | 24 start time, ms since the epoch (long)
 *   32 liveness id (long)
 *   40 metadata length (int) | 44 values length (int) | 48 error log length (int) | 52 name length (int)
 *   56 endpoint name, UTF-8, up to 64 bytes
 *   128 heartbeat: ms since the epoch of the last publication (long), on its own 128 bytes
 *   4096 metadata (512 bytes per counter) | values (128 bytes per counter) | error log
 * </pre>
 *
 * <p>The file is written by its owner's publisher with {@code pwrite} (never mapped: a peer that cuts it
 * can make a write fail, never fault the owner) and read by observers with {@code pread} into their own
 * memory. Everything in it is input to a reader: {@link #check} validates the header against the file's
 * size before any offset is used.
 */
public final class StatFileDescriptor {
    /** "SCSTAT01", little-endian. */
    public static final long MAGIC = 0x3130544154534353L;
    /** The layout's version. */
    public static final int VERSION = 1;
    /** Bytes of the header; the metadata starts here. */
    public static final int HEADER_LENGTH = 4096;
    /** The directory of a fabric that holds the statistics files. */
    public static final String DIR = ".stat";
    /** The suffix of a statistics file. */
    public static final String SUFFIX = ".stat";
    /** The longest endpoint name kept, in UTF-8 bytes (a longer one is cut). */
    public static final int MAX_NAME_BYTES = 64;
    /** The largest file a reader accepts: 16 MiB (a writer's is under 1 MiB). */
    public static final long MAX_FILE_LENGTH = 16L << 20;
    /** The most counters a file may hold: 16 384 (a writer's holds 1 024). */
    public static final int MAX_COUNTERS = 16_384;

    /** The magic word (long). */
    public static final int MAGIC_OFFSET = 0;
    /** The layout version (int). */
    public static final int VERSION_OFFSET = 8;
    /** The header length (int). */
    public static final int HEADER_LENGTH_OFFSET = 12;
    /** The owner's process id (long). */
    public static final int PID_OFFSET = 16;
    /** The owner process's start time, ms since the epoch (long). */
    public static final int START_TIME_OFFSET = 24;
    /** The endpoint's liveness id (long): its lock file says whether it is alive. */
    public static final int LIVENESS_ID_OFFSET = 32;
    /** Bytes of counters metadata (int). */
    public static final int METADATA_LENGTH_OFFSET = 40;
    /** Bytes of counter values (int). */
    public static final int VALUES_LENGTH_OFFSET = 44;
    /** Bytes of the error log (int). */
    public static final int ERROR_LOG_LENGTH_OFFSET = 48;
    /** Bytes of the endpoint's name (int). */
    public static final int NAME_LENGTH_OFFSET = 52;
    /** The endpoint's name, UTF-8. */
    public static final int NAME_OFFSET = 56;
    /** The last publication, ms since the epoch (long). */
    public static final int HEARTBEAT_OFFSET = 128;

    private StatFileDescriptor() {
    }

    /**
     * {@return the offset of the values buffer}
     *
     * @param metadataLength bytes of metadata
     */
    public static long valuesOffset(final int metadataLength) {
        return HEADER_LENGTH + (long) metadataLength;
    }

    /**
     * {@return the offset of the error log}
     *
     * @param metadataLength bytes of metadata
     * @param valuesLength   bytes of values
     */
    public static long errorLogOffset(final int metadataLength, final int valuesLength) {
        return HEADER_LENGTH + (long) metadataLength + valuesLength;
    }

    /**
     * {@return the file's length for these buffer lengths}
     *
     * @param metadataLength bytes of metadata
     * @param valuesLength   bytes of values
     * @param errorLogLength bytes of error log
     */
    public static long fileLength(final int metadataLength, final int valuesLength, final int errorLogLength) {
        return errorLogOffset(metadataLength, valuesLength) + errorLogLength;
    }

    /**
     * {@return the liveness id a statistics file's name gives ({@code ID.stat}, ID in lower-case hexadecimal),
     * or 0 if the name is not one a writer makes}
     *
     * @param fileName the file's name
     */
    public static long idOf(final String fileName) {
        if (!fileName.endsWith(SUFFIX)) {
            return 0;
        }
        final String hex = fileName.substring(0, fileName.length() - SUFFIX.length());
        if (hex.isEmpty() || hex.length() > 16 || !hex.chars().allMatch(c -> c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
            return 0;
        }
        return Long.parseUnsignedLong(hex, 16);
    }

    /**
     * Writes the fixed part of a header (not the heartbeat or the closed flag).
     *
     * @param header a buffer of at least {@link #HEADER_LENGTH} bytes, little-endian
     */
    static void writeHeader(final ByteBuffer header, final long pid, final long startMillis, final long livenessId,
                            final int metadataLength, final int valuesLength, final int errorLogLength,
                            final String endpoint) {
        header.order(ByteOrder.LITTLE_ENDIAN);
        header.putLong(MAGIC_OFFSET, MAGIC);
        header.putInt(VERSION_OFFSET, VERSION);
        header.putInt(HEADER_LENGTH_OFFSET, HEADER_LENGTH);
        header.putLong(PID_OFFSET, pid);
        header.putLong(START_TIME_OFFSET, startMillis);
        header.putLong(LIVENESS_ID_OFFSET, livenessId);
        header.putInt(METADATA_LENGTH_OFFSET, metadataLength);
        header.putInt(VALUES_LENGTH_OFFSET, valuesLength);
        header.putInt(ERROR_LOG_LENGTH_OFFSET, errorLogLength);
        final byte[] name = truncated(endpoint);
        header.putInt(NAME_LENGTH_OFFSET, name.length);
        header.put(NAME_OFFSET, name);
    }

    private static byte[] truncated(final String endpoint) {
        byte[] b = endpoint.getBytes(StandardCharsets.UTF_8);
        if (b.length > MAX_NAME_BYTES) {
            int n = MAX_NAME_BYTES;
            while (n > 0 && (b[n] & 0xC0) == 0x80) {
                n--;   // not inside a character
            }
            b = java.util.Arrays.copyOf(b, n);
        }
        return b;
    }

    /**
     * Checks a header read from a file of {@code fileLength} bytes.
     *
     * @param header     the file's first bytes (at least {@link #HEADER_LENGTH}), little-endian
     * @param fileLength the file's length, in bytes
     * @return {@code null} if the header is sound, else what is wrong with it
     */
    public static String check(final ByteBuffer header, final long fileLength) {
        if (fileLength < HEADER_LENGTH || header.limit() < HEADER_LENGTH) {
            return "the file is " + fileLength + " bytes, shorter than the " + HEADER_LENGTH + "-byte header";
        }
        if (header.getLong(MAGIC_OFFSET) != MAGIC) {
            return "no statistics file (magic " + Long.toHexString(header.getLong(MAGIC_OFFSET)) + ")";
        }
        if (header.getInt(VERSION_OFFSET) != VERSION || header.getInt(HEADER_LENGTH_OFFSET) != HEADER_LENGTH) {
            return "version " + header.getInt(VERSION_OFFSET) + " with a " + header.getInt(HEADER_LENGTH_OFFSET)
                + "-byte header; this reader reads version " + VERSION;
        }
        final int nameLength = header.getInt(NAME_LENGTH_OFFSET);
        if (nameLength < 0 || nameLength > MAX_NAME_BYTES) {
            return "name length " + nameLength + " (at most " + MAX_NAME_BYTES + ")";
        }
        final int meta = header.getInt(METADATA_LENGTH_OFFSET);
        final int values = header.getInt(VALUES_LENGTH_OFFSET);
        final int errors = header.getInt(ERROR_LOG_LENGTH_OFFSET);
        if (values < 0 || values % 128 != 0 || values / 128 > MAX_COUNTERS || meta < 0 || (long) meta != 4L * values
            || errors < 0
            || errors % 8 != 0) {
            return "buffer lengths " + meta + "/" + values + "/" + errors + " (metadata/values/error log) do not fit"
                + " the layout (values a multiple of 128 for at most " + MAX_COUNTERS + " counters, metadata four times"
                + " the values)";
        }
        final long need = fileLength(meta, values, errors);
        if (need > fileLength || need > MAX_FILE_LENGTH) {
            return "the buffers need " + need + " bytes; the file has " + fileLength;
        }
        return null;
    }

    /**
     * {@return the endpoint's name in a checked header}
     *
     * @param header a header {@link #check} accepted
     */
    public static String name(final ByteBuffer header) {
        final byte[] b = new byte[header.getInt(NAME_LENGTH_OFFSET)];
        header.get(NAME_OFFSET, b);
        return new String(b, StandardCharsets.UTF_8);
    }
}
