package org.softclan.vmmc;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.softclan.dsm.DsmException;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.InboundMapping;
import org.softclan.dsm.OutboundMapping;
import org.softclan.tripwire.Tripwire;
import org.softclan.tripwire.TripwireUnit;
import org.softclan.tripwire.WaitStrategy;

/**
 * A server's listening point: a name in the fabric that clients connect to
 * ({@link Vmmc#connect}). Accepting a request creates a {@link Connection}; refusing one tells the
 * client why.
 *
 * <pre>{@code
 * try (Listener listener = Vmmc.listen(endpoint, "kv", new ConnectionContext())) {
 *     Connection c = listener.accept(10, TimeUnit.SECONDS);
 * }
 * }</pre>
 */
public final class Listener implements AutoCloseable {
    private final Endpoint endpoint;
    private final String service;
    private final InboundMapping region;
    private final TripwireUnit unit;
    private final Tripwire requests;
    private final ConnectionContext ctx;
    /** A claimed request slot whose live claimant stays the same this long is held by garbage, in ms. */
    static final long STALE_SLOT_MS = 10_000;
    /** Per slot (guarded by this): being accepted by this listener (it set the accepting state). */
    private final boolean[] acceptingHere = new boolean[ListenRegionDescriptor.SLOT_COUNT];
    /** Per slot (guarded by this): the busy state and claimant last seen, and since when (0: not busy). */
    private final long[] busyState = new long[ListenRegionDescriptor.SLOT_COUNT];
    private final long[] busyClaimant = new long[ListenRegionDescriptor.SLOT_COUNT];
    private final long[] busySince = new long[ListenRegionDescriptor.SLOT_COUNT];
    /** Threads inside {@link #accept} or {@link #refuse}: close unmaps only once they left. */
    private final AtomicInteger inside = new AtomicInteger();
    private volatile boolean closed;
    /** Opened when the first {@link #close()} has finished: a second, concurrent close waits for it. */
    private final java.util.concurrent.CountDownLatch closeDone = new java.util.concurrent.CountDownLatch(1);
    private final java.util.concurrent.atomic.AtomicBoolean released = new java.util.concurrent.atomic.AtomicBoolean();

    Listener(final Endpoint endpoint, final String service, final ConnectionContext ctx) {
        this.endpoint = endpoint;
        this.service = service;
        this.ctx = ctx;
        final InboundMapping r = endpoint.exportInternal(Rendezvous.listenRegion(service),
            ListenRegionDescriptor.REGION_LENGTH, 0, TripwireUnit.sidecarBytes(ListenRegionDescriptor.REGION_LENGTH, 16));
        TripwireUnit u = null;
        final Tripwire t;
        try {
            u = TripwireUnit.open(endpoint, new TripwireUnit.Context().queueCapacity(64));
            t = u.arm(r, Tripwire.Options.at(ListenRegionDescriptor.FIRST_SLOT_OFFSET,
                (long) ListenRegionDescriptor.SLOT_COUNT * ListenRegionDescriptor.SLOT_LENGTH).actions(Tripwire.WAKE));
        } catch (final RuntimeException | Error e) {
            // nothing half-made stays behind: the unit and the listen region (the service name is free again)
            if (u != null) {
                closeQuietly(u, e);
            }
            closeQuietly(r, e);
            throw e;
        }
        this.region = r;
        this.unit = u;
        this.requests = t;
        // held until released here: the endpoint's close, which gives this close a bounded wait and goes
        // on, ends access to them but leaves the memory mapped for a thread still inside accept
        final boolean regionHeld = r.retain();
        final boolean queueHeld = regionHeld && u.events().retain();
        try {
            if (!queueHeld) {
                throw new org.softclan.dsm.ClosedException("endpoint '" + endpoint.name() + "' closed while "
                    + this + " was being set up");
            }
            endpoint.closeFirst(this);
        } catch (final RuntimeException endpointClosed) {
            if (queueHeld) {
                u.events().release();
            }
            if (regionHeld) {
                r.release();
            }
            closeQuietly(u, endpointClosed);
            closeQuietly(r, endpointClosed);
            throw endpointClosed;
        }
    }

    /** {@return the service name clients connect to} */
    public String service() {
        return service;
    }

    private int pending() {
        for (int i = 0; i < ListenRegionDescriptor.SLOT_COUNT; i++) {
            if (Rendezvous.state(region, i) == ListenRegionDescriptor.REQUESTED) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Waits for a connection request and accepts it: imports the client's receive region, exports this
     * end's, and answers in the client's region. While waiting it frees, every
     * {@value Connection#LIVENESS_SLICE_MS} ms, the request slots of clients that died inside connect.
     *
     * @param timeout the longest wait for a request, in {@code unit}s; 0 or less takes only a request
     *                already waiting
     * @param unit    the unit of {@code timeout}
     * @return the server end of the new connection, or {@code null} if no request came within the timeout
     * @throws org.softclan.dsm.ClosedException if the listener is closed, before or while waiting
     * @throws org.softclan.dsm.RegionTruncatedException if the listen region or its event queue was cut
     *         from outside
     * @throws org.softclan.dsm.DsmException if the connection to the requesting client could not be made
     *         (the client went away, its receive region is not importable or breaks the protocol, or this
     *         process is near its limit of memory mappings): the client is told why and its slot is freed
     */
    public Connection accept(final long timeout, final TimeUnit unit) {
        enter();
        try {
            final int slot = await(timeout, unit);
            return slot < 0 ? null : accept(slot);
        } catch (final InternalError e) {
            throw cut(e);
        } finally {
            leave();
        }
    }

    /**
     * Waits for a connection request and refuses it, telling the client {@code reason}. A client that
     * went away meanwhile is not told; its slot is freed all the same.
     *
     * @param reason  the code the client's {@link ConnectException} reports; -1 is what a listener that
     *                failed to make a connection sends (the client then reports a server failure)
     * @param timeout the longest wait for a request, in {@code unit}s; 0 or less takes only a request
     *                already waiting
     * @param unit    the unit of {@code timeout}
     * @return whether there was one to refuse within the timeout
     * @throws org.softclan.dsm.ClosedException if the listener is closed, before or while waiting
     * @throws org.softclan.dsm.RegionTruncatedException if the listen region or its event queue was cut
     *         from outside
     */
    public boolean refuse(final int reason, final long timeout, final TimeUnit unit) {
        enter();
        try {
            return refuse0(reason, timeout, unit);
        } catch (final InternalError e) {
            throw cut(e);
        } finally {
            leave();
        }
    }

    /**
     * A fault the JVM reported late (an {@link InternalError}) on a region cut from outside, as the
     * {@link org.softclan.dsm.RegionTruncatedException} naming it; any other error is rethrown.
     */
    private static org.softclan.dsm.RegionTruncatedException cut(final InternalError e) {
        final org.softclan.dsm.RegionTruncatedException t = org.softclan.dsm.RegionFaults.explain(e);
        if (t == null) {
            throw e;
        }
        return t;
    }

    private void enter() {
        inside.incrementAndGet();
        if (closed) {
            leave();
            throw new org.softclan.dsm.ClosedException(this + " is closed");
        }
    }

    private void leave() {
        if (inside.decrementAndGet() == 0 && closed) {
            releaseIfIdle();
        }
    }

    private static void closeQuietly(final AutoCloseable c, final Throwable failure) {
        try {
            c.close();
        } catch (final Exception | Error e) {
            failure.addSuppressed(e);
        }
    }

    /** Disarms, removes the unit and the listen region, once closed and no thread is inside. */
    private void releaseIfIdle() {
        if (!closed || inside.get() != 0 || !released.compareAndSet(false, true)) {
            return;
        }
        try {
            if (region.isIntact()) {   // no atomic on a page cut from outside (a SIGBUS, not an exception)
                requests.disarm();
            }
        } catch (final RuntimeException | InternalError cut) {
            // the listen region's table is gone or cut: nothing to disarm
        }
        try {
            unit.close();
        } catch (final InternalError lateFault) {
            // a fault on a region cut from outside, reported late: the unit is closed as far as it got
        } finally {
            region.close();
            region.release();
            unit.events().release();
        }
    }

    private boolean refuse0(final int reason, final long timeout, final TimeUnit unit) {
        final int slot = await(timeout, unit);
        if (slot < 0) {
            return false;
        }
        final long at = ListenRegionDescriptor.slotOffset(slot);
        try (OutboundMapping client = endpoint.importRegion(clientRegion(at),
            region.getLong(at + ListenRegionDescriptor.SLOT_CLIENT_KEY_OFFSET))) {
            client.putInt(ReceiveRegionDescriptor.ANSWER_REASON_OFFSET, reason);
            client.putLongVolatile(ReceiveRegionDescriptor.ANSWER_OFFSET, ReceiveRegionDescriptor.ANSWER_REFUSED);
        } catch (final DsmException | IllegalArgumentException gone) {
            // the client went away meanwhile, or named no region it can be answered in
        } finally {
            free(at);
        }
        return true;
    }

    /**
     * {@return the client's receive region as this process imports it}: its name in the slot, with
     * {@code @HOST} when the slot names the client's host (a client of another host)
     */
    private String clientRegion(final long at) {
        final String host = Rendezvous.getName(region, at + ListenRegionDescriptor.SLOT_CLIENT_HOST_OFFSET);
        final String name = Rendezvous.getName(region, at + ListenRegionDescriptor.SLOT_CLIENT_NAME_OFFSET);
        // a name with '@' in it (the client's word) must not make this listener import a region of some other
        // host: with a trailing '@' it is no region name at all, and the import refuses it
        return host.isEmpty() ? (name.indexOf('@') < 0 ? name : name + "@") : name + "@" + host;
    }

    /**
     * {@return whether the claimant of the slot at {@code at} may be alive}: a client of this host by its
     * endpoint's liveness lock; a client of another host while its host is reachable (its liveness id means
     * nothing here)
     */
    private boolean claimantAlive(final long at, final long claimant) {
        final String host = Rendezvous.getName(region, at + ListenRegionDescriptor.SLOT_CLIENT_HOST_OFFSET);
        return host.isEmpty() ? endpoint.fabric().isAlive(claimant) : endpoint.fabric().isHostReachable(host);
    }

    /** Marks a requested slot as being accepted here (compare-and-set); the reclaimer leaves it alone. */
    private synchronized boolean takeRequest(final int slot) {
        if (region.compareAndSetLong(ListenRegionDescriptor.slotOffset(slot) + ListenRegionDescriptor.SLOT_STATE_OFFSET,
            ListenRegionDescriptor.REQUESTED, ListenRegionDescriptor.ACCEPTING)) {
            acceptingHere[slot] = true;
            return true;
        }
        return false;
    }

    /** Frees a slot: its state, then its claimant word (a client claims through the claimant word). */
    private void free(final long at) {
        region.putLongVolatile(at + ListenRegionDescriptor.SLOT_STATE_OFFSET, ListenRegionDescriptor.FREE);
        region.putLongVolatile(at + ListenRegionDescriptor.SLOT_CLAIMANT_OFFSET, 0);
        synchronized (this) {
            acceptingHere[(int) ((at - ListenRegionDescriptor.FIRST_SLOT_OFFSET) / ListenRegionDescriptor.SLOT_LENGTH)] = false;
        }
    }

    /**
     * Frees the request slots no client can be using: those whose claimant died before the request was
     * taken (killed inside connect), and those garbage holds, which a client cannot free and would
     * otherwise lock every client out for good: a state that is not a slot state, a busy state with no
     * claimant (a client claims the claimant word first), an accepting state this listener did not set,
     * and a claimed slot whose live claimant stays the same for {@value #STALE_SLOT_MS} ms (a client
     * writes its request within microseconds of claiming; a whole request is never freed for waiting to
     * be accepted). A liveness probe per busy slot: this
     * runs once per {@value Connection#LIVENESS_SLICE_MS} ms of waiting, not per request.
     *
     * @return the number of slots freed
     */
    synchronized int reclaimDeadClaims() {
        // a compare-and-set on a page cut from outside is a SIGBUS the JVM cannot turn into an error while
        // this cold code runs interpreted (JDK 17), and reads there give garbage that looks reclaimable: look
        // at the file first (one fstat per pass), then only at slots inside it
        region.checkIntact();
        final long now = System.nanoTime();
        int freed = 0;
        for (int i = 0; i < ListenRegionDescriptor.SLOT_COUNT; i++) {
            final long at = ListenRegionDescriptor.slotOffset(i);
            // the state first: a client stores its claimant (compare-and-set) before its state, so a busy
            // state read here is followed by a read of that claimant or a later one, never an older 0 (read
            // the other way round, a client claiming in between looked like a claim without a claimant,
            // and its request was freed under it)
            final long state = region.getLongAcquire(at + ListenRegionDescriptor.SLOT_STATE_OFFSET);
            final long claimant = region.getLongAcquire(at + ListenRegionDescriptor.SLOT_CLAIMANT_OFFSET);
            if (claimant == 0 && state == ListenRegionDescriptor.FREE || acceptingHere[i]) {
                busySince[i] = 0;
                continue;
            }
            final boolean garbage = state < ListenRegionDescriptor.FREE || state > ListenRegionDescriptor.ACCEPTING
                || state != ListenRegionDescriptor.FREE && claimant == 0 || state == ListenRegionDescriptor.ACCEPTING;
            if (!garbage && state == ListenRegionDescriptor.CLAIMED
                && (busySince[i] == 0 || busyState[i] != state || busyClaimant[i] != claimant)) {
                // first seen claimed: a client writing its request (one of another host takes round trips, and
                // names its host only after its claim), whatever its liveness looks like now; next pass decides
                busySince[i] = now;
                busyState[i] = state;
                busyClaimant[i] = claimant;
                continue;
            }
            if (!garbage && state == ListenRegionDescriptor.REQUESTED && claimantAlive(at, claimant)) {
                busySince[i] = 0;   // a whole request waits for this listener, however long it takes to accept
                continue;
            }
            if (!garbage && claimantAlive(at, claimant)) {
                if (busySince[i] == 0 || busyState[i] != state || busyClaimant[i] != claimant) {
                    busySince[i] = now;   // first seen like this: a client on its way, most likely
                    busyState[i] = state;
                    busyClaimant[i] = claimant;
                    continue;
                }
                if (now - busySince[i] < TimeUnit.MILLISECONDS.toNanos(STALE_SLOT_MS)) {
                    continue;
                }
            }
            // dead claimant, garbage or held: freed by compare-and-set, so a client's change meanwhile wins
            busySince[i] = 0;
            if (region.compareAndSetLong(at + ListenRegionDescriptor.SLOT_STATE_OFFSET, state, ListenRegionDescriptor.FREE)
                && region.compareAndSetLong(at + ListenRegionDescriptor.SLOT_CLAIMANT_OFFSET, claimant, 0)) {
                freed++;
            }
        }
        return freed;
    }

    private int await(final long timeout, final TimeUnit timeUnit) {
        final long deadline = System.nanoTime() + timeUnit.toNanos(timeout);
        long nextReclaim = System.nanoTime();
        while (true) {
            if (System.nanoTime() - nextReclaim >= 0) {
                reclaimDeadClaims();
                nextReclaim = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Connection.LIVENESS_SLICE_MS);
            }
            final int slot = pending();
            if (slot >= 0 && takeRequest(slot)) {
                return slot;
            }
            final long left = deadline - System.nanoTime();
            if (left <= 0) {
                return -1;
            }
            // requests are rare: wait without spinning, whatever the connections' strategy is
            WaitStrategy.block().await(() -> closed || pending() >= 0, unit.events(),
                Math.min(left, TimeUnit.MILLISECONDS.toNanos(Connection.LIVENESS_SLICE_MS)));
            if (closed) {
                throw new org.softclan.dsm.ClosedException(this + " was closed while waiting for a request");
            }
        }
    }

    private Connection accept(final int slot) {
        final long at = ListenRegionDescriptor.slotOffset(slot);
        final String clientRegion = clientRegion(at);
        final long clientKey = region.getLong(at + ListenRegionDescriptor.SLOT_CLIENT_KEY_OFFSET);
        OutboundMapping tx = null;
        InboundMapping rx = null;
        Connection c = null;
        try {
            try {
                tx = endpoint.importRegion(clientRegion, clientKey);
            } catch (final IllegalArgumentException badName) {
                // the name is the client's word, not this process's mistake: a protocol error of that client
                throw new PeerProtocolException("listener '" + service + "': request slot " + slot
                    + " names the client's receive region '" + clientRegion + "', which cannot be imported: "
                    + badName.getMessage());
            }
            final long key = Rendezvous.newKey();
            rx = Rendezvous.exportReceiveRegion(endpoint, "sx", key, ctx.ringCapacity);
            final TripwireUnit connUnit = ctx.ownUnit(endpoint);
            c = new Connection(Rendezvous.nextConnectionId(), service + "[" + rx.regionName() + " <- "
                + clientRegion + "]", connUnit, ctx.ownsUnit(), rx, tx, ctx.mode, ctx.strategy);
            // the answer goes into the client's own memory, where its tripwire waits for it
            tx.putLong(ReceiveRegionDescriptor.ANSWER_KEY_OFFSET, key);
            Rendezvous.putName(tx, ReceiveRegionDescriptor.ANSWER_NAME_OFFSET, rx.regionName());
            tx.putLongVolatile(ReceiveRegionDescriptor.ANSWER_OFFSET, ReceiveRegionDescriptor.ANSWER_ACCEPTED);
            free(at);
            return c;
        } catch (final RuntimeException e) {
            // whatever failed, the slot is freed and nothing made for this request is left behind
            if (tx != null && e instanceof DsmException d) {
                tellClientWhy(tx, d);   // the client learns at once why, instead of waiting for its timeout
            }
            try {
                if (c != null) {
                    c.close();   // its tripwires, its registration with the endpoint, both mappings
                } else {
                    if (tx != null) {
                        tx.close();
                    }
                    if (rx != null) {
                        rx.close();
                    }
                }
            } catch (final RuntimeException cleanup) {
                e.addSuppressed(cleanup);   // the slot is freed all the same, and the first failure reported
            }
            free(at);
            throw e;
        }
    }

    /** Refuses a client whose connection could not be made here, with the failure's text in its region. */
    private void tellClientWhy(final OutboundMapping client, final DsmException e) {
        try {
            Rendezvous.putText(client, ReceiveRegionDescriptor.ANSWER_TEXT_OFFSET, "server '" + service + "' could not accept: " + e.getMessage());
            client.putInt(ReceiveRegionDescriptor.ANSWER_REASON_OFFSET, ReceiveRegionDescriptor.REASON_SERVER_FAILED);
            client.putLongVolatile(ReceiveRegionDescriptor.ANSWER_OFFSET, ReceiveRegionDescriptor.ANSWER_REFUSED);
        } catch (final RuntimeException gone) {
            // the client went away or its region is unusable: it learns from its timeout
        }
    }

    /**
     * Stops listening: removes the listen region. Connections already made stay open. Threads waiting in
     * {@link #accept} or {@link #refuse} leave with {@link org.softclan.dsm.ClosedException}; the listen
     * region is unmapped once they left (close waits {@value Connection#CLOSE_WAIT_MS} ms at most for that; a
     * thread still inside then unmaps it as it leaves). Idempotent.
     */
    @Override
    public void close() {
        final boolean first;
        synchronized (this) {
            first = !closed;
            closed = true;   // volatile: every thread entering from now on sees it, or close sees that thread
        }
        if (!first) {
            awaitClosed();   // a concurrent close (a shutdown hook, the endpoint's close) finishes first
            return;
        }
        try {
            // wake the threads in accept or refuse (they leave with ClosedException), and unmap once they left
            // (close counts itself in while it rings: no thread leaving meanwhile unmaps the queue under it)
            inside.incrementAndGet();
            try {
                final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Connection.CLOSE_WAIT_MS);
                while (inside.get() > 1 && deadline - System.nanoTime() > 0) {
                    try {
                        unit.events().wakeAllWaiters();
                    } catch (final RuntimeException | InternalError cutOrClosed) {
                        // the queue was cut from outside or closed: its waiters leave by their own checks
                    }
                    java.util.concurrent.locks.LockSupport.parkNanos(100_000);
                }
            } finally {
                leave();
            }
            endpoint.forgetDependent(this);
        } finally {
            closeDone.countDown();
        }
    }

    /** Waits (boundedly) until the first {@link #close()} has released everything. */
    private void awaitClosed() {
        try {
            closeDone.await(2L * Connection.CLOSE_WAIT_MS, TimeUnit.MILLISECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "listener '" + service + "' of endpoint '" + endpoint.name() + "'";
    }
}
