package org.softclan.vmmc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.softclan.dsm.testing.Messages.assertMentions;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.testing.JvmProcess;
import org.softclan.tripwire.TripwireUnit;
import org.softclan.tripwire.WaitStrategy;

/** Message queues between JVMs: senders are {@link MqSenderMain} processes, this JVM receives. */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class MessageQueueCrossProcessTest {
    private Fabric fabric;
    private Endpoint receiver;

    @BeforeEach
    void setUp() {
        fabric = Fabric.createTemporary();
        receiver = fabric.openEndpoint("receiver");
    }

    @AfterEach
    void tearDown() {
        fabric.close();
    }

    /** Checks message i of a sender, byte for byte. */
    private static void check(final org.softclan.dsm.testing.JvmProcess unused, final byte[] got, final int sender,
                              final long i) {
        assertArrayEquals(MqSenderMain.message(sender, i), got, "sender " + sender + " message " + i);
    }

    @Test
    void aMillionVariableSizeMessagesArriveInOrderIntactThroughAFullRingAndABlockedSender() throws Exception {
        final long n = 1_000_000;
        try (Listener listener = Vmmc.listen(receiver, "mq", new ConnectionContext());
             JvmProcess sender = JvmProcess.start(MqSenderMain.class, fabric.root().toString(), "mq", Long.toString(n), "0")) {
            final Connection c = listener.accept(30, TimeUnit.SECONDS);
            assertNotNull(c, sender::transcript);
            final long[] next = {0};
            final byte[] buf = new byte[1024];
            while (next[0] < n) {
                if (next[0] % 200_000 == 100_000) {
                    Thread.sleep(50); // a slow receiver: the ring fills and the sender blocks
                }
                c.receive((store, off, len) -> {
                    store.read(off, buf, 0, len);
                    final byte[] expected = MqSenderMain.message(0, next[0]);
                    assertEquals(expected.length, len, "length of message " + next[0]);
                    for (int k = 0; k < len; k++) {
                        if (buf[k] != expected[k]) {
                            throw new AssertionError("message " + next[0] + " differs at byte " + k);
                        }
                    }
                    next[0]++;
                }, 1000, 10, TimeUnit.SECONDS);
            }
            final String sent = sender.expectLine("sent", 60, TimeUnit.SECONDS);
            final long blocked = Long.parseLong(sent.substring(sent.lastIndexOf(' ') + 1));
            assertTrue(blocked > 0, "the sender never found the ring full: " + sent);
            assertEquals(0, c.poll((s, o, l) -> { }, 10), "nothing more than was sent");
            sender.send("bye");
            c.close();
        }
    }

    @Test
    void manySenderProcessesToOneReceiverEachInOrder() throws Exception {
        final int senders = 3;
        final long n = 50_000;
        try (TripwireUnit unit = TripwireUnit.open(receiver);
             Listener listener = Vmmc.listen(receiver, "many", new ConnectionContext().unit(unit)
                 .mode(Connection.Mode.EVENTS))) {
            final List<JvmProcess> ps = new ArrayList<>();
            try {
                for (int s = 0; s < senders; s++) {
                    ps.add(JvmProcess.start(MqSenderMain.class, fabric.root().toString(), "many", Long.toString(n),
                        Integer.toString(s)));
                }
                final Map<Long, Connection> byId = new HashMap<>();
                for (int s = 0; s < senders; s++) {
                    final Connection c = listener.accept(30, TimeUnit.SECONDS);
                    assertNotNull(c, () -> "a sender did not connect within 30 s; the senders said:\n"
                        + ps.stream().map(JvmProcess::transcript).collect(java.util.stream.Collectors.joining("\n---\n")));
                    byId.put(c.id(), c);
                }
                final long[] next = new long[senders];
                long total = 0;
                while (total < senders * n) {
                    unit.events().await(WaitStrategy.competitive(), 1, TimeUnit.SECONDS);
                    unit.events().poll((seq, id, cookie, r, o, l, v) -> { }, Integer.MAX_VALUE);
                    for (final Connection c : byId.values()) {
                        total += c.poll((store, off, len) -> {
                            final int sender = len >= 12 ? store.readInt(off + 8) : -1;
                            if (sender >= 0) {
                                final byte[] got = new byte[len];
                                store.read(off, got, 0, len);
                                final long i = store.readLong(off);
                                // messages shorter than 12 bytes carry no numbers: only those may lie between
                                for (long skipped = next[sender]; skipped < i; skipped++) {
                                    assertTrue(MqSenderMain.message(sender, skipped).length < 12,
                                        "sender " + sender + ": message " + skipped + " missing or out of order");
                                }
                                check(null, got, sender, i);
                                next[sender] = i + 1;
                            }
                        }, 10_000);
                    }
                }
                for (final JvmProcess p : ps) {
                    p.expectLine("sent", 60, TimeUnit.SECONDS);
                }
                for (int s = 0; s < senders; s++) {
                    assertTrue(next[s] >= n - 2, "sender " + s + " reached " + next[s]);
                }
            } finally {
                for (final JvmProcess p : ps) {
                    p.close();
                }
            }
        }
    }

    @Test
    void oneEventQueueWatchesAThousandQueues() throws Exception {
        final int queues = 1000;
        try (TripwireUnit unit = TripwireUnit.open(receiver);
             Listener listener = Vmmc.listen(receiver, "wide", new ConnectionContext().unit(unit)
                 .mode(Connection.Mode.EVENTS).ringCapacity(4096));
             JvmProcess sender = JvmProcess.start(MqSenderMain.class, List.of("-Xmx512m"), fabric.root().toString(),
                 "wide", "3", "7", Integer.toString(queues))) {
            final Map<Long, Connection> byId = new HashMap<>();
            for (int q = 0; q < queues; q++) {
                final Connection c = listener.accept(60, TimeUnit.SECONDS);
                assertNotNull(c, "accepted " + q + "\n" + sender.transcript());
                byId.put(c.id(), c);
            }
            final Map<Long, Integer> got = new HashMap<>();
            int total = 0;
            while (total < 3 * queues) {
                assertTrue(unit.events().await(WaitStrategy.competitive(), 30, TimeUnit.SECONDS), "events stopped");
                final List<Long> ready = new ArrayList<>();
                unit.events().poll((seq, id, cookie, r, o, l, v) -> ready.add(cookie), Integer.MAX_VALUE);
                for (final Long id : ready) {
                    final Connection c = byId.get(id);
                    assertNotNull(c, "event for unknown connection " + id);
                    final int n = c.poll((s, o, l) -> { }, 100);
                    got.merge(id, n, Integer::sum);
                    total += n;
                }
            }
            assertEquals(queues, got.size());
            assertTrue(got.values().stream().allMatch(v -> v == 3), "every queue delivered its 3 messages");
            assertEquals(0, unit.events().overflowCount());
            sender.expectLine("sent", 60, TimeUnit.SECONDS);
        }
    }

    @Test
    void aSenderWhoseReceiverDiesGetsAnErrorNotAHang() throws Exception {
        final Endpoint sender = fabric.openEndpoint("sender");
        try (JvmProcess rx = JvmProcess.start(MqReceiverMain.class, fabric.root().toString(), "doomed")) {
            rx.expectLine("listening", 30, TimeUnit.SECONDS);
            final Connection c = Vmmc.connect(sender, "doomed", new ConnectionContext().ringCapacity(4096), 30,
                TimeUnit.SECONDS);
            final byte[] m = new byte[1000];
            while (c.offer(m, 0, m.length)) {
                // fill the ring: the receiver never reads
            }
            rx.kill();
            final long start = System.nanoTime();
            final PeerGoneException e = assertThrows(PeerGoneException.class, () -> c.send(m, 60, TimeUnit.SECONDS));
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10), "took too long to notice");
            assertMentions(e, "died");
            c.close();
        }
    }
}
