package org.softclan.vmmc;

import java.util.concurrent.TimeUnit;

import org.softclan.dsm.Endpoint;
import org.softclan.dsm.InboundMapping;
import org.softclan.dsm.NoSuchRegionException;
import org.softclan.dsm.OutboundMapping;
import org.softclan.dsm.RegionExistsException;
import org.softclan.tripwire.Tripwire;
import org.softclan.tripwire.TripwireUnit;

/**
 * Entry points of the communication layer: listen on a name, connect to a name.
 */
public final class Vmmc {
    private Vmmc() {
    }

    /**
     * Listens for connections on {@code service}: exports the service's listen region
     * ({@code <service>.listen}) and arms a tripwire over its request slots. Closing the endpoint closes
     * the listener first.
     *
     * @param endpoint the server's endpoint, which exports the listen region
     * @param service  the name clients connect to: {@code service + ".listen"} must be a valid region name
     *                 (so 1 to 93 of {@code A-Z a-z 0-9 . _ -}, starting with a letter or digit)
     * @param ctx      settings for the server ends of accepted connections
     * @return the listener; {@link Listener#accept} takes the requests
     * @throws RegionExistsException                   if a live server already listens on that name
     * @throws IllegalArgumentException                if {@code service} makes an invalid region name
     * @throws org.softclan.dsm.ResourceLimitException if this process is near its limit of memory mappings
     *                                                 or open files
     * @throws org.softclan.dsm.ClosedException        if the endpoint is closed
     */
    public static Listener listen(final Endpoint endpoint, final String service, final ConnectionContext ctx) {
        return new Listener(endpoint, service, ctx);
    }

    /**
     * Connects to the server listening on {@code service}: claims a request slot in its listen region,
     * offers this end's receive region, and waits for the server to accept.
     *
     * @param endpoint the client's endpoint, which exports this end's receive region
     * @param service  the server's name, as given to {@link #listen}
     * @param ctx      settings of this end (ring capacity, signalling mode, wait strategy, unit)
     * @param timeout  the longest wait for a free request slot and then for the server's answer, in
     *                 {@code unit}s; a server that took the request within it gets up to 10 s more to answer
     * @param unit     the unit of {@code timeout}
     * @return the client end of the new connection
     * @throws ConnectException      if nobody listens on the name, every request slot stays busy, the
     *                               server refuses, fails to make the connection, goes away, or does not
     *                               accept in time (a receive region this end exported is removed again)
     * @throws IllegalStateException if the endpoint has no liveness id (it cannot claim a request slot)
     * @throws org.softclan.dsm.DsmException other failures of the fabric: the endpoint is closed
     *                               ({@link org.softclan.dsm.ClosedException}), this process is near its
     *                               limit of memory mappings ({@link org.softclan.dsm.ResourceLimitException}),
     *                               or the server's region is gone by the time this end imports it
     */
    public static Connection connect(final Endpoint endpoint, final String service, final ConnectionContext ctx,
                                     final long timeout, final TimeUnit unit) {
        final long deadline = System.nanoTime() + unit.toNanos(timeout);
        final OutboundMapping listen;
        try {
            listen = endpoint.importRegion(Rendezvous.listenRegion(service));
        } catch (final NoSuchRegionException e) {
            throw new ConnectException("no server listens on '" + service + "' in fabric " + endpoint.fabric().root()
                + " (" + e.getMessage() + ")");
        }
        final long key = Rendezvous.newKey();
        InboundMapping rx = null;
        TripwireUnit connUnit = null;
        try {
            rx = Rendezvous.exportReceiveRegion(endpoint, "cx", key, ctx.ringCapacity);
            connUnit = ctx.ownUnit(endpoint);
            final long me = endpoint.owner().livenessId();
            if (me == 0) {
                throw new IllegalStateException(endpoint + " has no liveness id: it cannot claim a request slot");
            }
            final String serverHost = Rendezvous.hostOf(service);
            final String myHost = serverHost == null ? "" : endpoint.fabric().hostName();
            if (myHost == null) {
                throw new ConnectException("'" + service + "' is a service of host '" + serverHost + "', but no NIC agent"
                    + " serves fabric " + endpoint.fabric().root() + " in this JVM");
            }
            final int slot = claim(listen, service, me, deadline);
            final long at = ListenRegionDescriptor.slotOffset(slot);
            listen.putLong(at + ListenRegionDescriptor.SLOT_CLIENT_PID_OFFSET, ProcessHandle.current().pid());
            listen.putLong(at + ListenRegionDescriptor.SLOT_CLIENT_KEY_OFFSET, key);
            Rendezvous.putName(listen, at + ListenRegionDescriptor.SLOT_CLIENT_NAME_OFFSET, rx.regionName());
            Rendezvous.putName(listen, at + ListenRegionDescriptor.SLOT_CLIENT_HOST_OFFSET, myHost);
            final Tripwire answer = connUnit.arm(rx, Tripwire.Options.word(ReceiveRegionDescriptor.ANSWER_OFFSET).actions(Tripwire.WAKE));
            final long state;
            try {
                listen.putLongVolatile(at + ListenRegionDescriptor.SLOT_STATE_OFFSET, ListenRegionDescriptor.REQUESTED);   // fires the server's tripwire
                state = awaitAnswer(listen, slot, me, rx, connUnit, ctx, deadline, service);
            } finally {
                answer.disarm();
            }
            if (state == ReceiveRegionDescriptor.ANSWER_REFUSED) {
                final int reason = rx.getInt(ReceiveRegionDescriptor.ANSWER_REASON_OFFSET);
                if (reason == ReceiveRegionDescriptor.REASON_SERVER_FAILED) {
                    throw new ConnectException("server on '" + service + "' failed to make the connection: "
                        + Rendezvous.getText(rx, ReceiveRegionDescriptor.ANSWER_TEXT_OFFSET));
                }
                throw new ConnectException("server on '" + service + "' refused the connection (reason " + reason + ")");
            }
            final String serverRegion = Rendezvous.getName(rx, ReceiveRegionDescriptor.ANSWER_NAME_OFFSET)
                + (serverHost == null ? "" : "@" + serverHost);
            final long serverKey = rx.getLong(ReceiveRegionDescriptor.ANSWER_KEY_OFFSET);
            final OutboundMapping tx = endpoint.importRegion(serverRegion, serverKey);
            return new Connection(Rendezvous.nextConnectionId(), service + "[" + rx.regionName() + " <- " + serverRegion
                + "]", connUnit, ctx.ownsUnit(), rx, tx, ctx.mode, ctx.strategy);
        } catch (final RuntimeException e) {
            if (rx != null) {
                rx.close();
            }
            if (connUnit != null && ctx.ownsUnit()) {
                connUnit.close();
            }
            throw e;
        } finally {
            listen.close();
        }
    }

    /**
     * Claims a free request slot: a compare-and-set of its claimant word from 0 to this endpoint's
     * liveness id (so a listener can tell when the claimant died), then its state to CLAIMED.
     */
    private static int claim(final OutboundMapping listen, final String service, final long me, final long deadline) {
        while (true) {
            for (int i = 0; i < ListenRegionDescriptor.SLOT_COUNT; i++) {
                final long at = ListenRegionDescriptor.slotOffset(i);
                if (listen.getLongAcquire(at + ListenRegionDescriptor.SLOT_CLAIMANT_OFFSET) == 0
                    && listen.getLongAcquire(at + ListenRegionDescriptor.SLOT_STATE_OFFSET) == ListenRegionDescriptor.FREE
                    && listen.compareAndSetLong(at + ListenRegionDescriptor.SLOT_CLAIMANT_OFFSET, 0, me)) {
                    listen.putLongVolatile(at + ListenRegionDescriptor.SLOT_STATE_OFFSET, ListenRegionDescriptor.CLAIMED);
                    return i;
                }
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new ConnectException("server on '" + service + "': all " + ListenRegionDescriptor.SLOT_COUNT
                    + " request slots stayed busy until the timeout (claimed by live clients, or the server is not"
                    + " accepting: it frees the slots of dead clients, and garbage, while it accepts)");
            }
            Thread.yield();
        }
    }

    private static long awaitAnswer(final OutboundMapping listen, final int slot, final long claimant,
                                    final InboundMapping rx,
                                    final TripwireUnit unit, final ConnectionContext ctx, final long deadline,
                                    final String service) {
        while (true) {
            final long state = rx.getLongAcquire(ReceiveRegionDescriptor.ANSWER_OFFSET);
            if (state == ReceiveRegionDescriptor.ANSWER_ACCEPTED || state == ReceiveRegionDescriptor.ANSWER_REFUSED) {
                return state;
            }
            final long left = deadline - System.nanoTime();
            if (left <= 0) {
                if (listen.compareAndSetLong(ListenRegionDescriptor.slotOffset(slot) + ListenRegionDescriptor.SLOT_STATE_OFFSET, ListenRegionDescriptor.REQUESTED,
                    ListenRegionDescriptor.FREE)) {
                    listen.compareAndSetLong(ListenRegionDescriptor.slotOffset(slot) + ListenRegionDescriptor.SLOT_CLAIMANT_OFFSET, claimant, 0);
                    throw new ConnectException("server on '" + service + "' did not accept within the timeout");
                }
                if (deadline - System.nanoTime() < -TimeUnit.SECONDS.toNanos(10)) {
                    throw new ConnectException("server on '" + service + "' took the request but never answered");
                }
            } else if (!listen.isValid() || !listen.ownerAlive()) {
                throw new ConnectException("server on '" + service + "' went away while connecting");
            }
            ctx.strategy.await(() -> {
                final long s = rx.getLongAcquire(ReceiveRegionDescriptor.ANSWER_OFFSET);
                return s == ReceiveRegionDescriptor.ANSWER_ACCEPTED || s == ReceiveRegionDescriptor.ANSWER_REFUSED;
            }, unit.events(), Math.max(1, Math.min(left, TimeUnit.MILLISECONDS.toNanos(Connection.LIVENESS_SLICE_MS))));
        }
    }
}
