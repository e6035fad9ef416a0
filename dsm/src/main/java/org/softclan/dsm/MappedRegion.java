package org.softclan.dsm;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

import net.openhft.chronicle.core.OS;

/**
 * One read-write mapping of a whole region file (header and data), made with Chronicle's
 * {@link OS#map}, which maps files of any size, and released with {@link OS#unmap}.
 *
 * <p>It keeps the file's channel open while mapped, so the file's current size can be asked of the
 * file this process mapped ({@code fstat} on its descriptor), even after the name was unlinked or
 * now refers to another file. Nothing here takes a file lock on the region file: closing the channel
 * would otherwise release locks this process holds on it.
 */
final class MappedRegion {
    final Path path;
    final long address;
    final long length;
    private final FileChannel channel;
    private boolean unmapped;

    private MappedRegion(final Path path, final FileChannel channel, final long address, final long length) {
        this.path = path;
        this.channel = channel;
        this.address = address;
        this.length = length;
    }

    /**
     * Maps {@code length} bytes of the file from its start. On success the mapping owns
     * {@code channel} and closes it on {@link #unmap()}.
     */
    static MappedRegion map(final Path path, final FileChannel channel, final long length) throws IOException {
        final long address = OS.map(channel, FileChannel.MapMode.READ_WRITE, 0, length);
        return new MappedRegion(path, channel, address, length);
    }

    /**
     * One {@code fstat} of the mapped file.
     *
     * @return the file's size in bytes now, or -1 if it cannot be read (for example once unmapped)
     */
    long fileSize() {
        try {
            return channel.size();
        } catch (final IOException e) {
            return -1;
        }
    }

    /** @return whether the file still holds every byte mapped (one {@code fstat}) */
    boolean intact() {
        return fileSize() >= length;
    }

    /**
     * Writes an int of the header through the file (a positional write, never through the mapping),
     * and only if the file still reaches past it: a file cut short from outside is not extended and no
     * mapped page past its end is touched. The write reaches every mapping of the file (one page cache).
     *
     * @return whether it was written
     */
    synchronized boolean writeHeaderInt(final int offset, final int value) {
        if (unmapped || fileSize() < offset + 4L) {
            return false;
        }
        final ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, value);
        try {
            int done = 0;
            while (done < 4) {
                final int n = channel.write(b, offset + done);
                if (n <= 0) {
                    return false;
                }
                done += n;
            }
            return true;
        } catch (final IOException e) {
            return false;
        }
    }

    /** Unmaps (touching no mapped memory) and closes the file's channel. Idempotent. */
    synchronized void unmap() {
        if (!unmapped) {
            unmapped = true;
            try {
                OS.unmap(address, length);
            } catch (final IOException e) {
                throw new DsmException("could not unmap " + path + " (" + length + " bytes)", e);
            } finally {
                try {
                    channel.close();
                } catch (final IOException e) {
                    // the mapping is gone; a failed close of its descriptor leaves nothing to undo
                }
            }
        }
    }
}
