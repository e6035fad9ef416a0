package org.softclan.tripwire.os;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import net.openhft.chronicle.core.OS;
import org.softclan.dsm.RegionLayout;

/**
 * Test plumbing: a second, independent mapping of a region file of a fabric, made straight from the
 * file (as {@code dsm} itself maps it), so a test JVM has an absolute address for a word that a
 * region owner in another JVM also maps. {@code dsm} hides its mappings' addresses on purpose.
 */
final class RegionFile implements AutoCloseable {
    private final long address;
    private final long length;

    private RegionFile(final long address, final long length) {
        this.address = address;
        this.length = length;
    }

    /** Maps {@code <fabricRoot>/<region>.region}, header and data, read-write and shared. */
    static RegionFile map(final Path fabricRoot, final String region) throws IOException {
        try (FileChannel ch = FileChannel.open(fabricRoot.resolve(region + ".region"), StandardOpenOption.READ,
            StandardOpenOption.WRITE)) {
            final long length = ch.size();
            return new RegionFile(OS.map(ch, FileChannel.MapMode.READ_WRITE, 0, length), length);
        }
    }

    /** @return the absolute address of byte {@code offset} of the data area */
    long dataAddress(final long offset) {
        return address + RegionLayout.HEADER_LENGTH + offset;
    }

    @Override
    public void close() throws IOException {
        OS.unmap(address, length);
    }
}
