package org.softclan.dsm;

import java.nio.file.Path;
import java.time.Instant;

/**
 * What the fabric's name service knows of one region, read from its file's header.
 *
 * @param name       the region's name
 * @param size       the size of the data area in bytes
 * @param generation bumped each time the name is exported anew
 * @param owner      the exporting endpoint and its process
 * @param state      {@code "creating"}, {@code "active"} or {@code "revoked"}
 * @param createdAt  when this generation was exported
 * @param file       the region's file
 */
public record RegionInfo(String name, long size, long generation, OwnerId owner, String state, Instant createdAt,
                         Path file) {
    /** @return whether the owning process is still running */
    public boolean ownerAlive() {
        return owner.isAlive();
    }
}
