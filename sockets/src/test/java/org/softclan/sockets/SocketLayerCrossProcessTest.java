package org.softclan.sockets;

import static org.softclan.sockets.TestFabric.ok;
import static org.softclan.sockets.TestFabric.reply;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.testing.JvmProcess;

/**
 * Unchanged {@code java.net} programs in separate JVMs, with and without the agent: the same echo
 * results every way; through shared memory only when both ends run the layer; plain TCP in both mixed
 * directions. The accelerated pair runs without any {@code --add-opens} flag (the agent opens what it needs).
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class SocketLayerCrossProcessTest {
    private static final int MESSAGES = 200;
    private TestFabric fx;

    @BeforeEach
    void setUp() throws IOException {
        fx = new TestFabric();
    }

    @AfterEach
    void tearDown() throws IOException {
        fx.close();
    }

    private List<String> layer(final String report) {
        final List<String> a = new ArrayList<>(fx.withLayer());
        a.add("-Dsoftclan.sockets.report=" + fx.dir.resolve(report));
        return a;
    }

    private JvmProcess start(final boolean withLayer, final boolean withFlags, final String report,
                             final Class<?> main, final String... args) throws IOException {
        final List<String> jvm = withLayer ? layer(report) : fx.withoutLayer();
        final JvmProcess p = withFlags ? JvmProcess.start(main, jvm, args) : JvmProcess.startWithoutJvmFlags(main, jvm, args);
        fx.track(p);
        return p;
    }

    private Properties report(final String name) throws IOException {
        final Properties p = new Properties();
        p.load(new StringReader(Files.readString(fx.dir.resolve(name))));
        return p;
    }

    private long echo(final JvmProcess server, final JvmProcess client, final String port) throws Exception {
        final String ok = client.expectLine("OK ", 2, TimeUnit.MINUTES);
        final String[] f = ok.split(" ");
        assertTrue(f[3].endsWith(":" + port), "the client sees the server's port as its remote port: " + ok);
        final String localPort = f[2].substring(f[2].lastIndexOf(':') + 1);
        final String echoed = server.expectLine("ECHOED ", 30, TimeUnit.SECONDS);
        assertTrue(echoed.contains(":" + localPort + " -> ") && echoed.endsWith(":" + port),
            "the server sees the client's port as its remote port and its own as local: " + echoed + " / " + ok);
        server.expectLine("DONE", 30, TimeUnit.SECONDS);
        assertEquals(0, client.waitFor(30, TimeUnit.SECONDS), client.transcript());
        assertEquals(0, server.waitFor(30, TimeUnit.SECONDS), server.transcript());
        return Long.parseLong(f[1]);
    }

    @Test
    void twoProgramsWithTheLayerTalkThroughSharedMemoryAndNeedNoJvmFlags() throws Exception {
        final JvmProcess server = start(true, false, "server", EchoServerMain.class, "1");
        final String port = server.expectLine("PORT ", 60, TimeUnit.SECONDS).substring(5);
        final JvmProcess client = start(true, false, "client", EchoClientMain.class, port, Integer.toString(MESSAGES));
        final long bytes = echo(server, client, port);

        final Properties s = report("server");
        final Properties c = report("client");
        assertEquals("1", s.getProperty("accelerated"), s.toString());
        assertEquals("1", c.getProperty("accelerated"), c.toString());
        assertEquals(bytes, Long.parseLong(c.getProperty("bytesSent")), "every byte the client wrote went through the stream");
        assertEquals(bytes, Long.parseLong(c.getProperty("bytesReceived")), c.toString());
        assertEquals(bytes, Long.parseLong(s.getProperty("bytesReceived")), s.toString());
        assertEquals(bytes, Long.parseLong(s.getProperty("bytesSent")), s.toString());
        // the same figures in the statistics files of the layer's endpoints (published at exit too)
        for (final JvmProcess p : List.of(server, client)) {
            final org.softclan.dsm.stat.StatReader.EndpointSnapshot snap = org.softclan.dsm.stat.StatReader
                .readAll(fx.fabric).stream().filter(e -> ("sockets-" + p.pid()).equals(e.endpoint())).findFirst().orElse(null);
            assertTrue(snap != null, "the statistics file of the layer's endpoint in " + p.pid());
            assertEquals(1, snap.value(org.softclan.dsm.stat.StatTypes.SOCKETS_ACCELERATED), snap.counters().toString());
            assertEquals(bytes, snap.value(org.softclan.dsm.stat.StatTypes.SOCKETS_BYTES_SENT), snap.counters().toString());
            assertEquals(bytes, snap.value(org.softclan.dsm.stat.StatTypes.SOCKETS_BYTES_RECEIVED), snap.counters().toString());
            assertTrue(snap.counters().stream().anyMatch(k -> k.label().equals("socket connections left on TCP: REMOTE_HOST")
                && k.value() == 0), snap.counters().toString());
        }
    }

    @Test
    void aClientWithTheLayerReachesAPlainServerOverTcp() throws Exception {
        final JvmProcess server = start(false, true, null, EchoServerMain.class, "1");
        final String port = server.expectLine("PORT ", 60, TimeUnit.SECONDS).substring(5);
        final JvmProcess client = start(true, true, "client", EchoClientMain.class, port, Integer.toString(MESSAGES));
        echo(server, client, port);

        final Properties c = report("client");
        assertEquals("0", c.getProperty("accelerated"), c.toString());
        assertEquals("1", c.getProperty("fallback.PEER_NOT_ACCELERATED"), c.toString());
        assertEquals("0", c.getProperty("bytesSent"), c.toString());
    }

    @Test
    void aPlainClientReachesAServerWithTheLayerOverTcp() throws Exception {
        final JvmProcess server = start(true, true, "server", EchoServerMain.class, "1");
        final String port = server.expectLine("PORT ", 60, TimeUnit.SECONDS).substring(5);
        final JvmProcess client = start(false, true, null, EchoClientMain.class, port, Integer.toString(MESSAGES));
        echo(server, client, port);

        final Properties s = report("server");
        assertEquals("0", s.getProperty("accelerated"), s.toString());
        assertEquals("1", s.getProperty("fallback.PEER_NOT_ACCELERATED"), s.toString());
        assertEquals("0", s.getProperty("bytesReceived"), s.toString());
    }
}
