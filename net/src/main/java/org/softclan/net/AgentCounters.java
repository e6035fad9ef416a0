package org.softclan.net;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The counters of one {@link NicAgent} and its last refusal's reason: what its roles (the duty cycle, the
 * sender, the server of peers' requests, the peer sessions, the reply backlog) count, each counter
 * incremented by whichever thread met the event, read by any thread through {@link NicAgent#counters()}.
 */
final class AgentCounters {
    final AtomicLong writesApplied = new AtomicLong();
    final AtomicLong bytesApplied = new AtomicLong();
    final AtomicLong writesRefused = new AtomicLong();
    final AtomicLong readsServed = new AtomicLong();
    final AtomicLong lookupsServed = new AtomicLong();
    final AtomicLong requestsRefused = new AtomicLong();
    final AtomicLong malformed = new AtomicLong();
    final AtomicLong backPressured = new AtomicLong();
    final AtomicLong repliesDropped = new AtomicLong();
    final AtomicLong dutyErrors = new AtomicLong();
    final AtomicLong hostsLost = new AtomicLong();
    final AtomicLong peersRenewed = new AtomicLong();
    final AtomicLong mappingsRevoked = new AtomicLong();
    /** The last refusal's reason, as text. */
    volatile String lastRefusal = "";

    /**
     * {@return the counters by name}, in {@link NicAgent#counters()}'s order, with the media driver's NAKs
     * and retransmissions sent taken from {@code driver}'s system counters
     */
    Map<String, Object> toMap(final io.aeron.driver.MediaDriver driver) {
        final Map<String, Object> m = new LinkedHashMap<>();
        m.put("writesApplied", writesApplied.get());
        m.put("bytesApplied", bytesApplied.get());
        m.put("writesRefused", writesRefused.get());
        m.put("readsServed", readsServed.get());
        m.put("lookupsServed", lookupsServed.get());
        m.put("requestsRefused", requestsRefused.get());
        m.put("malformed", malformed.get());
        m.put("backPressured", backPressured.get());
        m.put("repliesDropped", repliesDropped.get());
        m.put("dutyErrors", dutyErrors.get());
        m.put("hostsLost", hostsLost.get());
        m.put("peersRestarted", peersRenewed.get());
        final io.aeron.driver.status.SystemCounters sc = driver.context().systemCounters();
        m.put("naksSent", sc.get(io.aeron.driver.status.SystemCounterDescriptor.NAK_MESSAGES_SENT).get());
        m.put("retransmitsSent", sc.get(io.aeron.driver.status.SystemCounterDescriptor.RETRANSMITS_SENT).get());
        m.put("mappingsRevoked", mappingsRevoked.get());
        m.put("lastRefusal", lastRefusal);
        return m;
    }
}
