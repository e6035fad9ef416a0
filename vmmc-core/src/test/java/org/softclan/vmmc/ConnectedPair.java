package org.softclan.vmmc;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.softclan.dsm.testing.TestThreads.THREADS;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;

/**
 * Two connected ends in one JVM for a test: a listener on endpoint "server" accepts what endpoint
 * "client" connects, both in the given fabric. The fabric owns every resource; closing it ends both.
 *
 * @param accepted  the server's end
 * @param connected the client's end
 */
public record ConnectedPair(Connection accepted, Connection connected) {
    /**
     * Connects a fresh pair.
     *
     * @param fabric  the fabric (the endpoints "server" and "client" are opened in it)
     * @param service the name the server listens on
     * @param ctx     both ends' settings
     * @return the pair
     * @throws Exception if the connection is not made within 10 s
     */
    public static ConnectedPair open(final Fabric fabric, final String service, final ConnectionContext ctx)
        throws Exception {
        final Endpoint server = fabric.openEndpoint("server");
        final Endpoint client = fabric.openEndpoint("client");
        try (Listener listener = Vmmc.listen(server, service, ctx)) {
            final CompletableFuture<Connection> c = CompletableFuture.supplyAsync(
                () -> Vmmc.connect(client, service, ctx, 10, TimeUnit.SECONDS), THREADS);
            final Connection s = listener.accept(10, TimeUnit.SECONDS);
            assertNotNull(s, "no connection accepted on '" + service + "' within 10 s");
            return new ConnectedPair(s, c.get(10, TimeUnit.SECONDS));
        }
    }

    /**
     * Receives exactly {@code expected} messages from {@code c}, copied out of the ring.
     *
     * @param c        the receiving end
     * @param expected how many messages to wait for (5 s at most per receive)
     * @return the messages in arrival order
     */
    public static List<byte[]> drain(final Connection c, final int expected) {
        final List<byte[]> got = new ArrayList<>();
        while (got.size() < expected) {
            c.receive((buf, off, len) -> {
                final byte[] b = new byte[len];
                buf.read(off, b, 0, len);
                got.add(b);
            }, expected - got.size(), 5, TimeUnit.SECONDS);
        }
        return got;
    }
}
