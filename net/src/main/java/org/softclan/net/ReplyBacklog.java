package org.softclan.net;

import io.aeron.Publication;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import org.agrona.DirectBuffer;

/**
 * The replies of a {@link NicAgent}'s duty thread that their publications could not take at once (not
 * connected yet, or back-pressured), kept per publication in order and offered again on each duty cycle
 * until the agent's timeout passes. At most {@link #MAX_BACKLOG_BYTES} in all: beyond, a reply is dropped
 * (the asker times out; the agent's memory stays bounded). The duty thread's alone.
 */
final class ReplyBacklog {
    /** The most bytes of replies kept waiting for their publications, in all. */
    static final int MAX_BACKLOG_BYTES = 4 * 1024 * 1024;

    /** A reply waiting for its publication (not connected yet, or back-pressured). */
    private record Backlogged(DirectBuffer message, long deadline) {
    }

    private final long timeoutNanos;
    private final AgentCounters counters;
    /** Bytes of replies kept (the duty thread's alone). */
    private long backlogBytes;
    /** Replies the duty thread could not send at once, per publication (the duty thread's alone). */
    private final Map<Publication, ArrayDeque<Backlogged>> backlog = new HashMap<>();

    /**
     * Nothing kept yet.
     *
     * @param timeoutNanos how long a reply is kept, ns (the agent's timeout)
     * @param counters     where dropped replies and back-pressure are counted
     */
    ReplyBacklog(final long timeoutNanos, final AgentCounters counters) {
        this.timeoutNanos = timeoutNanos;
        this.counters = counters;
    }

    /** {@return whether no reply is kept} */
    boolean isEmpty() {
        return backlog.isEmpty();
    }

    /**
     * A reply from the duty thread, which never waits for it: sent at once if the publication takes it,
     * else kept (with any reply behind it to the same host, in order) and offered again on each duty cycle
     * until the agent's timeout passes (the asker has given up by then; counted as dropped).
     */
    void reply(final Publication back, final DirectBuffer r, final int length) {
        final ArrayDeque<Backlogged> q = backlog.get(back);
        if (q == null || q.isEmpty()) {
            final long pos = back.offer(r, 0, length);
            if (pos > 0 || pos == Publication.CLOSED || pos == Publication.MAX_POSITION_EXCEEDED) {
                return;
            }
        }
        if (backlogBytes + length > MAX_BACKLOG_BYTES) {
            counters.repliesDropped.incrementAndGet();   // the asker times out; this agent's memory stays bounded
            return;
        }
        final byte[] copy = new byte[length];
        r.getBytes(0, copy);
        backlogBytes += length;
        backlog.computeIfAbsent(back, k -> new ArrayDeque<>())
            .add(new Backlogged(new org.agrona.concurrent.UnsafeBuffer(copy), System.nanoTime() + timeoutNanos));
    }

    /** Offers the kept replies again, oldest first per host; {@return how many went} */
    int send() {
        int sent = 0;
        for (final Map.Entry<Publication, ArrayDeque<Backlogged>> e : backlog.entrySet()) {
            final ArrayDeque<Backlogged> q = e.getValue();
            while (!q.isEmpty()) {
                final Backlogged b = q.peek();
                final long pos = e.getKey().offer(b.message, 0, b.message.capacity());
                if (pos > 0 || pos == Publication.CLOSED || pos == Publication.MAX_POSITION_EXCEEDED) {
                    q.poll();
                    backlogBytes -= b.message.capacity();
                    sent++;
                } else if (System.nanoTime() - b.deadline > 0) {
                    q.poll();
                    backlogBytes -= b.message.capacity();
                    counters.repliesDropped.incrementAndGet();
                } else {
                    if (pos == Publication.BACK_PRESSURED) {
                        counters.backPressured.incrementAndGet();
                    }
                    break;
                }
            }
        }
        return sent;
    }

    /** The replies kept for {@code old} (a peer's publication made anew) wait for {@code fresh}, in order. */
    void moveTo(final Publication old, final Publication fresh) {
        final ArrayDeque<Backlogged> kept = backlog.remove(old);
        if (kept != null) {
            backlog.computeIfAbsent(fresh, k -> new ArrayDeque<>()).addAll(kept);
        }
    }
}
