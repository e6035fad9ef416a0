package org.softclan.vmmc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.testing.JvmProcess;

/**
 * Two clients, each in a PID namespace of its own (as in two containers sharing {@code /dev/shm}),
 * connect to one server. Both JVMs have the same pid in their namespaces; the library's internal
 * regions (a connection's receive ring, the endpoint's event queue) used to be named after the pid, so
 * the second client's connect failed with {@code RegionExistsException} for {@code cx-1-1} while the
 * first one ran (seen in {@code vmmc soak} once workers ran in namespaces of their own). Names now come
 * from the endpoint's liveness id.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class PidNamespaceConnectionsTest {
    private static final List<String> UNSHARE = List.of("unshare", "--pid", "--fork", "--mount-proc", "--kill-child");

    private Fabric fabric;
    private Endpoint server;

    @BeforeEach
    void setUp() {
        fabric = Fabric.createTemporary();
        server = fabric.openEndpoint("server");
    }

    @AfterEach
    void tearDown() {
        fabric.close();
    }

    @Test
    void clientsWithTheSamePidInTheirOwnNamespacesConnectAndSend() throws Exception {
        assumeUnshareWorks();
        final int count = 2_000;
        try (Listener listener = Vmmc.listen(server, "svc", new ConnectionContext());
             JvmProcess first = JvmProcess.startWrapped(UNSHARE, MqSenderMain.class, List.of("-Xmx128m"),
                 fabric.root().toString(), "svc", Integer.toString(count), "1");
             JvmProcess second = JvmProcess.startWrapped(UNSHARE, MqSenderMain.class, List.of("-Xmx128m"),
                 fabric.root().toString(), "svc", Integer.toString(count), "2")) {
            final List<Connection> accepted = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                final Connection c = listener.accept(30, TimeUnit.SECONDS);
                assertNotNull(c, "client " + (i + 1) + " of 2 did not connect; first: " + first.transcript()
                    + " second: " + second.transcript());
                accepted.add(c);
            }
            first.expectLine("sent " + count, 30, TimeUnit.SECONDS);
            second.expectLine("sent " + count, 30, TimeUnit.SECONDS);
            for (final Connection c : accepted) {
                int received = 0;
                while (received < count) {
                    final int n = c.receive((b, o, l) -> { }, 1024, 10, TimeUnit.SECONDS);
                    assertNotEquals(0, n, "no message for 10 s after " + received + " of " + count);
                    received += n;
                }
                assertEquals(count, received);
            }
            first.send("exit");
            second.send("exit");
            for (final Connection c : accepted) {
                c.close();
            }
        }
    }

    private static void assumeUnshareWorks() throws IOException, InterruptedException {
        final Process p = new ProcessBuilder("unshare", "--pid", "--fork", "--mount-proc", "true")
            .redirectErrorStream(true).start();
        Assumptions.assumeTrue(p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0,
            "unshare --pid needs root (CI runs as root)");
    }
}
