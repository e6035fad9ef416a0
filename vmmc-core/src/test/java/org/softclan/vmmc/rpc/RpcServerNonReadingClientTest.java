package org.softclan.vmmc.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;

import net.openhft.chronicle.bytes.Bytes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.testing.TestThreads;
import org.softclan.vmmc.Connection;
import org.softclan.vmmc.ConnectionContext;
import org.softclan.vmmc.Vmmc;

/**
 * A client that sends requests and never reads the responses: its ring fills, and the server must not
 * wait on it. Before, the poller (or every worker) waited up to 10 s per response for room in that ring,
 * and every other client timed out meanwhile. Now the responses wait in the server's memory, that client's
 * requests are not read, the others are served, and the client is dropped after the response timeout.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RpcServerNonReadingClientTest {
    private Fabric fabric;

    @BeforeEach
    void setUp() {
        fabric = Fabric.createTemporary();
    }

    @AfterEach
    void tearDown() {
        fabric.close();
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 2})
    void aClientThatNeverReadsItsResponsesCostsOnlyItsOwnConnection(final int workers) throws Exception {
        final RpcServer.Context ctx = new RpcServer.Context().workers(workers);
        ctx.responseTimeoutMillis = 3_000;
        try (RpcServer server = RpcServer.create(fabric.openEndpoint("server"), "svc", ctx)
                 .handle(RpcTest.ECHO, s -> s).start();
             RpcClient good = RpcClient.connect(fabric.openEndpoint("good"), "svc", new RpcClient.Context(), 5,
                 TimeUnit.SECONDS);
             Connection bad = Vmmc.connect(fabric.openEndpoint("bad"), "svc", new ConnectionContext().ringCapacity(4096), 5,
                 TimeUnit.SECONDS)) {
            assertEquals("a", good.call(RpcTest.ECHO, "a", 5, TimeUnit.SECONDS));
            final Bytes<?> frame = Bytes.allocateElasticOnHeap(2048);
            final String big = "x".repeat(1500);
            for (int i = 0; i < 8; i++) {   // eight 1.5 KB responses into a 4 KiB ring nobody reads
                frame.clear();
                RpcFrameDescriptor.writeRequestHeader(frame, i, RpcTest.ECHO.id());
                Codecs.STRING.encode(big, frame);
                bad.send(frame.toByteArray(), 5, TimeUnit.SECONDS);
            }
            // the well-behaved client is answered, again and again, while the other's ring is full (before,
            // these calls timed out: the server waited for room in the other's ring for the response timeout)
            for (int i = 0; i < 20; i++) {
                assertEquals("b" + i, good.call(RpcTest.ECHO, "b" + i, 2, TimeUnit.SECONDS));
            }
            assertTrue(TestThreads.awaitTrue(() -> server.clients() == 1, 20, TimeUnit.SECONDS),
                "the client that never reads was not dropped after the response timeout");
            assertEquals("c", good.call(RpcTest.ECHO, "c", 5, TimeUnit.SECONDS));
        }
    }
}
