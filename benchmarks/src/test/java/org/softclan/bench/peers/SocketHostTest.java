package org.softclan.bench.peers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The {@code socket} transport (java.net streams) listens on and connects to the address a {@code host}
 * parameter names, as {@code tcp} does ({@code compare --hosts 2} passes one): 127.0.0.2 here, a loopback
 * address other than the default 127.0.0.1, so a side that ignored it would listen or connect elsewhere.
 */
@Timeout(30)
class SocketHostTest {
    private static final String OTHER = "127.0.0.2";

    @Test
    void theEchoSideListensOnTheHostTheClientNames() throws Exception {
        try (PeerTransport.Echo echo = Transports.byName("socket").echo(64)) {
            final Map<String, String> opened = echo.open(Map.of("host", OTHER));
            assertEquals(OTHER, opened.get("host"), "the address is named back to the client: " + opened);
            try (Socket s = new Socket(InetAddress.getByName(OTHER), Integer.parseInt(opened.get("port")))) {
                assertTrue(((SocketTransport.SocketLink) echo).accept(() -> false), "the connection is accepted");
                assertEquals(OTHER, s.getInetAddress().getHostAddress());
            }
        }
    }

    @Test
    void theClientConnectsToTheHostItIsGiven() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getByName(OTHER));
             PeerTransport.Client client = Transports.byName("socket").client(64)) {
            client.connect(Map.of("host", OTHER, "port", Integer.toString(server.getLocalPort())));
            try (Socket accepted = server.accept()) {
                assertEquals(new InetSocketAddress(OTHER, server.getLocalPort()), accepted.getLocalSocketAddress());
            }
        }
    }
}
