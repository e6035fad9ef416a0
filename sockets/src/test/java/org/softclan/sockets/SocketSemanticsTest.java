package org.softclan.sockets;

import static org.softclan.sockets.TestFabric.ok;
import static org.softclan.sockets.TestFabric.reply;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.testing.JvmProcess;
import org.softclan.dsm.testing.TestThreads;

/**
 * TCP's semantics on an accelerated connection, between two JVMs running an unchanged {@code java.net}
 * program ({@link SocketScriptMain}) with the agent: read timeouts that leave the socket usable,
 * half-close both ways, close as EOF, a peer killed with -9, a close under a blocked read, {@code available},
 * the usual options, accept timeouts. Every test first checks that its connection is accelerated.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class SocketSemanticsTest {
    private TestFabric fx;
    private JvmProcess server;
    private JvmProcess client;

    @BeforeEach
    void setUp() throws Exception {
        fx = new TestFabric();
        server = fx.track(JvmProcess.start(SocketScriptMain.class, fx.withLayer()));
        client = fx.track(JvmProcess.start(SocketScriptMain.class, fx.withLayer()));
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
        fx.close();
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
        server.send("blockedRead 10");
        server.expectLine("BLOCKED", 20, TimeUnit.SECONDS);
        client.kill();
        final long t0 = System.nanoTime();
        final String r = server.expectLine("", 20, TimeUnit.SECONDS);
        final long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(r.startsWith("ERR java.net.SocketException Connection reset"), r);
        assertTrue(ms < 10_000, "the reset took " + ms + " ms");
    }

    @Test
    void aCloseFromAnotherThreadEndsABlockedRead() throws Exception {
        server.send("closeWhileReading");
        final String waited = server.expectLine("WAITED ", 20, TimeUnit.SECONDS);
        final String r = server.expectLine("", 5, TimeUnit.SECONDS);
        assertTrue(r.startsWith("ERR java.net.SocketException"), r);
        final long ms = Long.parseLong(waited.substring(7));
        assertTrue(ms >= 0 && ms < 5_000, "the read ended " + ms + " ms after the close");
        assertTrue(!server.transcript().contains("CLOSER"), server.transcript());
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
        server.send("blockedRead 10");
        server.expectLine("BLOCKED", 20, TimeUnit.SECONDS);
        // the JVM's CPU time over windows of 1 s: once its only socket thread blocks, a window stays under
        // 150 ms (JIT and GC threads settle); a spinning reader spends about 1000 ms in every window
        final long[] last = {cpuNanos(server), System.nanoTime()};
        final long[] lowest = {Long.MAX_VALUE};
        final boolean quiet = TestThreads.awaitTrue(() -> {
            final long now = System.nanoTime();
            if (now - last[1] < 1_000_000_000L) {
                return false;
            }
            final long cpu = cpuNanos(server);
            final long used = (cpu - last[0]) * 1_000_000_000L / (now - last[1]);
            last[0] = cpu;
            last[1] = now;
            lowest[0] = Math.min(lowest[0], used);
            return used < 150_000_000L;
        }, 10, TimeUnit.SECONDS);
        assertTrue(quiet, "the server's JVM used at least " + lowest[0] / 1_000_000 + " ms of CPU in every second"
            + " for 10 s while its only socket thread was blocked in a read");
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
