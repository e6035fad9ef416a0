package org.softclan.vmmc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.stat.StatReader;
import org.softclan.dsm.stat.StatTypes;
import org.softclan.dsm.testing.JvmProcess;
import org.softclan.dsm.testing.TestThreads;

/**
 * A connection's counters in the statistics files of both ends, as any process reads them: N messages sent by
 * another JVM show as N received here, and the bytes one end wrote into the other's ring are the bytes the
 * other read; with nobody reading, the sender's ring fills and its sends wait for room, which its counters say.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ConnectionStatsCrossProcessTest {
    private static final long N = 20_000;

    /** Sums the counters of one type over an endpoint's connections (one connection each here). */
    private static Map<Integer, Long> byType(final Fabric fabric, final String endpoint) {
        final Map<Integer, Long> m = new HashMap<>();
        final java.util.List<StatReader.EndpointSnapshot> all;
        try {
            all = StatReader.readAll(fabric.root());
        } catch (final java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        for (final StatReader.EndpointSnapshot s : all) {
            if (endpoint.equals(s.endpoint())) {
                for (final StatReader.Counter c : s.counters()) {
                    if (c.label().contains(", connection ")) {
                        m.merge(c.typeId(), c.value(), Long::sum);
                    }
                }
            }
        }
        return m;
    }

    @Test
    void nMessagesFromAnotherJvmShowAsNReceivedAndTheBytesAgreeOnBothSides() throws Exception {
        try (Fabric fabric = Fabric.createTemporary();
             Endpoint receiver = fabric.openEndpoint("receiver");
             Listener listener = Vmmc.listen(receiver, "stats", new ConnectionContext());
             JvmProcess sender = JvmProcess.start(MqSenderMain.class, fabric.root().toString(), "stats", Long.toString(N), "1")) {
            final Connection c = listener.accept(30, TimeUnit.SECONDS);
            assertNotNull(c, sender::transcript);
            long got = 0;
            final long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (got < N && System.nanoTime() < end) {
                got += c.receive((buf, off, len) -> { }, 1000, 100, TimeUnit.MILLISECONDS);
            }
            assertEquals(N, got);
            sender.expectLine("sent " + N, 30, TimeUnit.SECONDS);   // it waits for a line before closing
            final AtomicReference<Map<Integer, Long>> here = new AtomicReference<>();
            final AtomicReference<Map<Integer, Long>> there = new AtomicReference<>();
            TestThreads.awaitTrue(() -> {
                here.set(byType(fabric, "receiver"));
                there.set(byType(fabric, "sender-1"));
                return Long.valueOf(N).equals(here.get().get(StatTypes.CONNECTION_MESSAGES_RECEIVED))
                    && there.get().get(StatTypes.CONNECTION_BYTES_SENT) != null
                    && there.get().get(StatTypes.CONNECTION_BYTES_SENT).equals(here.get().get(StatTypes.CONNECTION_BYTES_RECEIVED));
            }, 10, TimeUnit.SECONDS);
            final Map<Integer, Long> mine = here.get();
            final Map<Integer, Long> theirs = there.get();
            assertEquals(N, mine.get(StatTypes.CONNECTION_MESSAGES_RECEIVED), "messages received, here: " + mine);
            assertTrue(mine.get(StatTypes.CONNECTION_BYTES_RECEIVED) > N * 8, mine.toString());
            assertEquals(mine.get(StatTypes.CONNECTION_BYTES_RECEIVED), theirs.get(StatTypes.CONNECTION_BYTES_SENT),
                "bytes the sender wrote into this end's ring = bytes read here; sender " + theirs + ", here " + mine);
            assertEquals(0L, mine.get(StatTypes.CONNECTION_STATE), "open");
            sender.send("");
        }
    }

    @Test
    void aSenderWhosePeerDoesNotReadShowsItsRingFullAndItsWaitsForRoom() throws Exception {
        try (Fabric fabric = Fabric.createTemporary();
             Endpoint receiver = fabric.openEndpoint("receiver");
             Endpoint senderEnd = fabric.openEndpoint("sender");
             Listener listener = Vmmc.listen(receiver, "full", new ConnectionContext().ringCapacity(4096))) {
            final java.util.concurrent.CompletableFuture<Connection> cf = java.util.concurrent.CompletableFuture.supplyAsync(
                () -> Vmmc.connect(senderEnd, "full", new ConnectionContext().ringCapacity(4096), 10, TimeUnit.SECONDS));
            final Connection server = listener.accept(10, TimeUnit.SECONDS);
            final Connection client = cf.get(10, TimeUnit.SECONDS);
            final byte[] m = new byte[1000];
            int sent = 0;
            while (client.offer(m, 0, m.length)) {
                sent++;
            }
            assertTrue(sent > 0);
            try {
                client.send(m, 0, m.length, 50, TimeUnit.MILLISECONDS);
            } catch (final SendTimeoutException expected) {
                // nobody reads: the send waited for room and gave up
            }
            final AtomicReference<Map<Integer, Long>> there = new AtomicReference<>();
            TestThreads.awaitTrue(() -> {
                there.set(byType(fabric, "sender"));
                return Long.valueOf(1).equals(there.get().get(StatTypes.CONNECTION_ROOM_WAITS));
            }, 10, TimeUnit.SECONDS);
            final Map<Integer, Long> theirs = there.get();
            assertEquals(1L, theirs.get(StatTypes.CONNECTION_ROOM_WAITS), theirs.toString());
            assertTrue(theirs.get(StatTypes.CONNECTION_IN_FLIGHT) >= sent * 1000L, "the ring's fill: " + theirs);
            server.close();
            client.close();
        }
    }
}
