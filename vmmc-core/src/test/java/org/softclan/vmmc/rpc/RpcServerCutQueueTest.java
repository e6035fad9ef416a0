package org.softclan.vmmc.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.provider.ValueSource;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.RegionInfo;

/**
 * An RPC server whose own event queue (its unit's, or its listener's) or listen region is cut from outside
 * while a client calls: the client's calls fail as the server being gone or go on, and the server notices
 * the client leave and closes, each within a bound, with or without workers; it never spins.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RpcServerCutQueueTest {
    private Fabric fabric;
    private Endpoint serverEp;
    private Endpoint clientEp;

    @BeforeEach
    void setUp() {
        fabric = Fabric.createTemporary();
        serverEp = fabric.openEndpoint("server");
        clientEp = fabric.openEndpoint("client");
    }

    @AfterEach
    void tearDown() {
        fabric.close();
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4})   // the first or second queue of the server's endpoint; 3, 4: with workers
    void aServerWhoseEventQueueWasCutNoticesItsClientLeaveAndCloses(final int which) throws Exception {
        final RpcServer server = RpcServer.create(serverEp, "cut", new RpcServer.Context().workers(which > 2 ? 2 : 0))
            .handle(RpcTest.ECHO, s -> s).start();
        final RpcClient client = RpcClient.connect(clientEp, "cut", new RpcClient.Context(), 5, TimeUnit.SECONDS);
        for (int i = 0; i < 1000; i++) {
            assertEquals("x", client.call(RpcTest.ECHO, "x", 5, TimeUnit.SECONDS));
        }
        final RegionInfo q = fabric.regions(true).stream()
            .filter(r -> r.name().startsWith("evq-") && r.name().endsWith("-" + (which > 2 ? which - 2 : which))
                && r.owner().endpoint().equals("server")).findFirst().orElseThrow();
        try (RandomAccessFile f = new RandomAccessFile(q.file().toFile(), "rw")) {
            f.setLength(4096);
        }
        for (int i = 0; i < 100; i++) {
            try {
                client.call(RpcTest.ECHO, "x", 1, TimeUnit.SECONDS);
            } catch (final RpcException e) {
                assertTrue(e.getMessage().contains("gone"), e.getMessage());
                break;
            }
        }
        client.close();
        assertTrue(org.softclan.dsm.testing.TestThreads.awaitTrue(() -> server.clients() == 0, 10, TimeUnit.SECONDS),
            "the server did not notice its client leave within 10 s");
        final Thread closer = new Thread(server::close);
        closer.start();
        closer.join(10_000);
        assertTrue(!closer.isAlive(), "server close took over 10 s");
    }

    private static Thread thread(final String name) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals(name)).findFirst()
            .orElseThrow(() -> new AssertionError("no thread " + name));
    }

    /**
     * The server's listen region, or its listener's event queue, cut from outside: it stops accepting (the
     * accept thread ends; before, it failed and retried at once, a core's worth of CPU for good), says why,
     * and goes on serving the client it has.
     */
    @ParameterizedTest
    @ValueSource(strings = {"listen", "queue"})
    void aServerWhoseListenRegionWasCutStopsAcceptingWithoutSpinningAndServesItsClient(final String cut)
        throws Exception {
        try (RpcServer server = RpcServer.create(serverEp, "cut-" + cut, new RpcServer.Context())
                 .handle(RpcTest.ECHO, s -> s).start();
             RpcClient client = RpcClient.connect(clientEp, "cut-" + cut, new RpcClient.Context(), 5, TimeUnit.SECONDS)) {
            assertEquals("x", client.call(RpcTest.ECHO, "x", 5, TimeUnit.SECONDS));
            final RegionInfo region = fabric.regions(true).stream()
                .filter(r -> r.owner().endpoint().equals("server") && (cut.equals("listen")
                    ? r.name().equals("cut-listen.listen") : r.name().startsWith("evq-") && r.name().endsWith("-2")))
                .findFirst().orElseThrow(() -> new AssertionError("no region to cut among " + fabric.regions(true)));
            try (RandomAccessFile f = new RandomAccessFile(region.file().toFile(), "rw")) {
                f.setLength(4096);
            }
            final Thread acceptor = thread("rpc-cut-" + cut + "-accept");
            acceptor.join(5_000);
            assertFalse(acceptor.isAlive(), "the accept thread still runs 5 s after its listen region was cut");
            assertNotNull(server.acceptFailure(), "the server says why it accepts no more clients");
            assertEquals("y", client.call(RpcTest.ECHO, "y", 5, TimeUnit.SECONDS), "the connected client is still served");
        }
    }
}
