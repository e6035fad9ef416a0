package org.softclan.sockets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.softclan.dsm.testing.JvmProcess;

/**
 * Real programs nobody here wrote, on the NIO side ({@code SocketChannel}, {@code ServerSocketChannel},
 * {@code Selector}), unchanged, in separate JVMs, with and without the agent, in all four combinations
 * of the ends ({@link Ends}): Jetty 12's server ({@link JettyHttpMain}) answering the JDK's
 * {@code HttpClient} ({@link HttpClientMain}), and Netty's NIO echo server and client
 * ({@link NettyEchoMain}). Every combination must give the same, correct result: the client checks
 * every byte and prints a CRC32 of all it received, which must equal the one this test computes
 * itself, so it is the same in all four. Then the layer's counters (the report each JVM with the agent
 * writes at exit): both ends with the layer go through shared memory; a mixed pair stays on TCP and the
 * end with the layer counts it as a fallback. Without the layer's {@code SelectorProvider} (the agent
 * installs {@link LayerSelectorProvider}) these connections are plain TCP that the layer never sees, and
 * the counter assertions fail.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class NioProgramsTest {
    /** Requests of the HTTP client: bodies of 0 to 199 lines, 1.1 MiB in all. */
    private static final int REQUESTS = 200;
    /** Messages of the Netty client, and their size: 6 MB each way. */
    private static final int MESSAGES = 300;
    private static final int SIZE = 20_000;

    /** Which ends run the layer. */
    enum Ends {
        BOTH_WITH_THE_LAYER(true, true),
        NEITHER(false, false),
        LAYER_SERVER_PLAIN_CLIENT(true, false),
        PLAIN_SERVER_LAYER_CLIENT(false, true);

        final boolean server;
        final boolean client;

        Ends(final boolean server, final boolean client) {
            this.server = server;
            this.client = client;
        }
    }

    private TestFabric fx;

    @BeforeEach
    void setUp() throws IOException {
        fx = new TestFabric();
    }

    @AfterEach
    void tearDown() throws IOException {
        fx.close();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Ends.class)
    void jettyAnswersTheJdkHttpClientTheSameBytesEveryWay(final Ends ends) throws Exception {
        final JvmProcess server = start(ends.server, "server", JettyHttpMain.class);
        final String port = server.expectLine("PORT ", 30, TimeUnit.SECONDS).substring(5);
        final JvmProcess client = start(ends.client, "client", HttpClientMain.class, "127.0.0.1", port,
            Integer.toString(REQUESTS));
        final String ok = result(client);
        stop(server);
        System.out.println("jetty " + ends + ": " + ok);
        assertEquals(String.format("%08x", HttpClientMain.expectedCrc(REQUESTS)), field(ok, "crc"), ok);
        checkCounters(ends);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Ends.class)
    void nettyEchoesEveryByteTheSameEveryWay(final Ends ends) throws Exception {
        final JvmProcess server = start(ends.server, "server", NettyEchoMain.class, "server");
        final String port = server.expectLine("PORT ", 30, TimeUnit.SECONDS).substring(5);
        final JvmProcess client = start(ends.client, "client", NettyEchoMain.class, "client", "127.0.0.1", port,
            Integer.toString(MESSAGES), Integer.toString(SIZE));
        final String ok = result(client);
        stop(server);
        System.out.println("netty " + ends + ": " + ok);
        assertEquals(String.format("%08x", NettyEchoMain.expectedCrc(MESSAGES, SIZE)), field(ok, "crc"), ok);
        assertEquals(Long.toString((long) MESSAGES * SIZE), field(ok, "bytes"), ok);
        checkCounters(ends);
    }

    private JvmProcess start(final boolean layer, final String report, final Class<?> main, final String... args)
        throws IOException {
        final List<String> jvm = new ArrayList<>(layer ? fx.withLayer() : fx.withoutLayer());
        if (layer) {
            jvm.add("-Dsoftclan.sockets.report=" + fx.dir.resolve(report));
        }
        return fx.track(JvmProcess.start(main, jvm, args));
    }

    /** Waits for the client to exit 0; {@return its {@code OK} line} */
    private static String result(final JvmProcess client) throws InterruptedException {
        final int exit = client.waitFor(45, TimeUnit.SECONDS);
        assertEquals(0, exit, client.transcript());
        return client.expectLine("OK ", 1, TimeUnit.SECONDS);
    }

    /** Tells the server to quit and waits for it to stop and exit 0 (so the agent's report is written). */
    private static void stop(final JvmProcess server) throws InterruptedException {
        server.send("quit");
        assertEquals(0, server.waitFor(30, TimeUnit.SECONDS), server.transcript());
        assertTrue(server.transcript().contains("STOPPED\n"), server.transcript());
    }

    /** {@return the value of {@code name=} in a result line} */
    private static String field(final String line, final String name) {
        for (final String f : line.split(" ")) {
            if (f.startsWith(name + "=")) {
                return f.substring(name.length() + 1);
            }
        }
        throw new AssertionError("no " + name + "= in " + line);
    }

    /** {@return the report of the end {@code name}, or {@code null} if it wrote none} */
    private Properties report(final String name) throws IOException {
        final Path file = fx.dir.resolve(name);
        if (!Files.exists(file)) {
            return null;
        }
        final Properties p = new Properties();
        p.load(new StringReader(Files.readString(file)));
        return p;
    }

    /**
     * Checks the reports: an end with the layer wrote one (its agent was installed and the JVM exited
     * cleanly), an end without wrote none; then what the layer did with the connections.
     */
    private void checkCounters(final Ends ends) throws IOException {
        final Properties server = report("server");
        final Properties client = report("client");
        for (final Properties r : new Properties[] {server, client}) {
            if (r != null) {
                assertNotNull(r.getProperty("accelerated"), "a report of the layer: " + r);
                assertEquals("0", r.getProperty("handshakesRefused"), r.toString());
            }
        }
        assertEquals(ends.server, server != null, "the server wrote a report iff it ran the layer: " + server);
        assertEquals(ends.client, client != null, "the client wrote a report iff it ran the layer: " + client);
        switch (ends) {
            case BOTH_WITH_THE_LAYER -> assertAccelerated(server, client);
            case LAYER_SERVER_PLAIN_CLIENT -> assertFellBackToTcp(server, "server");
            case PLAIN_SERVER_LAYER_CLIENT -> assertFellBackToTcp(client, "client");
            case NEITHER -> {
            }
            default -> throw new AssertionError(ends);
        }
    }

    private static long count(final Properties report, final String key) {
        final String v = report.getProperty(key);
        assertNotNull(v, key + " in " + report);
        return Long.parseLong(v);
    }

    /**
     * Both ends ran the layer, so their connection went through shared memory (both counted it, and
     * bytes each way).
     */
    private static void assertAccelerated(final Properties server, final Properties client) {
        assertTrue(count(server, "accelerated") >= 1, "the server accepted through shared memory: " + server);
        assertTrue(count(server, "bytesReceived") > 0, "the server read through shared memory: " + server);
        assertTrue(count(client, "accelerated") >= 1, "the client connected through shared memory: " + client);
        assertTrue(count(client, "bytesSent") > 0, "the client wrote through shared memory: " + client);
    }

    /**
     * A mixed pair: the end with the layer stayed on TCP ({@code accelerated=0}) and counted the
     * connection as a fallback for a peer without the layer.
     */
    private static void assertFellBackToTcp(final Properties report, final String end) {
        assertEquals(0, count(report, "accelerated"), "the " + end + " stayed on TCP: " + report);
        assertEquals(0, count(report, "bytesSent") + count(report, "bytesReceived"),
            "no byte through shared memory: " + report);
        assertTrue(count(report, "fallback.PEER_NOT_ACCELERATED") >= 1,
            "the " + end + " counted its connection to a peer without the layer as a fallback: " + report);
    }
}
