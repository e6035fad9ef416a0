package org.softclan.vmmc;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.softclan.dsm.testing.TestThreads.THREADS;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;

/**
 * What a connection costs a process in kernel resources (memory mappings, file descriptors), counted
 * from {@code /proc/self}. Before, a connection cost 8 mappings (each end's receive region, its own
 * event queue, an import of the peer's region and of the peer's queue) and 10,000 of them reached
 * {@code vm.max_map_count}; and every connection made and closed left two imported event queues mapped
 * until the endpoint closed. Now connections in wake mode share one event queue per endpoint, writers
 * share their imports of a queue, and an import is unmapped with the last mapping that needed it.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ConnectionCostTest {
    private Fabric fabric;
    private Endpoint server;
    private Endpoint client;

    @BeforeEach
    void setUp() {
        fabric = Fabric.createTemporary();
        server = fabric.openEndpoint("server");
        client = fabric.openEndpoint("client");
    }

    @AfterEach
    void tearDown() {
        fabric.close();
    }

    private static long count(final String path, final boolean lines) throws IOException {
        try (Stream<?> s = lines ? Files.lines(Path.of(path)) : Files.list(Path.of(path))) {
            return s.count();
        }
    }

    private static Connection[] connect(final Listener listener, final Endpoint client, final ConnectionContext ctx)
        throws Exception {
        final CompletableFuture<Connection> c = CompletableFuture.supplyAsync(
            () -> Vmmc.connect(client, "svc", ctx, 10, TimeUnit.SECONDS), THREADS);
        final Connection s = listener.accept(10, TimeUnit.SECONDS);
        final Connection cc = c.get(10, TimeUnit.SECONDS);
        // one message each way: each end's writer then imports what it rings (the peer's event queue)
        s.send(new byte[8], 1, TimeUnit.SECONDS);
        cc.send(new byte[8], 1, TimeUnit.SECONDS);
        cc.receive((b, o, l) -> { }, 1, 1, TimeUnit.SECONDS);
        s.receive((b, o, l) -> { }, 1, 1, TimeUnit.SECONDS);
        return new Connection[] {s, cc};
    }

    @Test
    void aConnectionCostsEachEndTwoMappingsAndTwoDescriptors() throws Exception {
        final ConnectionContext ctx = new ConnectionContext().ringCapacity(4096);
        try (Listener listener = Vmmc.listen(server, "svc", ctx)) {
            connect(listener, client, ctx);   // the endpoints' shared units and imports, made once
            final long maps = count("/proc/self/maps", true);
            final long fds = count("/proc/self/fd", false);
            final List<Connection> open = new ArrayList<>();
            final int n = 100;
            for (int i = 0; i < n; i++) {
                open.addAll(List.of(connect(listener, client, ctx)));
            }
            final double mapsEach = (count("/proc/self/maps", true) - maps) / (double) n;
            final double fdsEach = (count("/proc/self/fd", false) - fds) / (double) n;
            // both ends live in this JVM: 4 regions per connection (was 8, and 8 descriptors)
            assertTrue(mapsEach <= 4.5, mapsEach + " mappings per connection (both ends)");
            assertTrue(fdsEach <= 4.5, fdsEach + " file descriptors per connection (both ends)");
            for (final Connection c : open) {
                c.close();
            }
        }
    }

    @Test
    void connectionsMadeAndClosedLeaveNoMappingOrDescriptorBehind() throws Exception {
        final ConnectionContext ctx = new ConnectionContext().ringCapacity(4096);
        try (Listener listener = Vmmc.listen(server, "svc", ctx)) {
            for (final Connection c : connect(listener, client, ctx)) {
                c.close();
            }
            final long maps = count("/proc/self/maps", true);
            final long fds = count("/proc/self/fd", false);
            final int n = 200;
            for (int i = 0; i < n; i++) {
                for (final Connection c : connect(listener, client, ctx)) {
                    c.close();
                }
            }
            final long mapsLeft = count("/proc/self/maps", true) - maps;
            final long fdsLeft = count("/proc/self/fd", false) - fds;
            // a little slack for the JVM's own (thread stacks, code); the leak was 2 per connection
            assertTrue(mapsLeft < 40, mapsLeft + " mappings more after " + n + " connections were made and closed");
            assertTrue(fdsLeft < 20, fdsLeft + " descriptors more after " + n + " connections were made and closed");
        }
    }
}
