package org.softclan.dsm;

import java.nio.file.Path;
import java.time.Instant;

/**
 * What the fabric's name service knows of one region, read from its file's header.
 *
 * @param name       the region's name
 * @param size       the size of the data area in bytes
 * @param generation greater than every generation the name had before (see {@link Fabric})
 * @param owner      the exporting endpoint and its process
 * @param state      {@code "creating"}, {@code "active"} or {@code "revoked"}
 * @param createdAt  when this generation was exported
 * @param file       the region's file
 * @param internal   whether a layer of the project exported it for its own use (an event queue, a
 *                   connection's receive ring, a listener's rendezvous; see
 *                   {@link Endpoint#exportInternal(String, long, long, long)}); listings for users hide it
 */
public record RegionInfo(String name, long size, long generation, OwnerId owner, String state, Instant createdAt,
                         Path file, boolean internal) {
    /**
     * A region exported by a user (not internal).
     *
     * @param name       the region's name
     * @param size       the size of the data area in bytes
     * @param generation bumped each time the name is exported anew
     * @param owner      the exporting endpoint and its process
     * @param state      {@code "creating"}, {@code "active"} or {@code "revoked"}
     * @param createdAt  when this generation was exported
     * @param file       the region's file
     */
    public RegionInfo(final String name, final long size, final long generation, final OwnerId owner,
                      final String state, final Instant createdAt, final Path file) {
        this(name, size, generation, owner, state, createdAt, file, false);
    }

    /** {@return whether the owning process is still running} */
    public boolean ownerAlive() {
        return owner.isAlive();
    }
}
