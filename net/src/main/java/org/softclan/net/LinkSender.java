package org.softclan.net;

import static org.softclan.net.LinkMessageDescriptor.TYPE_OFFSET;
import static org.softclan.net.LinkMessageDescriptor.WRITE_TYPE;

import io.aeron.Publication;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.agrona.DirectBuffer;

/**
 * What a {@link NicAgent}'s callers send its peers: offers one message to a peer's current publication,
 * this host's HELLO first, waiting (and driving the agent) while the publication is back-pressured or not
 * connected, at most the agent's timeout; and which peers were sent writes since their last flush. Any
 * thread; one thread's messages to one peer go in the order it offers them.
 */
final class LinkSender {
    private final NicAgent agent;
    private final PeerHosts peers;
    private final AgentCounters counters;
    private final long timeoutNanos;
    /** Peers this host sent something since its last {@link NicAgent#flush}: what close makes sure has arrived. */
    private final java.util.Set<String> unsynced = ConcurrentHashMap.newKeySet();

    /**
     * Sends for {@code agent}.
     *
     * @param agent        the agent (its duty cycles send what is offered; whether it is closed)
     * @param peers        its peer hosts (their publications, this host's HELLO)
     * @param counters     its counters
     * @param timeoutNanos how long an offer may wait, ns
     */
    LinkSender(final NicAgent agent, final PeerHosts peers, final AgentCounters counters, final long timeoutNanos) {
        this.agent = agent;
        this.peers = peers;
        this.counters = counters;
        this.timeoutNanos = timeoutNanos;
    }

    /** Everything sent {@code owner} so far is about to be flushed: a write after this marks it again. */
    void synced(final String owner) {
        unsynced.remove(owner);
    }

    /** A flush of {@code owner} failed: what was sent it is still to be flushed. */
    void unsynced(final String owner) {
        unsynced.add(owner);
    }

    /** {@return the peers sent writes since their last flush} */
    String[] unsynced() {
        return unsynced.toArray(new String[0]);
    }

    /**
     * As {@link NicAgent#offer(Publication, String, DirectBuffer, int, String)}; with {@code sendNow} false the
     * message is left in the publication for the next duty cycle (the duty thread's, or the one after the
     * next ordered store, request or driving wait), so a plain burst and the release store that follows it
     * leave in one datagram where they fit, with one system call.
     */
    void offer(final Publication first, final String owner, final DirectBuffer b, final int length, final String what,
               final boolean sendNow) {
        final long deadline = System.nanoTime() + timeoutNanos;
        int idle = 0;
        Publication pub = first;
        while (true) {
            final Publication now = peers.publicationOf(owner);
            if (now != null) {
                pub = now;   // made anew when the peer restarted: send there
            }
            if (!peers.isGreeted(owner)) {
                peers.greet(owner, pub);   // the HELLO first: the peer answers on the publication it names
            }
            // nothing before the HELLO: a HELLO refused (back-pressured just after connecting) and a request
            // taken a moment later would reach a restarted peer's agent first, which would answer on the
            // publication it had before it learned of the restart, one this agent may never join
            final long r = peers.isGreeted(owner) ? pub.offer(b, 0, length) : Publication.NOT_CONNECTED;
            if (r > 0) {
                if (b.getInt(TYPE_OFFSET) == WRITE_TYPE) {
                    unsynced.add(owner);   // a request's answer says its own messages arrived
                }
                // the driver sends it now, on this thread, unless the duty thread is in a cycle already (it
                // will send it): no wait for a parked duty thread to come round
                if (sendNow) {
                    agent.doWork();
                }
                return;
            }
            if (r == Publication.CLOSED && agent.isClosed() || r == Publication.MAX_POSITION_EXCEEDED) {
                throw new LinkTimeoutException("the link to host '" + owner + "' is closed (" + what + ")");
            }
            if (r == Publication.BACK_PRESSURED) {
                counters.backPressured.incrementAndGet();
            }
            if (System.nanoTime() - deadline > 0) {
                throw new LinkTimeoutException(what + ": " + (r == Publication.NOT_CONNECTED
                    ? "host '" + owner + "' is not connected (its agent is gone, or the link is cut)"
                    : "host '" + owner + "' took nothing (back-pressure)") + " for "
                    + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms");
            }
            if (agent.doWork() > 0) {
                idle = 0;   // this thread drove the link (or nobody else does): the offer may go now
            } else if (++idle < 100) {
                Thread.onSpinWait();
            } else {
                LockSupport.parkNanos(Math.min(1_000_000, 1_000L * (idle - 99)));
            }
        }
    }
}
