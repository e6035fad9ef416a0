package org.softclan.vmmc.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.RandomAccessFile;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.RegionInfo;

/**
 * An RPC server whose listen region, or its listener's event queue, is cut from outside: it stops
 * accepting (the accept thread ends, it does not spin), says why, and goes on serving the client it has.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RpcServerCutListenTest {
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

    private static Thread thread(final String name) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals(name)).findFirst()
            .orElseThrow(() -> new AssertionError("no thread " + name));
    }

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
            // before, every accept failed at once and was retried at once, forever (a core's worth of CPU)
            final Thread acceptor = thread("rpc-cut-" + cut + "-accept");
            acceptor.join(5_000);
            assertFalse(acceptor.isAlive(), "the accept thread still runs 5 s after its listen region was cut");
            assertNotNull(server.acceptFailure(), "the server says why it accepts no more clients");
            assertEquals("y", client.call(RpcTest.ECHO, "y", 5, TimeUnit.SECONDS), "the connected client is still served");
        }
    }
}
