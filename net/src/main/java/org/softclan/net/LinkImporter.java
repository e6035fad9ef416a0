package org.softclan.net;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link NicAgent}'s importer of other hosts' regions, as its fabric knows it
 * ({@link org.softclan.dsm.Fabric#attachRemoteImporter}): an {@code endpoint.importRegion("NAME@HOST", key)} of
 * a program in this JVM on the agent's fabric looks the region up and gets an
 * {@link org.softclan.dsm.OutboundMapping} on a {@link NetworkLink}. The links of the mappings opened are kept
 * per host, so that the agent can revoke them: all of a host's when it goes silent or the agent closes, one
 * region's when its owner refused a write to it. Any thread.
 */
final class LinkImporter implements org.softclan.dsm.RemoteImporter {
    private final NicAgent agent;
    private final Map<String, String> peers;
    private final AgentCounters counters;
    /** The links of this host's mappings of other hosts' regions, per host (to revoke them). */
    private final Map<String, Set<NetworkLink>> links = new ConcurrentHashMap<>();

    /**
     * No links yet.
     *
     * @param agent    the agent (whether it is alive, whether a host is gone, its look-ups)
     * @param peers    its peers' names and listen addresses
     * @param counters where revoked mappings are counted
     */
    LinkImporter(final NicAgent agent, final Map<String, String> peers, final AgentCounters counters) {
        this.agent = agent;
        this.peers = peers;
        this.counters = counters;
    }

    @Override
    public String localHost() {
        return agent.host();
    }

    @Override
    public boolean isReachable(final String other) {
        return agent.isAlive() && peers.containsKey(other) && !agent.isGone(other);
    }

    @Override
    public org.softclan.dsm.RemoteLink importRemote(final String owner, final String name, final long key) {
        if (!peers.containsKey(owner)) {
            throw new org.softclan.dsm.NoSuchRegionException("region '" + name + "@" + owner + "': host '" + owner
                + "' is not a peer of host '" + agent.host() + "' (peers: " + peers.keySet() + ")");
        }
        return new NetworkLink(agent, agent.lookUp(owner, NicAgent.checkName(name, "region name"), key));
    }

    /** A mapping through {@code link} was opened: kept, and revoked at once if its host went silent meanwhile. */
    void opened(final NetworkLink link) {
        links.computeIfAbsent(link.host(), h -> ConcurrentHashMap.newKeySet()).add(link);
        if (agent.isGone(link.host())) {
            link.revoke("host '" + link.host() + "' went silent before the import was done");
        }
    }

    /** The mapping through {@code link} was closed. */
    void closed(final NetworkLink link) {
        final Set<NetworkLink> s = links.get(link.host());
        if (s != null) {
            s.remove(link);
        }
    }

    /** Revokes the mappings of {@code other}'s regions (of one region and generation, or all with null). */
    void revokeAll(final String other, final String name, final long generation, final String reason) {
        final Set<NetworkLink> s = links.get(other);
        if (s == null) {
            return;
        }
        for (final NetworkLink l : s) {
            if (name == null || (l.region().name().equals(name) && l.region().generation() == generation)) {
                counters.mappingsRevoked.incrementAndGet();
                l.revoke(reason);
            }
        }
    }

    /** Revokes every mapping of every host's regions, saying {@code reason} (the agent closes). */
    void revokeEverything(final String reason) {
        for (final String other : links.keySet()) {
            revokeAll(other, null, -1, reason);
        }
    }
}
