package org.softclan.sockets;

import static org.softclan.sockets.TestFabric.ok;
import static org.softclan.sockets.TestFabric.reply;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.testing.JvmProcess;

/**
 * Review: faulty and hostile peers of the layer, and servers that share a port, between JVMs
 * ({@link ProbeMain}). The project's rule: such a peer may cost at most its own connection; no connection
 * may end up half-accelerated (one end on the stream, the other on TCP).
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class SocketLayerHostilePeerTest {
    private TestFabric fx;

    @BeforeEach
    void setUp() throws IOException {
        fx = new TestFabric();
    }

    @AfterEach
    void tearDown() throws IOException {
        fx.close();
    }

    /**
     * Two servers listening on one port at two addresses: the first on a port the kernel picks, the second
     * on the same port at its address. The port picked free at the first address may be taken at the second
     * (another socket of this machine): then two new servers try again, up to five times.
     *
     * @return the two servers and their port
     */
    private OnePort twoOnOnePort(final boolean firstLayer, final String firstAddress, final boolean secondLayer,
                                      final String secondAddress) throws Exception {
        String last = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            final JvmProcess first = start(firstLayer);
            final JvmProcess second = start(secondLayer);
            final String port = ok(first, "listen " + firstAddress + " 0");
            last = reply(second, "listen " + secondAddress + " " + port);
            if (last.startsWith("OK")) {
                return new OnePort(first, second, port);
            }
            if (!last.contains("Address already in use")) {
                break;
            }
        }
        throw new AssertionError("two servers on one port: " + last);
    }

    /** Two servers listening on one port (at two addresses). */
    private record OnePort(JvmProcess first, JvmProcess second, String port) {
    }

    private JvmProcess start(final boolean withLayer) throws Exception {
        final List<String> jvm = withLayer ? fx.withLayer() : fx.withoutLayer();
        final JvmProcess p = JvmProcess.start(ProbeMain.class, jvm);
        fx.track(p);
        p.expectLine("READY", 60, TimeUnit.SECONDS);
        return p;
    }

    /**
     * A process of the fabric sends a hello naming a port no layer client uses; a plain client (no
     * layer) then connects from that port. Its server must stay on TCP with it: it must read the plain
     * client's bytes, not the hostile stream's. Twice: a hello that claims the forger's own pid, and one
     * made once the plain client has bound its socket, claiming the plain client's pid and descriptors
     * (its newest socket, which the TCP connect then uses, and a file it holds): the server's check of
     * the ring's descriptor is what refuses that one.
     */
    @Test
    void aForgedHelloDoesNotTakeOverAPlainClientsConnection() throws Exception {
        final JvmProcess server = start(true);
        final JvmProcess hostile = start(true);
        final JvmProcess plain = start(false);
        final String port = ok(server, "listen 127.0.0.1 0");
        final String clientPort = ok(plain, "freeport");
        ok(hostile, "forge " + port + " " + clientPort + " 10");
        ok(plain, "connect 127.0.0.1 " + port + " " + clientPort);
        ok(plain, "write 10");
        assertEquals(clientPort, ok(server, "accept 10000"));
        ok(server, "timeout 5000");
        assertEquals("OK 10", reply(server, "read 10"), "the server reads the plain client's 10 bytes");
        assertTrue(ok(server, "report").contains("accelerated=0 "), "a plain client's connection is not accelerated");
        ok(plain, "close");
        ok(server, "close");

        final String port2 = ok(plain, "freeport");
        ok(plain, "bind " + port2);
        final String claimed = ok(hostile, "forge " + port + " " + port2 + " 10 " + plain.pid());
        System.out.println("forged hello for a plain client's bound socket: " + claimed);
        assertTrue(!claimed.contains("socketFd=-1") && !claimed.contains("ringFd=-1"), claimed);
        ok(plain, "connect 127.0.0.1 " + port + " 0");
        ok(plain, "write 10");
        assertEquals(port2, ok(server, "accept 10000"));
        ok(server, "timeout 5000");
        assertEquals("OK 10", reply(server, "read 10"), "the server reads the plain client's 10 bytes, not the forger's");
        final String report = ok(server, "report");
        assertTrue(report.contains("accelerated=0 "), "a plain client's connection is not accelerated: " + report);
    }

    /**
     * A layer client connects (hello, ack, TCP connect); before its server accepts, another process
     * sends a hello naming that client's port. The accepted connection must still be the client's.
     */
    @Test
    void aForgedHelloForALayerClientsPortDoesNotHijackItsConnection() throws Exception {
        final JvmProcess server = start(true);
        final JvmProcess hostile = start(true);
        final JvmProcess client = start(true);
        final String port = ok(server, "listen 127.0.0.1 0");
        final String clientPort = ok(client, "connect 127.0.0.1 " + port).split(" ")[0];
        // the hello claims the client's pid and the client's own descriptors of that socket and of a ring
        final String claimed = ok(hostile, "forge " + port + " " + clientPort + " 10 " + client.pid());
        System.out.println("forged hello: " + claimed);
        assertTrue(claimed.startsWith("CLAIMED") && !claimed.contains("socketFd=-1") && !claimed.contains("ringFd=-1"),
            "the forger found the client's descriptors: " + claimed);
        ok(client, "write 10");
        assertEquals(clientPort, ok(server, "accept 10000"));
        ok(server, "timeout 5000");
        assertEquals("OK 10", reply(server, "read 10"), "the server reads its client's 10 bytes");
        ok(server, "write 10");
        ok(client, "timeout 5000");
        assertEquals("OK 10", reply(client, "read 10"), "the client reads its server's 10 bytes");
    }

    /**
     * A server with the layer listens on 127.0.0.1:P; a plain server listens on 127.0.0.2:P (Linux
     * routes all of 127/8 to loopback). A layer client of the second server must reach it whole.
     */
    @Test
    void aLayerClientOfAPlainServerOnAnotherAddressOfTheSamePortIsNotHalfAccelerated() throws Exception {
        final JvmProcess client = start(true);
        final OnePort servers = twoOnOnePort(true, "127.0.0.1", false, "127.0.0.2");
        final JvmProcess plainServer = servers.second();
        final String port = servers.port();
        ok(client, "connect 127.0.0.2 " + port);
        ok(client, "write 10");
        ok(plainServer, "accept 10000");
        ok(plainServer, "timeout 5000");
        assertEquals("OK 10", reply(plainServer, "read 10"), "the plain server reads the client's 10 bytes");
    }

    /** The same with both servers running the layer, on ::1 and 127.0.0.1 (the second: LISTENER_CONFLICT). */
    @Test
    void twoLayerServersOnOnePortWithDifferentAddressesAreNotHalfAccelerated() throws Exception {
        final JvmProcess client = start(true);
        final OnePort servers = twoOnOnePort(true, "::1", true, "127.0.0.1");
        final JvmProcess second = servers.second();
        final String port = servers.port();
        ok(client, "connect 127.0.0.1 " + port);
        ok(client, "write 10");
        ok(second, "accept 10000");
        ok(second, "timeout 5000");
        assertEquals("OK 10", reply(second, "read 10"), "the second server reads the client's 10 bytes");
    }

    /**
     * A process opens a stream to the server's service and sends its hello one byte every 1.5 s (each
     * read within the 2-s hello timeout). Other clients must still be accelerated, without waiting.
     */
    @Test
    void aSlowHelloDoesNotStallOtherClients() throws Exception {
        final JvmProcess server = start(true);
        final JvmProcess hostile = start(true);
        final JvmProcess client = start(true);
        final String port = ok(server, "listen 127.0.0.1 0");
        ok(hostile, "slowhello " + port + " 1500");
        hostile.expectLine("SENT 1", 10, TimeUnit.SECONDS);   // the server is reading the slow hello
        final String[] r = ok(client, "connect 127.0.0.1 " + port).split(" ");
        ok(client, "write 10");
        ok(server, "accept 10000");
        ok(server, "timeout 5000");
        assertEquals("OK 10", reply(server, "read 10"));
        final String report = ok(client, "report");
        assertTrue(Long.parseLong(r[1]) < 2_000, "the client's connect took " + r[1] + " ms; " + report);
        assertTrue(report.contains("accelerated=1 "), report);
    }

    /** A hello-less stream stalls the acceptor for the hello timeout, at most, once. */
    @Test
    void aStreamWithoutHelloDelaysOtherClientsAtMostTheHelloTimeout() throws Exception {
        final JvmProcess server = start(true);
        final JvmProcess hostile = start(true);
        final JvmProcess client = start(true);
        final String port = ok(server, "listen 127.0.0.1 0");
        ok(hostile, "nohello " + port);
        final String[] r = ok(client, "connect 127.0.0.1 " + port).split(" ");
        ok(client, "write 10");
        ok(server, "accept 10000");
        ok(server, "timeout 5000");
        assertEquals("OK 10", reply(server, "read 10"));
        final String report = ok(client, "report");
        assertTrue(Long.parseLong(r[1]) < 2_500, "the client's connect took " + r[1] + " ms; " + report);
        assertTrue(report.contains("accelerated=1 "), report);
    }

    /** A process that forged a hello is killed -9; a plain client then connects from that port. */
    @Test
    void aKeptStreamOfAKilledProcessIsNotTakenForAPlainClient() throws Exception {
        final JvmProcess server = start(true);
        final JvmProcess hostile = start(true);
        final JvmProcess plain = start(false);
        final String port = ok(server, "listen 127.0.0.1 0");
        final String clientPort = ok(plain, "freeport");
        ok(hostile, "forge " + port + " " + clientPort);
        hostile.kill();
        ok(plain, "connect 127.0.0.1 " + port + " " + clientPort);
        ok(plain, "write 10");
        ok(server, "accept 10000");
        ok(server, "timeout 5000");
        assertEquals("OK 10", reply(server, "read 10"));
    }

    /** 200 layer clients connect at once to one layer server; each gets its own echo. */
    @Test
    void twoHundredConcurrentClientsAllGetTheirEcho() throws Exception {
        final JvmProcess server = start(true);
        final JvmProcess client = start(true);
        final String port = ok(server, "listen 127.0.0.1 0");
        server.send("echoall 200");
        final String r = ok(client, "many 127.0.0.1 " + port + " 200");
        assertEquals("OK 200", server.expectLine("", 90, TimeUnit.SECONDS));
        assertTrue(r.startsWith("200 0 "), r + "; client " + ok(client, "report") + "; server " + ok(server, "report"));
    }

    /** A connection to a server socket of the same JVM. */
    @Test
    void aConnectionInsideOneJvm() throws Exception {
        final JvmProcess p = start(true);
        ok(p, "listen 127.0.0.1 0");
        assertEquals("[1, 2, 3, 4, 5, 6, 7, 8]", ok(p, "selfecho 127.0.0.1"));
        System.out.println("same JVM: " + ok(p, "report"));
    }

    /** A server with the layer killed -9; a new one on the same port: accelerated, no delay. */
    @Test
    void aServerKilledWithMinus9IsReplacedOnItsPort() throws Exception {
        final JvmProcess first = start(true);
        final JvmProcess client = start(true);
        final String port = ok(first, "listen 127.0.0.1 0");
        first.kill();
        final JvmProcess second = start(true);
        ok(second, "listen 127.0.0.1 " + port);
        final String[] r = ok(client, "connect 127.0.0.1 " + port).split(" ");
        ok(client, "write 10");
        ok(second, "accept 10000");
        ok(second, "timeout 5000");
        assertEquals("OK 10", reply(second, "read 10"));
        final String report = ok(client, "report");
        System.out.println("after kill: connect " + r[1] + " ms; client " + report + "; server " + ok(second, "report"));
        assertTrue(report.contains("accelerated=1 "), report);
    }

    /**
     * A process of the fabric registers the service of a port a plain server listens on, and acks every
     * hello, claiming to be the server's process (or itself). A layer client must not believe it: it
     * reaches the plain server over TCP, its bytes whole.
     */
    @Test
    void anAckFromAProcessThatDoesNotHoldTheListeningSocketIsNotBelieved() throws Exception {
        final JvmProcess plain = start(false);
        final JvmProcess hostile = start(true);
        final JvmProcess client = start(true);
        final String port = ok(plain, "listen 127.0.0.1 0");
        ok(hostile, "fakeListen " + port + " " + plain.pid());
        ok(client, "connect 127.0.0.1 " + port);
        hostile.expectLine("ACKED", 10, TimeUnit.SECONDS);
        ok(plain, "accept 10000");
        ok(client, "write 10");
        ok(plain, "timeout 5000");
        assertEquals("OK 10", reply(plain, "read 10"), "the plain server reads its client's 10 bytes");
        final String report = ok(client, "report");
        assertTrue(report.contains("accelerated=0 ") && report.contains("fallback.HANDSHAKE_FAILED=1 "), report);
    }
}
