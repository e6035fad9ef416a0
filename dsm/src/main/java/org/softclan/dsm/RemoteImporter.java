package org.softclan.dsm;

/**
 * Reaches regions of other hosts for a fabric: a NIC agent attaches one to its fabric's directory
 * ({@link Fabric#attachRemoteImporter}), and {@link Endpoint#importRegion(String, long)} of a name
 * {@code NAME@HOST} asks it for a {@link RemoteLink} instead of opening a local file.
 */
public interface RemoteImporter {
    /** {@return the name of this host, as other hosts import its regions ({@code NAME@HOST})} */
    String localHost();

    /**
     * {@return whether {@code host}'s agent is heard from}: not judged gone by the link's liveness. No round
     * trip; what the agent last learned. For slow paths (a listener deciding whether a request slot's
     * claimant on another host is still there).
     *
     * @param host a peer host's name (any text: an unknown host is not reachable)
     */
    boolean isReachable(String host);

    /**
     * Looks a region of another host up and makes the link to it.
     *
     * @param host   the owner's host
     * @param region the region's name on that host
     * @param key    the key presented (the one the owner exported it with)
     * @return the link to the region, for one mapping
     * @throws NoSuchRegionException  if that host has no such region, or is not known
     * @throws RegionAccessException  if the key is wrong or the region is internal to that host
     * @throws StaleRegionException   if that host did not answer in time
     */
    RemoteLink importRemote(String host, String region, long key);
}
