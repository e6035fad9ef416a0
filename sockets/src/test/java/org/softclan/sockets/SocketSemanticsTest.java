package org.softclan.sockets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.testing.JvmProcess;

/**
 * TCP's semantics on an accelerated connection, between two JVMs running an unchanged {@code java.net}
 * program ({@link SocketScriptMain}) with the agent: read timeouts that leave the socket usable,
 * half-close both ways, close as EOF, a peer killed with -9, a close under a blocked read, {@code available},
 * the usual options, accept timeouts. Every test first checks that its connection is accelerated.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class SocketSemanticsTest {
    private Path dir;
    private final List<JvmProcess> processes = new ArrayList<>();
    private JvmProcess server;
    private JvmProcess client;

    @BeforeEach
    void setUp() throws Exception {
        dir = Files.createTempDirectory("softclan-sockets-semantics");
        final Path fabric = Files.createDirectory(dir.resolve("fabric"));
        final Path agent = AgentJar.write(dir);
        final List<String> jvm = List.of("-javaagent:" + agent, "-Dsoftclan.fabric=" + fabric, "-Xmx256m");
        server = JvmProcess.start(SocketScriptMain.class, jvm);
        client = JvmProcess.start(SocketScriptMain.class, jvm);
        processes.add(server);
        processes.add(client);
        server.expectLine("READY", 60, TimeUnit.SECONDS);
        client.expectLine("READY", 60, TimeUnit.SECONDS);
        final String port = ok(server, "listen");
        ok(client, "connect " + port);
        ok(server, "accept 10000");
        assertTrue(ok(client, "report").contains("accelerated=1 "), "the client's connection is accelerated");
        assertTrue(ok(server, "report").contains("accelerated=1 "), "the server's connection is accelerated");
    }

    @AfterEach
    void tearDown() throws IOException {
        processes.forEach(JvmProcess::close);
        try (var walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private static String reply(final JvmProcess p, final String command) throws InterruptedException {
        p.send(command);
        final String line = p.expectLine("", 30, TimeUnit.SECONDS);
        return line;
    }

    private static String ok(final JvmProcess p, final String command) throws InterruptedException {
        final String line = reply(p, command);
        assertTrue(line.startsWith("OK"), command + ": " + line);
        return line.length() > 3 ? line.substring(3) : "";
    }

    @Test
    void aReadTimeoutIsASocketTimeoutExceptionAndTheSocketStaysUsable() throws Exception {
        ok(server, "timeout 300");
        final long t0 = System.nanoTime();
        final String r = reply(server, "read 10");
        final long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(r.startsWith("ERR java.net.SocketTimeoutException"), r);
        assertTrue(ms >= 250, "the read gave up after " + ms + " ms, before its 300-ms timeout");
        ok(client, "write 10");
        assertEquals("10", ok(server, "read 10"));
    }

    @Test
    void halfCloseEndsOneDirectionAndTheOtherGoesOn() throws Exception {
        ok(client, "write 1000");
        ok(client, "shutdownOutput");
        assertEquals("1000", ok(server, "read 1000"));
        assertEquals("EOF 0", ok(server, "read 1"), "after the client's shutdownOutput, the server reads EOF");
        ok(server, "write 70000");
        assertEquals("70000", ok(client, "read 70000"), "the server's direction goes on");
        assertTrue(reply(client, "write 1").startsWith("ERR java.net.SocketException"), "writing after shutdownOutput");
        ok(server, "shutdownOutput");
        assertEquals("EOF 0", ok(client, "read 1"));
    }

    @Test
    void closeIsTheEndOfStreamForThePeer() throws Exception {
        ok(server, "write 5");
        ok(server, "close");
        assertEquals("EOF 5", ok(client, "read 10"), "what was written before the close, then EOF");
    }

    @Test
    void aPeerKilledWithMinus9IsAConnectionResetWithinSeconds() throws Exception {
        server.send("read 10");
        Thread.sleep(200);   // (the read may start before or after the kill: both must end)
        client.kill();
        final long t0 = System.nanoTime();
        final String r = server.expectLine("", 20, TimeUnit.SECONDS);
        final long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(r.startsWith("ERR java.net.SocketException Connection reset"), r);
        assertTrue(ms < 10_000, "the reset took " + ms + " ms");
    }

    @Test
    void aCloseFromAnotherThreadEndsABlockedRead() throws Exception {
        server.send("closeWhileReading 300");
        final String waited = server.expectLine("WAITED ", 20, TimeUnit.SECONDS);
        final String r = server.expectLine("", 5, TimeUnit.SECONDS);
        assertTrue(r.startsWith("ERR java.net.SocketException"), r);
        final long ms = Long.parseLong(waited.substring(7));
        assertTrue(ms >= 250 && ms < 5_000, "the read ended after " + ms + " ms");
        assertEquals("EOF 0", ok(client, "read 1"), "the client sees the close");
    }

    @Test
    void availableCountsBytesThatArrived() throws Exception {
        assertEquals("0", ok(server, "available"));
        ok(client, "write 100");
        String a = "0";
        for (int i = 0; i < 100 && a.equals("0"); i++) {
            a = ok(server, "available");
        }
        assertTrue(Integer.parseInt(a) > 0, "available after the peer wrote: " + a);
        assertEquals("100", ok(server, "read 100"));
    }

    @Test
    void theUsualOptionsAreAcceptedAndReadBack() throws Exception {
        assertEquals("true true true 1", ok(client, "options"));
        assertEquals("true true true 1", ok(server, "options"));
        ok(client, "write 3");
        assertEquals("3", ok(server, "read 3"));
    }

    @Test
    void addressesAreThoseOfTheTcpConnection() throws Exception {
        final String[] c = ok(client, "addresses").split(" ");
        final String[] s = ok(server, "addresses").split(" ");
        assertEquals(c[0], s[1].substring(s[1].indexOf('/')), "the client's local address is the server's remote");
        assertEquals(s[0], c[1].substring(c[1].indexOf('/')), "the server's local address is the client's remote");
    }

    @Test
    void aBlockedReaderUsesNoCpuAfterItsSpinWindow() throws Exception {
        server.send("read 10");
        Thread.sleep(500);   // past the spin window, the JIT's work on the read path and the reply's set-up
        final long cpu0 = cpuNanos(server);
        Thread.sleep(2_000);
        final long cpu = cpuNanos(server) - cpu0;
        assertTrue(cpu < 300_000_000L, "the server's JVM used " + cpu / 1_000_000 + " ms of CPU in 2 s while its"
            + " only socket thread was blocked in a read (a spinning reader would use about 2000)");
        ok(client, "write 10");
        assertEquals("OK 10", server.expectLine("", 10, TimeUnit.SECONDS));
    }

    private static long cpuNanos(final JvmProcess p) {
        return p.handle().info().totalCpuDuration().orElseThrow().toNanos();
    }

    @Test
    void anAcceptTimeoutIsASocketTimeoutException() throws Exception {
        final String r = reply(server, "accept 200");
        assertTrue(r.startsWith("ERR java.net.SocketTimeoutException"), r);
    }
}
