package org.softclan.dsm;

import static org.softclan.dsm.RegionLayout.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;

/**
 * A snapshot of a region file's header, read with a positional read (no mapping), so a file that is
 * not a region, or is shorter than its header claims, is refused before anything maps it.
 */
record RegionHeader(long dataSize, long sidecarSize, long generation, long accessKey, OwnerId owner, long createdAt,
                    int state, long fileLength, int flags) {

    static RegionHeader read(final Path path, final FileChannel channel) throws IOException {
        final long fileLength = channel.size();
        final ByteBuffer buf = ByteBuffer.allocate(256).order(ByteOrder.LITTLE_ENDIAN);
        int read = 0;
        while (buf.hasRemaining()) {
            final int n = channel.read(buf, read);
            if (n < 0) {
                break;
            }
            read += n;
        }
        if (read < 256) {
            throw new RegionFormatException("file " + path + " is not a region file: it holds " + fileLength
                + " bytes, fewer than a region header (" + HEADER_LENGTH + " bytes)");
        }
        final long magic = buf.getLong(MAGIC_OFFSET);
        if (magic != MAGIC) {
            throw new RegionFormatException("file " + path + " is not a region file: unknown magic 0x"
                + Long.toHexString(magic) + " (expected 0x" + Long.toHexString(MAGIC)
                + " \"VMMCRGN1\"); remove it or use another region name");
        }
        final int version = buf.getInt(VERSION_OFFSET);
        if (version != VERSION) {
            throw new RegionFormatException("file " + path + " has region layout version " + version
                + ", which this version does not know (it reads version " + VERSION + ")");
        }
        final int headerLength = buf.getInt(HEADER_LENGTH_OFFSET);
        final long dataSize = buf.getLong(DATA_SIZE_OFFSET);
        final long sidecarSize = buf.getLong(SIDECAR_SIZE_OFFSET);
        if (headerLength != HEADER_LENGTH || dataSize <= 0 || sidecarSize < 0) {
            throw new RegionFormatException("file " + path + " is damaged: header length " + headerLength
                + " (must be " + HEADER_LENGTH + "), data size " + dataSize + " (must be positive) and sidecar size "
                + sidecarSize + " (must not be negative); the file holds " + fileLength + " bytes");
        }
        // compared without computing header + data + sidecar, which sizes a peer wrote could overflow into a
        // small length: the file would be mapped short and every access past that length would fault
        if (dataSize > fileLength - HEADER_LENGTH
            || sidecarSize != 0 && sidecarSize > fileLength - RegionLayout.sidecarOffset(dataSize)) {
            throw new RegionFormatException("file " + path + " is shorter than its header says (was it cut from"
                + " outside?): data size " + dataSize + " and sidecar size " + sidecarSize + " need "
                + needed(dataSize, sidecarSize) + " bytes, but the file holds " + fileLength
                + "; it was not mapped, since accesses past its end would fault");
        }
        final int nameLength = Math.max(0, Math.min(OWNER_NAME_MAX, buf.getInt(OWNER_NAME_OFFSET)));
        final byte[] name = new byte[nameLength];
        buf.position(OWNER_NAME_OFFSET + 4);
        buf.get(name);
        final long livenessId = buf.getLong(OWNER_LIVENESS_OFFSET);
        final OwnerId owner = new OwnerId(buf.getLong(OWNER_PID_OFFSET), buf.getLong(OWNER_START_OFFSET),
            new String(name, StandardCharsets.UTF_8), livenessId,
            livenessId == 0 ? null : Liveness.fileOf(path.toAbsolutePath().getParent(), livenessId));
        return new RegionHeader(dataSize, sidecarSize, buf.getLong(GENERATION_OFFSET), buf.getLong(ACCESS_KEY_OFFSET), owner,
            buf.getLong(CREATED_AT_OFFSET), buf.getInt(STATE_OFFSET), fileLength, buf.getInt(FLAGS_OFFSET));
    }

    /** {@return the file length a header's sizes need, as a decimal number, or "more than 2^63" if that overflows} */
    private static String needed(final long dataSize, final long sidecarSize) {
        if (dataSize > Long.MAX_VALUE - 2 * HEADER_LENGTH - sidecarSize) {
            return "more than 2^63";
        }
        return Long.toString(RegionLayout.fileLength(dataSize, sidecarSize));
    }

    /** Writes a fresh header into a mapped file; the state word is written last, with release order. */
    static void write(final long address, final long dataSize, final long sidecarSize, final long generation,
                      final long accessKey, final OwnerId owner, final int flags) {
        final SharedMemory m = SharedMemory.wrap(address, HEADER_LENGTH, "region header");
        m.putLong(MAGIC_OFFSET, MAGIC);
        m.putInt(VERSION_OFFSET, VERSION);
        m.putInt(HEADER_LENGTH_OFFSET, HEADER_LENGTH);
        m.putLong(DATA_SIZE_OFFSET, dataSize);
        m.putLong(SIDECAR_SIZE_OFFSET, sidecarSize);
        m.putLong(GENERATION_OFFSET, generation);
        m.putLong(ACCESS_KEY_OFFSET, accessKey);
        m.putLong(OWNER_PID_OFFSET, owner.pid());
        m.putLong(OWNER_START_OFFSET, owner.startMillis());
        m.putLong(OWNER_LIVENESS_OFFSET, owner.livenessId());
        m.putLong(CREATED_AT_OFFSET, System.currentTimeMillis());
        m.putInt(FLAGS_OFFSET, flags);
        byte[] name = owner.endpoint().getBytes(StandardCharsets.UTF_8);
        if (name.length > OWNER_NAME_MAX) {
            name = java.util.Arrays.copyOf(name, OWNER_NAME_MAX);
        }
        m.putInt(OWNER_NAME_OFFSET, name.length);
        m.putBytes(OWNER_NAME_OFFSET + 4, name, 0, name.length);
        m.putIntRelease(STATE_OFFSET, STATE_ACTIVE);
    }

    RegionInfo toInfo(final String name, final Path path) {
        return new RegionInfo(name, dataSize, generation, owner, stateName(state), Instant.ofEpochMilli(createdAt),
            path, (flags & FLAG_INTERNAL) != 0);
    }
}
