package org.softclan.vmmc;

import java.util.concurrent.TimeUnit;

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

    Listener(final Endpoint endpoint, final String service, final ConnectionContext ctx) {
        this.endpoint = endpoint;
        this.service = service;
        this.ctx = ctx;
        this.region = endpoint.export(Rendezvous.listenRegion(service), Rendezvous.REGION_BYTES, 0,
            TripwireUnit.sidecarBytes(Rendezvous.REGION_BYTES, 16));
        this.unit = TripwireUnit.open(endpoint, new TripwireUnit.Context().queueCapacity(64));
        this.requests = unit.arm(region, Tripwire.Options.at(Rendezvous.FIRST_SLOT,
            (long) Rendezvous.SLOTS * Rendezvous.SLOT_BYTES).actions(Tripwire.WAKE));
    }

    /** @return the service name clients connect to */
    public String service() {
        return service;
    }

    private int pending() {
        for (int i = 0; i < Rendezvous.SLOTS; i++) {
            if (Rendezvous.state(region, i) == Rendezvous.REQUESTED) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Waits for a connection request and accepts it.
     *
     * @return the connection, or {@code null} if no request came within the timeout
     */
    public Connection accept(final long timeout, final TimeUnit unit) {
        final int slot = await(timeout, unit);
        return slot < 0 ? null : accept(slot);
    }

    /**
     * Waits for a connection request and refuses it, telling the client {@code reason}.
     *
     * @return whether there was one to refuse within the timeout
     */
    public boolean refuse(final int reason, final long timeout, final TimeUnit unit) {
        final int slot = await(timeout, unit);
        if (slot < 0) {
            return false;
        }
        final long at = Rendezvous.slot(slot);
        try (OutboundMapping client = endpoint.importRegion(Rendezvous.getName(region, at + Rendezvous.S_CLIENT_NAME),
            region.getLong(at + Rendezvous.S_CLIENT_KEY))) {
            client.putInt(Connection.ANSWER_REASON, reason);
            client.putLongVolatile(Connection.ANSWER, Rendezvous.REFUSED);
        } catch (final DsmException gone) {
            // the client went away meanwhile
        } finally {
            region.putLongVolatile(at + Rendezvous.S_STATE, Rendezvous.FREE);
        }
        return true;
    }

    private int await(final long timeout, final TimeUnit timeUnit) {
        final long deadline = System.nanoTime() + timeUnit.toNanos(timeout);
        while (true) {
            final int slot = pending();
            if (slot >= 0 && region.compareAndSetLong(Rendezvous.slot(slot) + Rendezvous.S_STATE, Rendezvous.REQUESTED,
                Rendezvous.ACCEPTING)) {
                return slot;
            }
            final long left = deadline - System.nanoTime();
            if (left <= 0) {
                return -1;
            }
            // requests are rare: wait without spinning, whatever the connections' strategy is
            WaitStrategy.block().await(() -> pending() >= 0, unit.events(), left);
        }
    }

    private Connection accept(final int slot) {
        final long at = Rendezvous.slot(slot);
        final String clientRegion = Rendezvous.getName(region, at + Rendezvous.S_CLIENT_NAME);
        final long clientKey = region.getLong(at + Rendezvous.S_CLIENT_KEY);
        OutboundMapping tx = null;
        InboundMapping rx = null;
        try {
            tx = endpoint.importRegion(clientRegion, clientKey);
            final long key = Rendezvous.newKey();
            rx = Rendezvous.exportReceiveRegion(endpoint, "sx", key, ctx.ringCapacity);
            final TripwireUnit connUnit = ctx.ownUnit(endpoint);
            final Connection c = new Connection(Rendezvous.nextConnectionId(), service + "[" + rx.regionName() + " <- "
                + clientRegion + "]", connUnit, ctx.unit == null, rx, tx, ctx.mode, ctx.strategy);
            // the answer goes into the client's own memory, where its tripwire waits for it
            tx.putLong(Connection.ANSWER_KEY, key);
            Rendezvous.putName(tx, Connection.ANSWER_NAME, rx.regionName());
            tx.putLongVolatile(Connection.ANSWER, Rendezvous.ACCEPTED);
            region.putLongVolatile(at + Rendezvous.S_STATE, Rendezvous.FREE);
            return c;
        } catch (final DsmException e) {
            if (tx != null) {
                tx.close();
            }
            if (rx != null) {
                rx.close();
            }
            region.putLongVolatile(at + Rendezvous.S_STATE, Rendezvous.FREE);
            throw e;
        }
    }

    /** Stops listening: removes the listen region. Connections already made stay open. */
    @Override
    public void close() {
        requests.disarm();
        unit.close();
        region.close();
    }

    @Override
    public String toString() {
        return "listener '" + service + "' of endpoint '" + endpoint.name() + "'";
    }
}
