package org.softclan.sockets;

import static org.softclan.sockets.TestFabric.ok;
import static org.softclan.sockets.TestFabric.reply;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.testing.JvmProcess;

/**
 * A client must reach, through shared memory or over TCP, the very server its TCP connect reaches: never
 * another process that registered the same port in the fabric. Two cases where the port alone would
 * mislead it: another server socket holding the same port on another loopback address, and a server in
 * another network namespace (its own loopback) that shares the fabric's directory.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class SocketLayerAddressTest {
    private TestFabric fx;
    private List<String> layer;

    @BeforeEach
    void setUp() throws IOException {
        fx = new TestFabric();
        layer = fx.withLayer();
    }

    @AfterEach
    void tearDown() throws IOException {
        fx.close();
    }

    private JvmProcess start(final List<String> launcher, final List<String> jvm) throws Exception {
        final JvmProcess p = JvmProcess.startWrapped(launcher, SocketScriptMain.class, jvm);
        fx.track(p);
        p.expectLine("READY", 60, TimeUnit.SECONDS);
        return p;
    }

    /** The client talks to {@code plain} over TCP, and says why it did not use shared memory. */
    private static void talksOverTcp(final JvmProcess client, final JvmProcess plain, final String reason) throws Exception {
        ok(plain, "accept 10000");
        ok(client, "write 1000");
        assertEquals("1000", ok(plain, "read 1000"), "the bytes reached the server the TCP connect reached");
        ok(plain, "write 10");
        assertEquals("10", ok(client, "read 10"));
        final String report = ok(client, "report");
        assertTrue(report.contains("accelerated=0 ") && report.contains(reason + "=1 "), report);
    }

    @Test
    void aClientDialingAnotherLoopbackAddressReachesTheServerThereNotTheOneOfTheSamePort() throws Exception {
        final JvmProcess accelerated = start(List.of(), layer);
        final String port = ok(accelerated, "listenAt 127.0.0.1 0");
        final JvmProcess plain = start(List.of(), List.of("-Xmx256m"));
        ok(plain, "listenAt 127.0.0.2 " + port);
        final JvmProcess client = start(List.of(), layer);
        ok(client, "connectTo 127.0.0.2 " + port);
        talksOverTcp(client, plain, "fallback.HANDSHAKE_FAILED");
    }

    @Test
    void processesInAnotherNetworkNamespaceDoNotMeetThoughTheyShareTheFabric() throws Exception {
        final JvmProcess accelerated = start(List.of(), layer);
        final String port = ok(accelerated, "listenAt 127.0.0.1 0");
        // a plain server on the same port of its own namespace's loopback, and a client with the layer there
        final JvmProcess plain = start(List.of("unshare", "--net", "sh", "-c", "ip link set lo up && exec \"$0\" \"$@\""),
            List.of("-Xmx256m"));
        ok(plain, "listenAt 127.0.0.1 " + port);
        final JvmProcess client = start(List.of("nsenter", "--net=/proc/" + plain.pid() + "/ns/net"), layer);
        ok(client, "connectTo 127.0.0.1 " + port);
        talksOverTcp(client, plain, "fallback.PEER_NOT_ACCELERATED");
    }

    /**
     * A firewall rule redirects the port dialed to another port, where a plain server listens; a server
     * with the layer listens on the port dialed and acks. The client's TCP connection ends at the plain
     * server, so the client must stay on TCP with it. Needs {@code iptables} ({@code .ci/run} installs it).
     */
    @Test
    void aRedirectedPortStaysOnTcpWithTheServerItReaches() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/sbin/iptables"))
            || Files.isExecutable(Path.of("/sbin/iptables")), "iptables is not installed");
        final JvmProcess plain = start(List.of("unshare", "--net", "sh", "-c", "ip link set lo up && exec \"$0\" \"$@\""),
            List.of("-Xmx256m"));
        final List<String> inNamespace = List.of("nsenter", "--net=/proc/" + plain.pid() + "/ns/net");
        final String redirectedTo = ok(plain, "listenAt 127.0.0.1 0");
        final JvmProcess accelerated = start(inNamespace, layer);
        final String port = ok(accelerated, "listenAt 127.0.0.1 0");
        final List<String> rule = new ArrayList<>(inNamespace);
        rule.addAll(List.of("iptables", "-t", "nat", "-A", "OUTPUT", "-p", "tcp", "-d", "127.0.0.1", "--dport", port,
            "-j", "REDIRECT", "--to-ports", redirectedTo));
        final Process p = new ProcessBuilder(rule).redirectErrorStream(true).start();
        final String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), "iptables: " + out);
        final JvmProcess client = start(inNamespace, layer);
        ok(client, "connectTo 127.0.0.1 " + port);
        talksOverTcp(client, plain, "fallback.HANDSHAKE_FAILED");
    }
}
