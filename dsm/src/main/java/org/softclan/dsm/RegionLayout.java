package org.softclan.dsm;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The layout of a region file: a 4 KiB header, then the data area (so data starts page aligned).
 *
 * <pre>
 *   0                   8          12           16
 *   +-------------------+----------+------------+
 *   | magic "VMMCRGN1"  | version  | header len |            all little-endian
 *   +-------------------+----------+------------+
 *  16 data size (bytes)          24 generation
 *  32 access key                 40 owner pid
 *  48 owner process start (ms)   56 created at (epoch ms)
 *   +-------------------------------------------+
 *  64 | state (int): 0 creating, 1 active,       |  own cache line, 64..127;
 *     |   2 revoked                              |  written by the owner only
 *   +-------------------------------------------+
 * 128 owner endpoint name: length (int) + UTF-8 bytes (at most 120)
 * 192 sidecar size (long): bytes after the data area for layers above the NIC
 * 200 owner liveness id (long): names the lock file .live/&lt;id in hex&gt;.live whose lock the owner
 *     holds while alive (0: none; then liveness falls back to the pid, for files of older versions)
 * 208 flags (int): bit 0 internal (a region a layer of the project created for its own use, such
 *     as an event queue or a connection's receive ring: exported with Endpoint.exportInternal,
 *     hidden by Fabric.regions(false)); 0 in files of older versions
 * 256 reserved: 8 longs, zero (once attachment words for layers above; none uses them)
 * 320 .. 4095 reserved (zero)
 *4096 data area: dataSize bytes
 *     sidecar: sidecar size bytes, from the next 4 KiB boundary after the data area (the Tripwire
 *     unit keeps the region's tripwire table here, so it lives and dies with the region)
 * </pre>
 *
 * <p>A reader refuses a file whose magic or version it does not know, or whose length is shorter
 * than header + data size (mapping it would fault on access).
 */
public final class RegionLayout {
    /** "VMMCRGN1" read as a little-endian long. */
    public static final long MAGIC = ByteBuffer.wrap("VMMCRGN1".getBytes(StandardCharsets.US_ASCII))
        .order(ByteOrder.LITTLE_ENDIAN).getLong();
    /** The layout version this code reads and writes. */
    public static final int VERSION = 1;
    /** Bytes before the data area. */
    public static final int HEADER_LENGTH = 4096;

    /** Offset of the magic (long). */
    public static final int MAGIC_OFFSET = 0;
    /** Offset of the layout version (int). */
    public static final int VERSION_OFFSET = 8;
    /** Offset of the header length (int). */
    public static final int HEADER_LENGTH_OFFSET = 12;
    /** Offset of the data size (long). */
    public static final int DATA_SIZE_OFFSET = 16;
    /** Offset of the generation (long). */
    public static final int GENERATION_OFFSET = 24;
    /** Offset of the access key (long). */
    public static final int ACCESS_KEY_OFFSET = 32;
    /** Offset of the owner's pid (long), in the owner's PID namespace; for display only. */
    public static final int OWNER_PID_OFFSET = 40;
    /** Offset of the owner's process start time, epoch ms (long). */
    public static final int OWNER_START_OFFSET = 48;
    /** Offset of the creation time, epoch ms (long). */
    public static final int CREATED_AT_OFFSET = 56;
    /** Offset of the state word (int), alone on its cache line. */
    public static final int STATE_OFFSET = 64;
    /** Offset of the owner endpoint name's length (int); its UTF-8 bytes follow. */
    public static final int OWNER_NAME_OFFSET = 128;
    /** Offset of the sidecar size (long). */
    public static final int SIDECAR_SIZE_OFFSET = 192;
    /**
     * Offset of the owner endpoint's liveness id (long): the owner holds a lock on the fabric's
     * {@code .live/<id in hex>.live} while it is alive; 0 if the writer had none.
     */
    public static final int OWNER_LIVENESS_OFFSET = 200;
    /** Offset of the flags word (int); see {@link #FLAG_INTERNAL}. */
    public static final int FLAGS_OFFSET = 208;
    /** Flag: the region is internal to the project's layers (see {@code Endpoint.exportInternal}). */
    public static final int FLAG_INTERNAL = 1;

    /**
     * The sidecar's offset: after the data area, rounded up to a page.
     *
     * @param dataSize a region's data size
     * @return where its sidecar starts, from the start of the file
     */
    public static long sidecarOffset(final long dataSize) {
        return HEADER_LENGTH + ((dataSize + 4095) & ~4095L);
    }

    /**
     * The length of a region's file: header and data area, then, if there is one, the page-aligned
     * sidecar.
     *
     * @param dataSize    a region's data size
     * @param sidecarSize its sidecar size
     * @return the file's length
     */
    public static long fileLength(final long dataSize, final long sidecarSize) {
        return sidecarSize == 0 ? HEADER_LENGTH + dataSize : sidecarOffset(dataSize) + sidecarSize;
    }

    /** Offset of 8 reserved longs (zero), once attachment words for layers above the NIC. */
    public static final int ATTACHMENT_OFFSET = 256;
    /** Number of reserved longs at {@link #ATTACHMENT_OFFSET}. */
    public static final int ATTACHMENT_WORDS = 8;
    /** Most bytes of owner endpoint name stored. */
    public static final int OWNER_NAME_MAX = 120;

    /** State: the owner is still writing the header. */
    public static final int STATE_CREATING = 0;
    /** State: exported and importable. */
    public static final int STATE_ACTIVE = 1;
    /** State: removed or replaced by its owner; mappings of it refuse transfers. */
    public static final int STATE_REVOKED = 2;

    private RegionLayout() {
    }

    static String stateName(final int state) {
        switch (state) {
            case STATE_CREATING: return "creating";
            case STATE_ACTIVE: return "active";
            case STATE_REVOKED: return "revoked";
            default: return "unknown(" + state + ")";
        }
    }
}
