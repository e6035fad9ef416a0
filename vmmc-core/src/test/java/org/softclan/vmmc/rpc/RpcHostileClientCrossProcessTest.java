package org.softclan.vmmc.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.testing.JvmProcess;
import org.softclan.vmmc.HostilePeerMain;

/**
 * A hostile RPC client (a JVM of its own) writes garbage into the server's receive ring: before, a
 * record header claiming 0x7ffffff0 bytes crashed the server (SIGSEGV in dispatch) and every client
 * lost it. Now the server drops the hostile connection and goes on answering a well-behaved client,
 * with and without worker threads.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RpcHostileClientCrossProcessTest {
    private Fabric fabric;
    private Endpoint clientEp;

    @BeforeEach
    void setUp() {
        fabric = Fabric.createTemporary();
        clientEp = fabric.openEndpoint("client");
    }

    @AfterEach
    void tearDown() {
        fabric.close();
    }

    @ParameterizedTest
    @CsvSource({"huge-length,0", "huge-length,2", "negative-length,0", "short-frame,0", "short-frame,2", "far-pointer,0",
        "random,0", "random,2"})
    void theServerDropsAClientThatWritesGarbageAndKeepsServingTheOthers(final String mode, final int workers)
        throws Exception {
        try (RpcServer server = RpcServer.create(fabric.openEndpoint("server"), "kv",
                 new RpcServer.Context().workers(workers)).handle(RpcTest.ECHO, s -> s).start();
             RpcClient good = RpcClient.connect(clientEp, "kv", new RpcClient.Context(), 10, TimeUnit.SECONDS)) {
            assertEquals("before", good.call(RpcTest.ECHO, "before", 5, TimeUnit.SECONDS));
            try (JvmProcess hostile = JvmProcess.start(HostilePeerMain.class, fabric.root().toString(), "kv", mode, "11")) {
                hostile.expectLine("written", 30, TimeUnit.SECONDS);
                // the server notices the garbage when it polls that connection, and drops it
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (server.clients() > 1 && System.nanoTime() < deadline) {
                    assertEquals("during", good.call(RpcTest.ECHO, "during", 5, TimeUnit.SECONDS));
                }
                if (!mode.equals("random")) {
                    assertEquals(1, server.clients(), "the hostile client was not dropped");
                }
                for (int i = 0; i < 1000; i++) {
                    assertEquals("after " + i, good.call(RpcTest.ECHO, "after " + i, 5, TimeUnit.SECONDS));
                }
                hostile.send("bye");
                hostile.waitFor(30, TimeUnit.SECONDS);
            }
            assertTrue(server.clients() >= 1);
            assertEquals("last", good.call(RpcTest.ECHO, "last", 5, TimeUnit.SECONDS));
        }
    }
}
