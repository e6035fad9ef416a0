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
     * Listens for connections on {@code service}.
     *
     * @param ctx settings for the server ends of accepted connections
     * @throws RegionExistsException if a live server already listens on that name
     */
    public static Listener listen(final Endpoint endpoint, final String service, final ConnectionContext ctx) {
        return new Listener(endpoint, service, ctx);
    }

    /**
     * Connects to the server listening on {@code service}: claims a request slot in its listen region,
     * offers this end's receive region, and waits for the server to accept.
     *
     * @throws ConnectException if nobody listens on the name, the server refuses, or does not accept in time
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
            final int slot = claim(listen, service, me, deadline);
            final long at = ListenRegionDescriptor.slotOffset(slot);
            listen.putLong(at + ListenRegionDescriptor.SLOT_CLIENT_PID_OFFSET, ProcessHandle.current().pid());
            listen.putLong(at + ListenRegionDescriptor.SLOT_CLIENT_KEY_OFFSET, key);
            Rendezvous.putName(listen, at + ListenRegionDescriptor.SLOT_CLIENT_NAME_OFFSET, rx.regionName());
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
            final String serverRegion = Rendezvous.getName(rx, ReceiveRegionDescriptor.ANSWER_NAME_OFFSET);
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
                if (listen.getLongVolatile(at + ListenRegionDescriptor.SLOT_CLAIMANT_OFFSET) == 0
                    && listen.getLongVolatile(at + ListenRegionDescriptor.SLOT_STATE_OFFSET) == ListenRegionDescriptor.FREE
                    && listen.compareAndSetLong(at + ListenRegionDescriptor.SLOT_CLAIMANT_OFFSET, 0, me)) {
                    listen.putLongVolatile(at + ListenRegionDescriptor.SLOT_STATE_OFFSET, ListenRegionDescriptor.CLAIMED);
                    return i;
                }
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new ConnectException("server on '" + service + "': all " + ListenRegionDescriptor.SLOT_COUNT
                    + " request slots stayed busy until the timeout (claimed by live clients; the server frees"
                    + " the slots of dead ones while it accepts)");
            }
            Thread.yield();
        }
    }

    private static long awaitAnswer(final OutboundMapping listen, final int slot, final long claimant,
                                    final InboundMapping rx,
                                    final TripwireUnit unit, final ConnectionContext ctx, final long deadline,
                                    final String service) {
        while (true) {
            final long state = rx.getLongVolatile(ReceiveRegionDescriptor.ANSWER_OFFSET);
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
                final long s = rx.getLongVolatile(ReceiveRegionDescriptor.ANSWER_OFFSET);
                return s == ReceiveRegionDescriptor.ANSWER_ACCEPTED || s == ReceiveRegionDescriptor.ANSWER_REFUSED;
            }, unit.events(), Math.max(1, Math.min(left, TimeUnit.MILLISECONDS.toNanos(Connection.LIVENESS_SLICE_MS))));
        }
    }
}
