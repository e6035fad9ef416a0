package org.softclan.vmmc.rpc;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.softclan.tripwire.EventHandler;
import org.softclan.tripwire.TripwireUnit;
import org.softclan.vmmc.PeerGoneException;
import org.softclan.vmmc.PeerProtocolException;

/**
 * The polling thread of an {@link RpcServer}: waits on the server's single event queue for requests from every
 * client (each connection's data tripwire posts an event carrying its id) and serves the clients whose events
 * arrived; with up to {@value RpcServer#DIRECT_POLL_LIMIT} clients it also watches their rings directly,
 * which saves the event's trip through the queue on the critical path of a call. Serving a client publishes
 * the responses that waited for room in its ring, then reads its requests, which the server dispatches
 * ({@link ServedClient#handler}), and every 100 ms, or after the queue overflowed, checks that the client is
 * alive. A client that breaks the protocol, died, or leaves its responses unread too long is dropped, never
 * the server.
 *
 * <p>Threads: everything here runs on the polling thread but the server's {@link RpcServer#close()}, which
 * stops it by the server's running flag; a client's responses are guarded by the client's monitor while
 * handlers run on workers (they answer from their own threads), and taken by the polling thread alone
 * otherwise.
 */
final class RequestPoller {
    /**
     * Requests read per poll of a client's ring: the answers of handlers on the polling thread are published
     * after each poll, so at most this many wait for their publish (as many as a client batches by default).
     */
    private static final int POLL_BATCH = 16;
    /** Polls of one client's ring ({@link #POLL_BATCH} requests each) before the poller turns to the others. */
    private static final int SERVE_ROUNDS = 256;
    /** Set by the poller when a client still had requests after {@link #SERVE_ROUNDS} polls (poller thread only). */
    private boolean backlog;
    private static final long SWEEP_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /** Poll rounds between reads of the clock for the sweep (a power of two). */
    private static final int CLOCK_ROUNDS = 64;

    private final RpcServer server;
    private final String service;
    private final RpcServer.Context ctx;
    private final TripwireUnit unit;
    /** The server's worker threads, or {@code null}: handlers run on the polling thread. */
    private final HandlerWorkers workers;
    /**
     * Set once the server's own event queue faults (its file was cut from outside): from then on the
     * poller serves every client by looking at their rings, pausing briefly when none had work, so the
     * clients keep being served and their departures noticed without the queue.
     */
    private volatile boolean queueBroken;

    private final BooleanSupplier anyWork = this::anyWork;
    private final EventHandler collect = this::collect;
    private long[] readyIds;
    private int readyCount;

    /**
     * @param server  the server whose clients this thread serves
     * @param unit    the server's tripwire unit, whose event queue this thread holds until it ends
     * @param workers the server's worker threads, or {@code null}
     */
    RequestPoller(final RpcServer server, final TripwireUnit unit, final HandlerWorkers workers) {
        this.server = server;
        this.service = server.service;
        this.ctx = server.ctx;
        this.unit = unit;
        this.workers = workers;
    }

    /** The polling thread's loop, until the server stops; then it gives up the unit's event queue. */
    void pollLoop() {
        final long[] ready = new long[64];
        try {
            while (server.running) {
                try {
                    pollRounds(ready);
                } catch (final InternalError lateFault) {
                    // a fault on a client's region cut from outside, reported at the loop's safepoint (outside
                    // the per-round catch): the client is dropped when it is served next; go on serving
                    queueFault(lateFault);   // (explaining it drains another one held back)
                }
            }
        } finally {
            try {
                server.pollOut.releaseLast();
            } catch (final InternalError lateFault) {
                // a client's cut region's fault delivered as the poller ends: the buffer is released or lost
            } finally {
                unit.events().release();   // held since start: unmapped now if closed meanwhile
            }
        }
    }

    private void pollRounds(final long[] ready) {
        // the first round sweeps: this method is entered anew after a fault the JVM delivered late
        long lastSweep = System.nanoTime() - SWEEP_NANOS - 1;
        long seenOverflow = 0;
        int rounds = 0;
        boolean idle = true;
        boolean faulted = false;
        while (server.running) {
            // the clock is read every CLOCK_ROUNDS rounds and after an idle one, not once per request; a
            // round after one that failed sweeps (serves and checks every client before looking for work)
            boolean sweep = faulted;
            faulted = false;
            if (idle || (++rounds & (CLOCK_ROUNDS - 1)) == 0) {
                final long now = System.nanoTime();
                if (now - lastSweep > SWEEP_NANOS) {
                    sweep = true;
                    lastSweep = now;
                }
            }
            try {
                idle = !pollOnce(ready, sweep, seenOverflow);
            } catch (final Throwable e) {
                // nothing one client does may stop the server: a bad connection is dropped in serve(); what
                // escapes it (an error of the server's own regions) is retried on the next round, and a
                // fault of the server's own event queue makes the poller go on without it
                queueFault(e);
                idle = false;
                faulted = true;
            }
            if (!queueBroken) {
                seenOverflow = unit.events().overflowCount();
            }
        }
    }

    /**
     * One round: wait for work (not when a sweep is due), then serve. With few clients the poller
     * watches their rings directly (a request is seen as soon as its write pointer lands, before its
     * event is even posted) and drains the events after serving, only to keep the queue empty; with
     * many, it serves the connections whose events arrived. After an overflow, and every 100 ms, it
     * sweeps every connection (checks that its client is alive).
     *
     * @return whether there was work (false: the wait timed out)
     */
    private boolean pollOnce(final long[] ready, final boolean sweepDue, final long seenOverflow) {
        final ServedClient[] all = server.clients;
        if (queueBroken) {
            return pollWithoutQueue(all, sweepDue);
        }
        if (backlog) {
            // a client had more than SERVE_ROUNDS polls of requests last round: its ring may post no event
            // again, so every client is served once more before the poller waits
            backlog = false;
            for (final ServedClient c : all) {
                serve(c, sweepDue);
            }
            drainEvents(ready);
            return true;
        }
        final boolean direct = all.length <= RpcServer.DIRECT_POLL_LIMIT;
        final boolean work;
        if (direct) {
            if (sweepDue) {
                // serve (and check) every client before looking for work: a client whose ring was cut
                // from outside is dropped here, where the look for work would only fault on it again
                for (final ServedClient c : all) {
                    serve(c, true);
                }
                drainEvents(ready);
                return anyWork();
            }
            work = ctx.strategy.await(anyWork, unit.events(), SWEEP_NANOS);
            // serve first: the events only keep the queue from filling, so they are drained after
            final boolean sweep = unit.events().overflowCount() != seenOverflow;
            for (final ServedClient c : all) {
                serve(c, sweep);
            }
            drainEvents(ready);
            return work;
        }
        work = sweepDue ? unit.events().hasEvent()
            : unit.events().await(ctx.strategy, SWEEP_NANOS, TimeUnit.NANOSECONDS);
        drainEvents(ready);
        final boolean sweep = sweepDue || unit.events().overflowCount() != seenOverflow;
        if (sweep || readyCount > ready.length) {
            for (final ServedClient c : all) {
                serve(c, sweep);
            }
            return work;
        }
        for (int i = 0; i < readyCount; i++) {
            final ServedClient c = find(ready[i], all);
            if (c != null) {
                serve(c, false);
            }
        }
        return work;
    }

    /** Marks the event queue unusable if {@code e} is its fault (or any fault of a cut region). */
    private void queueFault(final Throwable e) {
        final org.softclan.dsm.RegionTruncatedException t = e instanceof org.softclan.dsm.RegionTruncatedException r ? r
            : e instanceof InternalError ie ? org.softclan.dsm.RegionFaults.explain(ie) : null;
        if (t != null && !unit.events().isIntact()) {
            queueBroken = true;
        }
    }

    private boolean pollWithoutQueue(final ServedClient[] all, final boolean sweepDue) {
        boolean work = false;
        for (final ServedClient c : all) {
            work |= c.connection.hasMessage();
        }
        for (final ServedClient c : all) {
            serve(c, sweepDue);
        }
        if (!work) {
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(200));
        }
        return work;
    }

    /** Polls every event queued; the connection ids they carry go into {@code ready} ({@link #readyCount} of them). */
    private void drainEvents(final long[] ready) {
        readyCount = 0;
        readyIds = ready;
        unit.events().poll(collect, Integer.MAX_VALUE);
    }

    private boolean anyWork() {
        if (!server.running || unit.events().hasEvent()) {
            return true;
        }
        for (final ServedClient c : server.clients) {
            // a client whose responses wait for room is served at the sweeps, not woken for by its requests
            if (c.unsentSince == 0 && c.connection.hasMessage()) {
                return true;
            }
        }
        return false;
    }

    private void collect(final long seq, final long id, final long cookie, final int region, final long off,
                         final long len, final long value) {
        if (readyCount < readyIds.length) {
            readyIds[readyCount] = cookie;
        }
        readyCount++;
    }

    private static ServedClient find(final long id, final ServedClient[] all) {
        for (final ServedClient c : all) {
            if (c.connection.id() == id) {
                return c;
            }
        }
        return null;
    }

    private void serve(final ServedClient c, final boolean checkPeer) {
        try {
            final boolean sent;
            if (workers == null) {
                sent = c.flush();
            } else {
                synchronized (c) {
                    sent = c.flush();
                }
            }
            if (!sent) {
                // its ring is still full of responses: read none of its requests until it makes room
                if (System.nanoTime() - c.unsentSince > TimeUnit.MILLISECONDS.toNanos(ctx.responseTimeoutMillis)) {
                    throw new PeerProtocolException("service '" + service + "', " + c.connection + ": the client"
                        + " has read none of its responses for " + ctx.responseTimeoutMillis + " ms; dropped");
                }
                if (checkPeer) {
                    c.connection.checkPeer();
                }
                return;
            }
            // what is there, up to SERVE_ROUNDS polls: a client that keeps its ring full (a hostile one, or
            // one faster than its handlers) must not hold the poller from the others, nor from stop()
            // the responses of handlers run here are published once per poll, a batch: one tripwire at the client
            int round = 0;
            try {
                while (server.running && c.connection.poll(c.handler, POLL_BATCH) > 0) {
                    if (workers == null) {
                        c.connection.flush();
                    }
                    if (++round == SERVE_ROUNDS) {
                        backlog = true;   // served again in the next round, before any wait for events
                        break;
                    }
                }
            } finally {
                if (workers == null) {
                    c.connection.flush();   // also what a handler that threw left batched
                }
            }
            if (checkPeer) {
                c.connection.checkPeer();
            }
        } catch (final PeerGoneException gone) {
            server.drop(c);
        } catch (final RuntimeException | InternalError e) {
            // a broken request, a failed handler hand-off, or a fault reading a region cut short from
            // outside: drop the client rather than the server
            server.drop(c);
        }
    }
}
