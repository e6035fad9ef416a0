package org.softclan.vmmc;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.softclan.dsm.testing.Messages.assertMentions;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.OutboundMapping;

/**
 * A client (alive, so no liveness sweep frees its slots) fills every request slot of a listener with a
 * request naming a receive region that cannot exist: each accept fails with a protocol error naming the
 * name, frees the slot, and a well-behaved client connects afterwards.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ListenerRequestValidationTest {
    private Fabric fabric;

    @BeforeEach
    void setUp() {
        fabric = Fabric.createTemporary();
    }

    @AfterEach
    void tearDown() {
        fabric.close();
    }

    @Test
    void requestsNamingAnImpossibleRegionCostOnlyThemselves() throws Exception {
        final Endpoint server = fabric.openEndpoint("server");
        final Endpoint hostile = fabric.openEndpoint("hostile");
        final ConnectionContext ctx = new ConnectionContext();
        try (Listener listener = Vmmc.listen(server, "svc", ctx);
             OutboundMapping listen = hostile.importRegion(Rendezvous.listenRegion("svc"))) {
            final long me = hostile.owner().livenessId();
            for (int i = 0; i < ListenRegionDescriptor.SLOT_COUNT; i++) {
                final long at = ListenRegionDescriptor.slotOffset(i);
                listen.putLongVolatile(at + ListenRegionDescriptor.SLOT_CLAIMANT_OFFSET, me);
                listen.putLongVolatile(at + ListenRegionDescriptor.SLOT_STATE_OFFSET, ListenRegionDescriptor.CLAIMED);
                listen.putLong(at + ListenRegionDescriptor.SLOT_CLIENT_KEY_OFFSET, 1);
                Rendezvous.putName(listen, at + ListenRegionDescriptor.SLOT_CLIENT_NAME_OFFSET, "../not a region " + i);
                listen.putLongVolatile(at + ListenRegionDescriptor.SLOT_STATE_OFFSET, ListenRegionDescriptor.REQUESTED);
            }
            for (int i = 0; i < ListenRegionDescriptor.SLOT_COUNT; i++) {
                final PeerProtocolException e = assertThrows(PeerProtocolException.class,
                    () -> listener.accept(5, TimeUnit.SECONDS));
                assertMentions(e, "svc", "not a region");
            }
            final Endpoint client = fabric.openEndpoint("client");
            final java.util.concurrent.CompletableFuture<Connection> c = java.util.concurrent.CompletableFuture
                .supplyAsync(() -> Vmmc.connect(client, "svc", ctx, 10, TimeUnit.SECONDS),
                    org.softclan.dsm.testing.TestThreads.THREADS);
            assertNotNull(listener.accept(10, TimeUnit.SECONDS), "the good client's request never came");
            assertNotNull(c.get(10, TimeUnit.SECONDS));
        }
    }
}
