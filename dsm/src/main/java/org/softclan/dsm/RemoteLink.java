package org.softclan.dsm;

/**
 * A {@link Link} to one region of another host, as a NIC agent attached to the fabric
 * ({@link Fabric#attachRemoteImporter}) makes it for an import of {@code NAME@HOST}: the region has no
 * local memory; stores become messages to the owner's host, loads and atomics round trips. One link
 * serves one {@link OutboundMapping}.
 *
 * <p>The mapping tells its link when it is made and closed, and the link tells the mapping when the region
 * can no longer be reached ({@link OutboundMapping#revokeRemote(String)}): the owner refused a write as
 * stale, or the owner's host stopped answering. Every later transfer through the mapping then fails with
 * {@link StaleRegionException}, as for a local region its owner removed.
 */
public interface RemoteLink extends Link {
    /** {@return the owner's host, as named in {@code NAME@HOST}} */
    String host();

    /** {@return the size of the region's data area, bytes, as its owner's host reported it} */
    long size();

    /** {@return the region's generation, as its owner's host reported it} */
    long generation();

    /**
     * {@return whether the owner's host answers}: its agent was heard from within the link's liveness
     * timeout. No round trip: what the link last learned.
     */
    boolean isReachable();

    /**
     * The mapping made on this link; the link keeps it to revoke it later.
     *
     * @param mapping the importer's mapping of the region
     */
    void opened(OutboundMapping mapping);

    /**
     * The mapping was closed: the link forgets it (and may release what it held for it).
     *
     * @param mapping the mapping given to {@link #opened}
     */
    void closed(OutboundMapping mapping);
}
