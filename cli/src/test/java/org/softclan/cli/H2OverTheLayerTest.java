package org.softclan.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.StringReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.h2.tools.Server;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.testing.JvmProcess;

/**
 * The H2 database's TCP server, unchanged from H2's jar, and a plain JDBC client ({@link SocketsDemoClient};
 * classic {@code java.net} sockets on both ends), in separate JVMs: the same query results over plain TCP and through the layer,
 * the layer's run going through shared memory (its counters), and a plain client reaching a server
 * that runs the layer.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class H2OverTheLayerTest {
    private Path dir;
    private Path fabric;
    private Path agent;
    private final List<JvmProcess> processes = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        dir = Files.createTempDirectory("softclan-sockets-h2");
        fabric = Files.createDirectory(dir.resolve("fabric"));
        agent = SocketsAgentJar.write(dir);
    }

    @AfterEach
    void tearDown() throws IOException {
        processes.forEach(JvmProcess::close);
        try (var walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private List<String> jvm(final boolean layer, final String report) {
        final List<String> a = new ArrayList<>(List.of("-Xmx256m", "-Dsoftclan.fabric=" + fabric));
        if (layer) {
            a.add("-javaagent:" + agent);
            a.add("-Dsoftclan.sockets.report=" + dir.resolve(report));
        }
        return a;
    }

    /** Runs the server and the client; returns the client's RESULT line. */
    private String run(final boolean serverLayer, final boolean clientLayer, final String tag) throws Exception {
        final int port = freePort();
        final JvmProcess server = JvmProcess.start(Server.class, jvm(serverLayer, tag + "-server"), "-tcp",
            "-tcpPort", Integer.toString(port), "-ifNotExists", "-baseDir", dir.resolve("db-" + tag).toString());
        processes.add(server);
        server.expectLine("TCP server running", 60, TimeUnit.SECONDS);
        final JvmProcess client = JvmProcess.start(SocketsDemoClient.class, jvm(clientLayer, tag + "-client"),
            "jdbc:h2:tcp://localhost:" + port + "/mem:softclan", "1000");
        processes.add(client);
        final String result = client.expectLine("RESULT ", 2, TimeUnit.MINUTES);
        System.out.println(tag + ": " + client.expectLine("LATENCY ", 2, TimeUnit.MINUTES));
        assertEquals(0, client.waitFor(60, TimeUnit.SECONDS), client.transcript());
        server.handle().destroy();   // H2's server runs until stopped: SIGTERM, so its shutdown hooks write the report
        server.waitFor(60, TimeUnit.SECONDS);
        return result;
    }

    private Properties report(final String name) throws IOException {
        final Properties p = new Properties();
        p.load(new StringReader(Files.readString(dir.resolve(name))));
        return p;
    }

    @Test
    void h2GivesTheSameResultsThroughTheLayerAsOverTcp() throws Exception {
        final String tcp = run(false, false, "tcp");
        final String layer = run(true, true, "layer");
        assertEquals(tcp, layer, "the same rows over TCP and through the layer");
        final Properties c = report("layer-client");
        assertEquals("1", c.getProperty("accelerated"), c.toString());
        assertTrue(Long.parseLong(c.getProperty("bytesSent")) > 100_000, c.toString());
        assertTrue(Long.parseLong(c.getProperty("bytesReceived")) > 100_000, c.toString());
        // H2's server also connects to itself over loopback (a check at start, a wake-up at stop): those
        // connections are accelerated too, so its counters are at least the client's
        final Properties s = report("layer-server");
        assertTrue(Long.parseLong(s.getProperty("accelerated")) >= 1, s.toString());
        assertTrue(Long.parseLong(s.getProperty("bytesReceived")) >= Long.parseLong(c.getProperty("bytesSent")), s.toString());
    }

    @Test
    void aPlainJdbcClientReachesAnH2ServerRunningTheLayer() throws Exception {
        final String tcp = run(false, false, "tcp");
        final String mixed = run(true, false, "mixed");
        assertEquals(tcp, mixed);
        final Properties s = report("mixed-server");
        assertTrue(Long.parseLong(s.getProperty("fallback.PEER_NOT_ACCELERATED")) >= 1, "the plain client's"
            + " connection is counted as a fallback: " + s);
    }

    @Test
    void theDemoRunsBothWaysAndSaysTheResultsMatchedAndTheSecondRunWasAccelerated() throws Exception {
        try (JvmProcess demo = JvmProcess.start(Vmmc.class, List.of("-Xmx256m"), "demo", "sockets", "--queries", "500")) {
            final int exit = demo.waitFor(3, TimeUnit.MINUTES);
            final String out = demo.transcript();
            assertEquals(0, exit, out);
            assertTrue(out.contains("query results identical; second run through shared memory"), out);
            assertTrue(out.contains("loopback TCP") && out.contains("socket layer (shared memory)"), out);
        }
    }
}
