package org.softclan.vmmc;

import static org.softclan.dsm.testing.TestThreads.THREADS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.softclan.dsm.testing.Messages.assertMentions;

import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;

/** Connections and message queues between two endpoints of one JVM (the cross-process tests use two JVMs). */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConnectionTest {
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

    private Connection[] pair(final ConnectionContext ctx) throws Exception {
        try (Listener listener = Vmmc.listen(server, "svc", ctx)) {
            final CompletableFuture<Connection> c = CompletableFuture.supplyAsync(
                () -> Vmmc.connect(client, "svc", ctx, 10, TimeUnit.SECONDS), THREADS);
            final Connection s = listener.accept(10, TimeUnit.SECONDS);
            assertNotNull(s);
            return new Connection[] {s, c.get(10, TimeUnit.SECONDS)};
        }
    }

    /**
     * The window between a close setting the closed flag and running its sequence: a sender that enters
     * then and leaves (finding the flag) must not release the mappings, which the close is about to use
     * (its disarm reads the tripwire table in the receive region). It once did, and a soak worker died of
     * SIGSEGV in that read. The test stops a close in that window by setting the flag itself.
     */
    @Test
    void aSenderLeavingBetweenTheCloseFlagAndTheCloseSequenceLeavesTheMappingsToTheClose() throws Exception {
        final Connection c = pair(new ConnectionContext())[1];
        assertTrue(c.markClosed(), "the first close");
        assertThrows(org.softclan.dsm.ClosedException.class, () -> c.send(new byte[8], 0, 8, 0, TimeUnit.MILLISECONDS));
        assertFalse(c.inbound().isClosed(), "a sender that found the flag unmapped the receive region under the close");
        assertFalse(c.outbound().isClosed(), "a sender that found the flag unmapped the peer's region under the close");
        final java.lang.reflect.Field closer = Connection.class.getDeclaredField("closer");
        closer.setAccessible(true);
        ((ConnectionCloser) closer.get(c)).close(true);   // the rest of that first close
        assertTrue(c.inbound().isClosed() && c.outbound().isClosed(), "the close released both mappings");
    }

    @Test
    void heldRecordsKeepTheirBytesUntilReleasedInAnyOrderAndThenTheSenderGetsTheRoom() throws Exception {
        final Connection[] p = pair(new ConnectionContext().ringCapacity(4096));
        final int size = 1000;   // four records fill the 4 KiB ring
        final long[] tokens = new long[4];
        final long[] offsets = new long[4];
        for (int i = 0; i < 4; i++) {
            final byte[] m = new byte[size];
            java.util.Arrays.fill(m, (byte) (i + 1));
            assertTrue(p[1].offer(m, 0, size), "record " + i + " fits");
            final int k = i;
            assertEquals(1, p[0].poll((buf, off, len) -> {
                tokens[k] = p[0].hold();
                offsets[k] = off;
            }, 1));
        }
        assertEquals(4, p[0].held());
        assertFalse(p[1].offer(new byte[size], 0, size), "every record is held: no room");
        // release the newest three, out of order: the oldest still holds the ring's head
        p[0].release(tokens[2]);
        p[0].release(tokens[3]);
        p[0].release(tokens[1]);
        assertEquals(1, p[0].held());
        assertFalse(p[1].offer(new byte[size], 0, size), "the oldest record is still held");
        for (int i = 0; i < 4; i++) {
            assertEquals((byte) (i + 1), p[0].inbound().localBytes().readByte(offsets[i] + size - 1),
                "record " + i + "'s bytes were not overwritten while the oldest was held");
        }
        p[0].release(tokens[0]);
        assertEquals(0, p[0].held());
        assertThrows(IllegalArgumentException.class, () -> p[0].release(1L << 40), "never a held record");
        p[1].send(new byte[size], 5, TimeUnit.SECONDS);   // room now: the bound moved past all four
        assertEquals(1, ConnectedPair.drain(p[0], 1).size());
    }

    @Test
    void messagesOfEverySizeArriveInOrderBothWaysAcrossManyWrapArounds() throws Exception {
        final Connection[] p = pair(new ConnectionContext().ringCapacity(4096));
        final Random rnd = new Random(1);
        for (int round = 0; round < 2000; round++) {
            final byte[] m = new byte[rnd.nextInt(p[1].maxMessage() + 1)];
            rnd.nextBytes(m);
            p[1].send(m, 5, TimeUnit.SECONDS);
            assertArrayEquals(m, ConnectedPair.drain(p[0], 1).get(0));
            p[0].send(m, 5, TimeUnit.SECONDS);
            assertArrayEquals(m, ConnectedPair.drain(p[1], 1).get(0));
        }
    }

    @Test
    void aSenderShortOfRoomByThePublishedPointerFindsItWhereTheDrainedReceiverLeftItsPosition() throws Exception {
        // 4 KiB ring: a drained ring's read position is published into the sender's memory only once
        // 1 KiB has been read since the last time; below that it stays in the receiver's own memory
        final Connection[] p = pair(new ConnectionContext().ringCapacity(4096));
        final Connection receiver = p[0];
        final Connection sender = p[1];
        final byte[] big = new byte[2000];
        sender.send(big, 5, TimeUnit.SECONDS);   // record of 2008 bytes: published when read
        assertEquals(1, ConnectedPair.drain(receiver, 1).size());
        final byte[] small = new byte[100];
        for (int i = 0; i < 8; i++) {   // 8 x 112 = 896 bytes, read and left unpublished
            sender.send(small, 5, TimeUnit.SECONDS);
            assertEquals(1, ConnectedPair.drain(receiver, 1).size());
        }
        // at ring index 2904 a 2040-byte record (2048) must wrap, which needs 1192 + 2048 bytes free:
        // by the published pointer (2008) only 3200 are; by the receiver's own record (2904) all 4096 are
        final byte[] max = new byte[2040];
        max[0] = 42;
        assertTrue(sender.offer(net.openhft.chronicle.bytes.BytesStore.wrap(max), 0, max.length),
            "room is found without waiting and without the receiver publishing");
        final List<byte[]> got = ConnectedPair.drain(receiver, 1);
        assertEquals(2040, got.get(0).length);
        assertEquals(42, got.get(0)[0]);
    }

    @Test
    void aFullRingRefusesOffersAndMakesSendsWaitWithoutOverwriting() throws Exception {
        final Connection[] p = pair(new ConnectionContext().ringCapacity(4096));
        final byte[] m = new byte[1000];
        int sent = 0;
        while (p[1].offer(m, 0, m.length)) {
            m[0] = (byte) ++sent;
        }
        assertTrue(sent >= 3 && sent <= 4, "sent " + sent);
        assertThrows(SendTimeoutException.class, () -> p[1].send(m, 50, TimeUnit.MILLISECONDS));
        final CompletableFuture<Void> blocked = CompletableFuture.runAsync(() -> p[1].send(new byte[] {42}, 10,
            TimeUnit.SECONDS), THREADS);
        final List<byte[]> got = ConnectedPair.drain(p[0], sent + 1);
        blocked.get(10, TimeUnit.SECONDS);
        for (int i = 0; i < sent; i++) {
            assertEquals(i, got.get(i)[0], "message " + i);
        }
        assertEquals(42, got.get(sent)[0]);
    }

    @Test
    void oversizedMessagesAreRefusedNamingTheLimit() throws Exception {
        final Connection[] p = pair(new ConnectionContext().ringCapacity(4096));
        assertMentions(assertThrows(IllegalArgumentException.class, () -> p[1].offer(new byte[3000], 0, 3000)),
            "3000 bytes", "2040");
    }

    @Test
    void closingOneEndIsSeenByThePeerAfterWhatWasSent() throws Exception {
        final Connection[] p = pair(new ConnectionContext());
        p[1].send(new byte[] {1}, 1, TimeUnit.SECONDS);
        p[1].close();
        assertEquals(1, ConnectedPair.drain(p[0], 1).size());
        assertMentions(assertThrows(PeerGoneException.class, () -> p[0].poll((b, o, l) -> { }, 1)), "closed");
        assertThrows(PeerGoneException.class, () -> p[0].send(new byte[1], 1, TimeUnit.SECONDS));
        assertTrue(p[0].peerClosed());
    }

    @Test
    void connectingToANameNobodyListensOnFails() {
        assertMentions(assertThrows(ConnectException.class,
            () -> Vmmc.connect(client, "nobody", new ConnectionContext(), 1, TimeUnit.SECONDS)), "'nobody'");
    }

    @Test
    void aRefusedRequestTellsTheClientWhy() throws Exception {
        try (Listener listener = Vmmc.listen(server, "picky", new ConnectionContext())) {
            final CompletableFuture<Connection> c = CompletableFuture.supplyAsync(
                () -> Vmmc.connect(client, "picky", new ConnectionContext(), 10, TimeUnit.SECONDS), THREADS);
            assertTrue(listener.refuse(7, 10, TimeUnit.SECONDS));
            final Exception e = assertThrows(Exception.class, () -> c.get(10, TimeUnit.SECONDS));
            assertMentions(e.getCause(), "refused", "reason 7");
        }
    }

    @Test
    void acceptTimesOutWithoutRequestsAndConnectTimesOutWithoutAccept() {
        try (Listener listener = Vmmc.listen(server, "slow", new ConnectionContext())) {
            assertEquals(null, listener.accept(50, TimeUnit.MILLISECONDS));
            assertThrows(ConnectException.class,
                () -> Vmmc.connect(client, "slow", new ConnectionContext(), 200, TimeUnit.MILLISECONDS));
            assertFalse(listener.accept(50, TimeUnit.MILLISECONDS) != null, "the abandoned request was withdrawn");
        }
    }

    @Test
    void manyConnectionsCanComeAndGoFromOneProcess() throws Exception {
        for (int i = 0; i < 40; i++) {
            final Connection[] p = pair(new ConnectionContext().ringCapacity(4096));
            p[1].send(new byte[] {(byte) i}, 1, TimeUnit.SECONDS);
            assertEquals(i, ConnectedPair.drain(p[0], 1).get(0)[0]);
            p[0].close();
            p[1].close();
        }
    }
}
