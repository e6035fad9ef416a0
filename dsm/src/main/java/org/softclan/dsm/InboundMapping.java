package org.softclan.dsm;

import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.bytes.PointerBytesStore;

/**
 * The owner's mapping of a region it exported: its own memory, which importers write into.
 *
 * <p>Stores the owner makes here are local stores: they do not pass through the NIC and are not
 * snooped (as on CLAN, where the host's own writes to its memory never crossed the network
 * interface). Closing the mapping removes the region: its state word becomes {@code revoked} (every
 * importer's next transfer fails with {@link StaleRegionException}), its name is removed from the
 * fabric, and the file is unlinked but never truncated, so importers that still map it cannot fault.
 */
public final class InboundMapping extends Mapping {
    private final Endpoint endpoint;
    private final long accessKey;
    /** Identity (device and inode) of the file this generation created. */
    final Object fileKey;

    InboundMapping(final Endpoint endpoint, final String regionName, final long generation, final long size,
                   final long sidecarSize, final long accessKey, final MappedRegion file, final Object fileKey) {
        super(regionName, generation, size, sidecarSize, file, SameHostLink.INSTANCE);
        this.endpoint = endpoint;
        this.accessKey = accessKey;
        this.fileKey = fileKey;
    }

    @Override
    String kind() {
        return "inbound";
    }

    @Override
    void beforeRemoteAccess() {
        // local memory: nothing to check beyond bounds
    }

    /** {@return the endpoint that exported the region} */
    public Endpoint endpoint() {
        return endpoint;
    }

    /** {@return the key importers must present} */
    public long accessKey() {
        return accessKey;
    }

    /**
     * A Chronicle view of the data area, for reading received bytes in place (zero-copy receive).
     * Stores through it are local stores, like this mapping's own. Valid until this mapping closes.
     *
     * @return a store whose offset 0 is the first byte of the data area
     */
    public BytesStore<?, Void> localBytes() {
        checkBounds(0, 0);
        final PointerBytesStore store = BytesStore.nativePointer();
        store.set(dataAddress, size);
        return store;
    }

    /** Revokes and removes the region, then unmaps it. Idempotent. */
    @Override
    public void close() {
        if (isClosed()) {
            return;
        }
        try {
            endpoint.fabric().names().remove(this);
        } finally {
            endpoint.forget(this);
            super.close();
        }
    }
}
