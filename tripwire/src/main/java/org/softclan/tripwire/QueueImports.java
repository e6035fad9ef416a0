package org.softclan.tripwire;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.softclan.dsm.Endpoint;
import org.softclan.dsm.OutboundMapping;

/**
 * The event queues of other units that one endpoint's writers post to: one import (one mapping, one
 * file descriptor) per queue region, shared by every snoop of that endpoint that needs it, and closed
 * when the last of them lets go ({@link TripwireSnoop#detach}). Without it each imported region held its
 * own import of each queue until the endpoint closed: a server that accepted many clients in turn kept
 * a mapping of every client's queue.
 *
 * <p>A cached import is reused only while its region is still the generation imported: a queue's name
 * may be taken again by a later unit (pids are reused), which gets a fresh import.
 */
final class QueueImports implements AutoCloseable {
    private static final Map<Endpoint, QueueImports> BY_ENDPOINT = new ConcurrentHashMap<>();

    /** One import and the number of snoops holding it. */
    static final class Ref {
        final EventQueue queue;
        final OutboundMapping mapping;
        int users;   // guarded by the QueueImports

        Ref(final EventQueue queue, final OutboundMapping mapping) {
            this.queue = queue;
            this.mapping = mapping;
        }
    }

    private final Endpoint endpoint;
    private final Map<String, Ref> byName = new HashMap<>();
    private boolean closed;

    private QueueImports(final Endpoint endpoint) {
        this.endpoint = endpoint;
    }

    /** @return the endpoint's imports, created on first use and dropped when the endpoint closes */
    static QueueImports of(final Endpoint endpoint) {
        return BY_ENDPOINT.computeIfAbsent(endpoint, e -> {
            final QueueImports q = new QueueImports(e);
            e.closeFirst(q);   // throws ClosedException for a closed endpoint: nothing is cached then
            return q;
        });
    }

    /**
     * Imports the queue region {@code name}, or shares this endpoint's current import of it.
     *
     * @return a reference the caller gives back with {@link #release}
     * @throws RuntimeException if the region cannot be imported or is not an event queue
     *         ({@link IllegalStateException}); nothing is left mapped then
     */
    synchronized Ref acquire(final String name) {
        if (closed) {
            throw new org.softclan.dsm.ClosedException("endpoint '" + endpoint.name() + "' is closed");
        }
        Ref r = byName.get(name);
        if (r != null && !stillValid(r)) {
            byName.remove(name);   // its users keep it until they let go; newcomers import afresh
            r = null;
        }
        if (r == null) {
            // the directory naming it is a peer's word: a region far larger than any queue is not mapped
            final long most = EventQueue.bytesFor(EventQueue.MAX_CAPACITY);
            final long size = endpoint.fabric().region(name).map(org.softclan.dsm.RegionInfo::size).orElse(0L);
            if (size > most) {
                throw new IllegalStateException("region '" + name + "' named as an event queue has " + size
                    + " bytes; a queue has at most " + most);
            }
            final OutboundMapping m = endpoint.importRegion(name);
            try {
                r = new Ref(new EventQueue(m), m);
            } catch (final RuntimeException | Error e) {
                m.close();
                throw e;
            }
            byName.put(name, r);
        }
        r.users++;
        return r;
    }

    private static boolean stillValid(final Ref r) {
        if (r.mapping.isKnownCut()) {
            return false;   // its header is not read again: a new import finds what the name is now
        }
        try {
            return r.mapping.isValid();
        } catch (final RuntimeException e) {
            return false;   // the region's file was cut: not reused
        }
    }

    /** Gives back a reference from {@link #acquire}; the last user's release unmaps the queue. */
    synchronized void release(final Ref r) {
        if (--r.users > 0) {
            return;
        }
        byName.remove(r.mapping.regionName(), r);
        r.mapping.close();
    }

    /** @return how many queue regions this endpoint has imported for its writers (for tests) */
    synchronized int imported() {
        return byName.size();
    }

    /** The endpoint is closing (it unmaps every import itself): forget them. */
    @Override
    public synchronized void close() {
        closed = true;
        byName.clear();
        BY_ENDPOINT.remove(endpoint, this);
    }
}
