package org.softclan.vmmc.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.RegionInfo;
import org.softclan.dsm.testing.TestThreads;

/**
 * An RPC server one of whose clients' receive regions (the ring the client writes its requests into,
 * in the server's memory) is cut from outside: the server drops that client within a bound, with or
 * without workers, and goes on serving the other one. Before the fix, the poller's look for work
 * faulted on the cut ring ahead of serving it, round after round, and never dropped the client.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RpcServerCutRingTest {
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
    @ValueSource(ints = {0, 2})   // workers
    void aClientWhoseRingWasCutIsDroppedAndTheOtherStaysServed(final int workers) throws Exception {
        final RpcServer server = RpcServer.create(serverEp, "cut", new RpcServer.Context().workers(workers))
            .handle(RpcTest.ECHO, s -> s).start();
        try {
            calls(server);
        } finally {
            final Thread closer = new Thread(server::close);
            closer.start();
            closer.join(15_000);
            assertFalse(closer.isAlive(), "server close took over 15 s");
        }
    }

    private void calls(final RpcServer server) throws Exception {
        try (RpcClient victim = RpcClient.connect(clientEp, "cut", new RpcClient.Context(), 5, TimeUnit.SECONDS)) {
            for (int i = 0; i < 100; i++) {
                assertEquals("x", victim.call(RpcTest.ECHO, "x", 5, TimeUnit.SECONDS));
            }
            final List<RegionInfo> before = serverRings();
            try (RpcClient other = RpcClient.connect(clientEp, "cut", new RpcClient.Context(), 5, TimeUnit.SECONDS)) {
                assertEquals("y", other.call(RpcTest.ECHO, "y", 5, TimeUnit.SECONDS));
                assertTrue(TestThreads.awaitTrue(() -> server.clients() == 2, 10, TimeUnit.SECONDS));
                assertEquals(1, before.size(), "the victim's ring, found before the second client came: " + before);
                try (RandomAccessFile f = new RandomAccessFile(before.get(0).file().toFile(), "rw")) {
                    f.setLength(4096);   // the header only: the ring's pointers and records are gone
                }
                assertTrue(TestThreads.awaitTrue(() -> server.clients() == 1, 10, TimeUnit.SECONDS),
                    "the server did not drop the client whose ring was cut within 10 s (clients: " + server.clients() + ")");
                for (int i = 0; i < 100; i++) {
                    assertEquals("y" + i, other.call(RpcTest.ECHO, "y" + i, 5, TimeUnit.SECONDS));
                }
            }
        }
    }

    /** The receive regions the server exported for its clients' connections. */
    private List<RegionInfo> serverRings() {
        return fabric.regions(true).stream()
            .filter(r -> r.name().startsWith("sx-") && r.owner().endpoint().equals("server")).toList();
    }
}
