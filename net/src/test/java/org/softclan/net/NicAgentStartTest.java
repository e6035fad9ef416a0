package org.softclan.net;

import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;

/** Starting an agent that cannot serve its fabric: refused, and nothing it opened stays open. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NicAgentStartTest {
    @Test
    void aSecondAgentOnTheSameFabricIsRefusedAndLeavesNoDriverNorEndpointBehind(@TempDir final Path root)
        throws Exception {
        final int port = 20_000 + ThreadLocalRandom.current().nextInt(20_000) * 2;
        final String one = "127.0.0.1:" + port;
        final String two = "127.0.0.1:" + (port + 1);
        try (NicAgent first = NicAgent.launch(new NicAgent.Context().fabric(root).host("one").listen(one).peer("two", two))) {
            final IllegalStateException refused = assertThrows(IllegalStateException.class, () -> NicAgent.launch(
                new NicAgent.Context().fabric(root).host("two").listen(two).peer("one", one)));
            assertTrue(refused.getMessage().contains("already has an importer"), refused.getMessage());
            assertTrue(first.isAlive(), "the first agent goes on");
            // the refused agent's driver gave its listen address back...
            try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", port + 1))) {
                assertTrue(s.isBound());
            }
            // ...and closed its endpoint: the name is free again
            try (Fabric fabric = Fabric.open(root); Endpoint again = fabric.openEndpoint("nic-agent-two")) {
                assertTrue(again.toString().contains("nic-agent-two"), again.toString());
            }
        }
    }

    @Test
    void aDutyThreadThatCannotStartFailsTheLaunchAndLeavesNothingOpen(@TempDir final Path root) throws Exception {
        final int port = 20_000 + ThreadLocalRandom.current().nextInt(20_000) * 2;
        final String one = "127.0.0.1:" + port;
        final String two = "127.0.0.1:" + (port + 1);
        final OutOfMemoryError refused = new OutOfMemoryError("unable to create native thread (the test's)");
        final OutOfMemoryError thrown = assertThrows(OutOfMemoryError.class, () -> NicAgent.launch(
            new NicAgent.Context().fabric(root).host("one").listen(one).peer("two", two).dutyThreadFactory(r -> new Thread(r) {
                @Override
                public synchronized void start() {
                    throw refused;
                }
            })));
        assertSame(refused, thrown, "the start's own failure propagates");
        // the driver gave its listen address back...
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", port))) {
            assertTrue(s.isBound());
        }
        // ...the endpoint's name is free again...
        try (Fabric fabric = Fabric.open(root); Endpoint again = fabric.openEndpoint("nic-agent-one")) {
            assertTrue(again.toString().contains("nic-agent-one"), again.toString());
        }
        // ...and the fabric has no importer left: an agent starts on it
        try (NicAgent agent = NicAgent.launch(new NicAgent.Context().fabric(root).host("one").listen(one).peer("two", two))) {
            assertTrue(agent.isAlive());
        }
    }
}
