package org.softclan.dsm;

import java.nio.file.Path;
import java.util.List;

/**
 * What {@link Fabric#clean()} (or the bounded clean-up an export or {@link Fabric#open} does) removed:
 * what processes that died (or were killed with {@code SIGKILL}) left in the fabric.
 *
 * @param regions the names of regions whose owners were dead (their files were revoked and unlinked)
 * @param files   every file removed: those regions' files, dead endpoints' liveness files, temporary
 *                files of exports that never finished, and generation files of older versions
 */
public record Reclaimed(List<String> regions, List<Path> files) {
    /** An empty report. */
    public static final Reclaimed NOTHING = new Reclaimed(List.of(), List.of());

    /**
     * A report of what was removed; both lists are copied, unmodifiable.
     *
     * @param regions the names of the regions reclaimed (copied)
     * @param files   the files removed (copied)
     */
    public Reclaimed {
        regions = List.copyOf(regions);
        files = List.copyOf(files);
    }

    /** {@return whether nothing was removed} */
    public boolean isEmpty() {
        return files.isEmpty();
    }
}
