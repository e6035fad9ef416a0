package org.softclan.dsm;

import java.nio.file.Path;

/**
 * A region's file was cut short from outside (for example {@code truncate -s 4096} on it) while this
 * process maps it. Pages past the file's new end no longer exist: every access to them faults, and
 * the JVM reports the fault as an {@link InternalError} that does not say which memory it was. The
 * NIC turns that fault into this exception, which names the region, its file, the file's size when
 * the fault was examined and the length this process mapped.
 *
 * <p>The region cannot be used any more: close the mapping (closing is safe, it touches no memory
 * past the file's end) and have the owner export the name anew. Nothing repairs the file.
 */
public final class RegionTruncatedException extends DsmException {
    private static final long serialVersionUID = 1L;

    private final String regionName;
    private final transient Path file;
    private final long fileSize;
    private final long mappedSize;

    /**
     * Reports a fault on a region whose file was cut short from outside.
     *
     * @param message    what happened, naming the region, the file and both sizes
     * @param regionName the region's name
     * @param file       the region's file
     * @param fileSize   the file's size in bytes when the fault was examined, or -1 if it could not be read
     * @param mappedSize the bytes of the file this process mapped (header, data area and sidecar)
     * @param cause      the JVM's report of the fault, or {@code null} if the check found it first
     */
    public RegionTruncatedException(final String message, final String regionName, final Path file,
                                    final long fileSize, final long mappedSize, final Throwable cause) {
        super(message, cause);
        this.regionName = regionName;
        this.file = file;
        this.fileSize = fileSize;
        this.mappedSize = mappedSize;
    }

    /** {@return the region's name} */
    public String regionName() {
        return regionName;
    }

    /** {@return the region's file as this process opened it (it may have been unlinked since)} */
    public Path file() {
        return file;
    }

    /** {@return the file's size in bytes when the fault was examined, or -1 if it could not be read} */
    public long fileSize() {
        return fileSize;
    }

    /** {@return the bytes of the file this process mapped: header, data area and sidecar} */
    public long mappedSize() {
        return mappedSize;
    }
}
