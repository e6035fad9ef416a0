package org.softclan.net;

import io.aeron.Aeron;
import io.aeron.Publication;
import io.aeron.logbuffer.Header;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;

/**
 * A {@link NicAgent}'s peer hosts: the publication to each, the HELLO protocol that tells a peer which Aeron
 * session is this host (and, by its launch id, that this host's agent restarted), the publications made anew
 * for a peer that restarted, the hosts judged gone when their image went silent, and who a message came from
 * (its image's source address against the peer's configured one).
 *
 * <p>Threads: the publications, the greetings and the hosts gone are read by any thread (a sender greets
 * before its first message on a publication); the sessions, the launch ids and the renewals are the duty
 * thread's alone. Greeting and renewing a publication hold the lock of {@link #greeted}.
 */
final class PeerHosts {
    /** At most this many renewals of one peer's publication in {@link #RENEWAL_WINDOW_NANOS}. */
    static final int MAX_RENEWALS = 5;
    static final long RENEWAL_WINDOW_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final String host;
    /** {@link #host} in US-ASCII, as HELLOs carry it. */
    private final byte[] hostBytes;
    private final Map<String, String> peers;
    /** The peers' names: the duty cycle's look for HELLOs due walks them with no iterator to allocate. */
    private final String[] peerNames;
    /** This host's HELLO, encoded once (its launch id and name never change); only read, under {@link #greeted}'s lock. */
    private final ExpandableArrayBuffer hello;
    /** Each peer's IP address as its messages come from (its listen address resolved), or absent if unknown. */
    private final Map<String, String> peerIps = new ConcurrentHashMap<>();
    private final Map<String, Publication> publications = new ConcurrentHashMap<>();
    /** This launch of the agent, as its HELLO says: a peer that sees it change knows this agent restarted. */
    private final long launchId = new java.security.SecureRandom().nextLong();
    /** The publications' datagram size, or 0 for Aeron's default. */
    private final int mtu;
    private final long timeoutNanos;
    /** Hosts judged gone (their image went unavailable) until they greet again. */
    private final java.util.Set<String> gone = ConcurrentHashMap.newKeySet();
    /**
     * Which host publishes on each Aeron session, as its HELLO said (the duty thread's alone; keyed by the int
     * itself: a look-up per message boxes nothing).
     */
    private final org.agrona.collections.Int2ObjectHashMap<String> sessionHosts = new org.agrona.collections.Int2ObjectHashMap<>();
    /**
     * Each image's source IP address, as {@link #fromHost} compares it, worked out at the image's first message
     * (the duty thread's alone; an image's source never changes): later messages look it up, allocating nothing.
     * Removed with the image ({@link #imageLost}).
     */
    private final java.util.IdentityHashMap<io.aeron.Image, String> sourceIps = new java.util.IdentityHashMap<>();
    /** Peers this agent has greeted on their current publication since it last connected. */
    private final java.util.Set<String> greeted = ConcurrentHashMap.newKeySet();
    /** When this agent last sent each peer its HELLO (it sends it again every {@link #helloIntervalNanos}). */
    private final Map<String, Long> lastGreeting = new ConcurrentHashMap<>();
    /** Half the timeout (at least 250 ms): how often a HELLO is repeated. */
    private final long helloIntervalNanos;
    /** When the duty cycle next looks whether a HELLO is due (the duty thread's alone). */
    private long nextGreetCheck;
    /** Each peer's launch id, as its last HELLO said (the duty thread's alone): a new one is a restart. */
    private final Map<String, Long> peerLaunches = new java.util.HashMap<>();
    /** When each peer's publication was made anew lately (the duty thread's alone). */
    private final Map<String, java.util.ArrayDeque<Long>> lastRenewals = new java.util.HashMap<>();
    private final LinkImporter links;
    private final ReplyBacklog backlog;
    private final AgentCounters counters;
    /** The agent's Aeron client, set once by {@link #connect} in the agent's constructor, before any duty cycle. */
    private Aeron aeron;

    /**
     * The peers of {@code host}, with no publications yet ({@link #connect}); each peer's listen address is
     * resolved now (one not resolvable now is resolved again when a message claims to come from it).
     *
     * @param host         this host's name
     * @param hostBytes    it in US-ASCII
     * @param peers        each peer's name and listen address, {@code ADDR:PORT}
     * @param timeoutNanos the agent's timeout, ns (a HELLO is repeated every half of it)
     * @param mtu          the publications' datagram size, or 0 for Aeron's default
     * @param links        the agent's importer (the links of its mappings of other hosts' regions)
     * @param backlog      the agent's replies kept for their publications
     * @param counters     the agent's counters
     */
    PeerHosts(final String host, final byte[] hostBytes, final Map<String, String> peers, final long timeoutNanos,
              final int mtu, final LinkImporter links, final ReplyBacklog backlog, final AgentCounters counters) {
        this.host = host;
        this.hostBytes = hostBytes;
        this.peers = peers;
        this.peerNames = peers.keySet().toArray(new String[0]);
        this.hello = new ExpandableArrayBuffer(LinkMessageDescriptor.HELLO_HOST_OFFSET + hostBytes.length);
        NicAgent.header(hello, LinkMessageDescriptor.HELLO_TYPE, 0);
        hello.putLong(LinkMessageDescriptor.HELLO_LAUNCH_OFFSET, launchId);
        hello.putInt(LinkMessageDescriptor.HELLO_HOST_LENGTH_OFFSET, hostBytes.length);
        hello.putBytes(LinkMessageDescriptor.HELLO_HOST_OFFSET, hostBytes);
        for (final Map.Entry<String, String> p : peers.entrySet()) {
            final String ip = resolve(p.getValue());
            if (ip != null) {
                peerIps.put(p.getKey(), ip);
            }
            // else not resolvable now: Aeron reports it; messages from it are not matched by address
        }
        this.timeoutNanos = timeoutNanos;
        this.helloIntervalNanos = Math.max(TimeUnit.MILLISECONDS.toNanos(250), timeoutNanos / 2);
        this.mtu = mtu;
        this.links = links;
        this.backlog = backlog;
        this.counters = counters;
    }

    /** Adds a publication to each peer on {@code a}, the agent's Aeron client (in the agent's constructor). */
    void connect(final Aeron a) {
        this.aeron = a;
        for (final Map.Entry<String, String> p : peers.entrySet()) {
            publications.put(p.getKey(), a.addPublication(channel(p.getValue()), NicAgent.STREAM_ID));
        }
    }

    /** {@return the channel of a publication to a peer listening on {@code address}} */
    private String channel(final String address) {
        return "aeron:udp?endpoint=" + address + (mtu > 0 ? "|mtu=" + mtu : "");
    }

    /**
     * {@return the publication to {@code owner}}
     *
     * @throws IllegalArgumentException if {@code owner} is not a peer
     */
    Publication publication(final String owner) {
        final Publication p = publications.get(owner);
        if (p == null) {
            throw new IllegalArgumentException("host '" + owner + "' is not a peer of host '" + host + "' (peers: "
                + peers.keySet() + ")");
        }
        return p;
    }

    /** {@return the current publication to {@code other}, or null if it is not a peer} */
    Publication publicationOf(final String other) {
        return publications.get(other);
    }

    /** {@return the host that greeted on Aeron session {@code sessionId}, or null} (the duty thread's alone) */
    String sessionHost(final int sessionId) {
        return sessionHosts.get(sessionId);
    }

    /** {@return whether {@code other}'s agent went silent (its image unavailable) and has not greeted since} */
    boolean isGone(final String other) {
        return gone.contains(other);
    }

    /** {@return whether {@code other} has had this host's HELLO on its current publication} */
    boolean isGreeted(final String other) {
        return greeted.contains(other);
    }

    // ------------------------------------------------------------------------- liveness

    /**
     * The client's word that an image went unavailable (its reassembly buffer freed already): its host is gone
     * if it was a peer's greeted session.
     */
    void imageLost(final io.aeron.Image image) {
        sourceIps.remove(image);
        final String other = sessionHosts.remove(image.sessionId());
        if (image.isEndOfStream()) {
            return;   // closed by its agent (a renewal, a restart, a close): not a host gone silent
        }
        if (other != null && !sessionHosts.containsValue(other)) {
            hostGone(other, "host '" + other + "' sent nothing for longer than the link's liveness timeout of "
                + TimeUnit.NANOSECONDS.toMillis(Math.max(timeoutNanos, NicAgent.MIN_LIVENESS_NS)) + " ms (its agent died, or the"
                + " link is cut)");
        }
    }

    /** Revokes every mapping of {@code other}'s regions, saying {@code reason}; later imports may try again. */
    private void hostGone(final String other, final String reason) {
        gone.add(other);
        counters.hostsLost.incrementAndGet();
        links.revokeAll(other, null, -1, reason);
    }

    /** On the duty cycle: greets the peers not greeted yet, and each peer again when a HELLO is due. */
    int greetIfDue() {
        if (greeted.size() < publications.size() || System.nanoTime() - nextGreetCheck > 0) {
            nextGreetCheck = System.nanoTime() + helloIntervalNanos / 4;
            return greet();
        }
        return 0;
    }

    /**
     * Greets each peer whose publication (re)connected: its agent learns which session is this host. On every
     * duty cycle while a peer is not greeted (not connected): it allocates nothing (an array of the names, not
     * an iterator of the map's entries).
     */
    private int greet() {
        int work = 0;
        final long now = System.nanoTime();
        for (final String other : peerNames) {
            final Publication pub = publications.get(other);
            if (pub == null) {
                continue;
            }
            final Long last = lastGreeting.get(other);
            if (!pub.isConnected() || last != null && now - last > helloIntervalNanos) {
                greeted.remove(other);   // greeted again: a peer that judged this host gone hears from it
            }
            if (pub.isConnected() && !greeted.contains(other) && greet(other, pub)) {
                work++;
            }
        }
        return work;
    }

    /**
     * Sends {@code other} this host's HELLO on {@code pub} if it has not had it since {@code pub} connected,
     * before anything else this host sends it there (a request's reply goes back on the publication the HELLO
     * named). Any thread; one HELLO per connection.
     *
     * @return whether a HELLO was sent now
     */
    boolean greet(final String other, final Publication pub) {
        synchronized (greeted) {
            if (greeted.contains(other) || !pub.isConnected()) {
                return false;
            }
            if (pub.offer(hello, 0, LinkMessageDescriptor.HELLO_HOST_OFFSET + hostBytes.length) > 0) {
                greeted.add(other);
                lastGreeting.put(other, System.nanoTime());
                return true;
            }
            return false;
        }
    }

    /** A peer's HELLO: its session is that host's from now on, and a new launch id says its agent restarted. */
    void onHello(final DirectBuffer b, final int o, final int length, final Header header) {
        final int hl = length < LinkMessageDescriptor.HELLO_HOST_OFFSET ? -1
            : b.getInt(o + LinkMessageDescriptor.HELLO_HOST_LENGTH_OFFSET);
        final String other = hl < 1 || LinkMessageDescriptor.HELLO_HOST_OFFSET + (long) hl != length ? null
            : ServedRegions.name(b, o + LinkMessageDescriptor.HELLO_HOST_OFFSET, hl);
        if (other == null || !peers.containsKey(other) || !fromHost(header, other)) {
            counters.malformed.incrementAndGet();
            return;
        }
        final long launch = b.getLong(o + LinkMessageDescriptor.HELLO_LAUNCH_OFFSET);
        sessionHosts.put(header.sessionId(), other);
        gone.remove(other);
        final Long before = peerLaunches.put(other, launch);
        if (before != null && before != launch) {
            // the peer's agent restarted: a new publication, at most MAX_RENEWALS in RENEWAL_WINDOW per peer (a
            // peer claiming a new launch in every HELLO must not make this agent churn publications)
            final java.util.ArrayDeque<Long> times = lastRenewals.computeIfAbsent(other, k -> new java.util.ArrayDeque<>());
            final long now = System.nanoTime();
            while (!times.isEmpty() && now - times.peekFirst() > RENEWAL_WINDOW_NANOS) {
                times.pollFirst();
            }
            if (times.size() < MAX_RENEWALS) {
                times.addLast(now);
                renew(other);
            } else {
                counters.requestsRefused.incrementAndGet();
                counters.lastRefusal = "host '" + other + "' restarted its agent more than " + MAX_RENEWALS + " times in "
                    + TimeUnit.NANOSECONDS.toSeconds(RENEWAL_WINDOW_NANOS) + " s: its publication was not made anew";
            }
        }
    }

    /**
     * {@code other}'s agent started again (a HELLO with a new launch id): this host's publication to it still
     * counts as connected, but the new agent's subscription would join it at its current position and miss
     * what was sent before its image existed (a reply to its first request). So the publication is made
     * anew: it connects to the new agent from its first byte, and replies wait for that (kept, as for any
     * publication not yet connected). On the duty cycle's thread, between two messages.
     */
    private void renew(final String other) {
        final Publication old = publications.get(other);
        final String address = peers.get(other);
        if (old == null || address == null) {
            return;
        }
        final Publication fresh;
        synchronized (greeted) {
            // closed first: a publication added while the old one is open would share its session
            old.close();
            fresh = aeron.addPublication(channel(address), NicAgent.STREAM_ID);
            publications.put(other, fresh);
            greeted.remove(other);
        }
        backlog.moveTo(old, fresh);
        counters.peersRenewed.incrementAndGet();
    }

    /** The owner refused one of this host's writes: the importer's mappings of that region are revoked. */
    void onRefused(final DirectBuffer b, final int o, final int length, final Header header) {
        final String other = sessionHosts.get(header.sessionId());
        final int nl = length < LinkMessageDescriptor.REFUSED_NAME_OFFSET ? -1
            : b.getInt(o + LinkMessageDescriptor.REFUSED_NAME_LENGTH_OFFSET);
        final String name = nl < 1 || LinkMessageDescriptor.REFUSED_NAME_OFFSET + (long) nl != length ? null
            : ServedRegions.name(b, o + LinkMessageDescriptor.REFUSED_NAME_OFFSET, nl);
        if (other == null || name == null || !fromHost(header, other)) {
            counters.malformed.incrementAndGet();
            return;
        }
        final int status = b.getInt(o + LinkMessageDescriptor.REFUSED_STATUS_OFFSET);
        links.revokeAll(other, name, b.getLong(o + LinkMessageDescriptor.REFUSED_GENERATION_OFFSET), "host '" + other
            + "' refused a write to it (" + LinkMessageDescriptor.statusName(status) + "): "
            + (status == LinkMessageDescriptor.STATUS_STALE ? "the region was removed or exported anew since it was"
            + " imported" : "access denied"));
    }

    // ------------------------------------------------------------------------- who sent it

    /**
     * {@return whether a message came from {@code claimed}'s address} (the Aeron image's source, against
     * the peer's configured address): a host cannot answer for another, nor have an agent send another
     * host replies it did not ask for. Hosts that share an address (agents on one machine's loopback)
     * are not told apart.
     */
    boolean fromHost(final Header header, final String claimed) {
        String ip = peerIps.get(claimed);
        if (ip == null && peers.containsKey(claimed)) {
            ip = resolve(peers.get(claimed));   // not resolvable at launch: try again; never trust it unresolved
            if (ip == null) {
                return false;
            }
            peerIps.put(claimed, ip);
        }
        if (ip == null || !(header.context() instanceof io.aeron.Image image)) {
            return false;
        }
        String sourceIp = sourceIps.get(image);
        if (sourceIp == null) {
            sourceIp = sourceIp(image.sourceIdentity());
            sourceIps.put(image, sourceIp);
        }
        return ip.equals(sourceIp);
    }

    /**
     * {@return the IP address an image's source identity ({@code ADDR:PORT}, IPv6 in brackets) names, in the
     * form {@link #resolve} gives, or "" if it names none} (a literal address: no name look-up)
     */
    private static String sourceIp(final String source) {
        final int colon = source.lastIndexOf(':');
        try {
            return java.net.InetAddress.getByName((colon < 0 ? source : source.substring(0, colon))
                .replace("[", "").replace("]", "")).getHostAddress();
        } catch (final java.io.IOException e) {
            return "";   // matches no peer's address
        }
    }

    /** {@return the IP address of {@code address} (HOST:PORT), or null if it cannot be resolved} */
    private static String resolve(final String address) {
        final int colon = address.lastIndexOf(':');
        try {
            return java.net.InetAddress.getByName(colon < 0 ? address
                : address.substring(0, colon).replace("[", "").replace("]", "")).getHostAddress();
        } catch (final java.io.IOException e) {
            return null;
        }
    }
}
