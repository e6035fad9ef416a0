package org.softclan.dsm;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

import net.openhft.chronicle.core.OS;

/**
 * One read-write mapping of a whole region file (header and data), made with Chronicle's
 * {@link OS#map}, which maps files of any size, and released with {@link OS#unmap}.
 */
final class MappedRegion {
    final Path path;
    final long address;
    final long length;
    private boolean unmapped;

    private MappedRegion(final Path path, final long address, final long length) {
        this.path = path;
        this.address = address;
        this.length = length;
    }

    static MappedRegion map(final Path path, final FileChannel channel, final long length) throws IOException {
        final long address = OS.map(channel, FileChannel.MapMode.READ_WRITE, 0, length);
        return new MappedRegion(path, address, length);
    }

    synchronized void unmap() {
        if (!unmapped) {
            unmapped = true;
            try {
                OS.unmap(address, length);
            } catch (final IOException e) {
                throw new DsmException("could not unmap " + path + " (" + length + " bytes)", e);
            }
        }
    }
}
