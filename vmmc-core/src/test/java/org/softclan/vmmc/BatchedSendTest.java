package org.softclan.vmmc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.TimeUnit;

import net.openhft.chronicle.bytes.BytesStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.Fabric;

/**
 * Batched sends ({@link Connection#offerBatched}, {@link Connection#flush()}): nothing visible before the
 * publish, everything in order after it, one data tripwire event for the batch, and a full ring that
 * publishes what was batched instead of leaving it unseen.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BatchedSendTest {
    private Fabric fabric;
    private Connection receiver;
    private Connection sender;

    @BeforeEach
    void setUp() throws Exception {
        fabric = Fabric.createTemporary();
        // the server's end posts an event per publish of its write pointer: what a batch saves is countable
        final ConnectedPair pair = ConnectedPair.open(fabric, "svc",
            new ConnectionContext().ringCapacity(4096).mode(Connection.Mode.EVENTS));
        receiver = pair.accepted();
        sender = pair.connected();
    }

    @AfterEach
    void tearDown() {
        fabric.close();
    }

    private static BytesStore<?, ?> message(final int i) {
        return BytesStore.wrap(new byte[] {(byte) i, (byte) (i >> 8), 7});
    }

    private int drainEvents() {
        return receiver.unit().events().poll((seq, id, cookie, region, off, len, value) -> { }, Integer.MAX_VALUE);
    }

    @Test
    void aBatchIsSeenWholeAfterItsFlushWithOneEvent() {
        drainEvents();
        for (int i = 0; i < 10; i++) {
            final BytesStore<?, ?> m = message(i);
            assertTrue(sender.offerBatched(m, m.start(), 3), "message " + i + " fits");
        }
        assertFalse(receiver.hasMessage(), "nothing is visible before the batch is published");
        assertEquals(0, drainEvents(), "no tripwire fired before the publish");
        assertTrue(sender.flush());
        assertFalse(sender.flush(), "a second flush has nothing to publish");
        assertEquals(1, drainEvents(), "one event for the whole batch");
        final List<byte[]> got = ConnectedPair.drain(receiver, 10);
        for (int i = 0; i < 10; i++) {
            assertArrayEquals(new byte[] {(byte) i, 0, 7}, got.get(i), "message " + i + " in order");
        }
        assertTrue(sender.idle(), "the batched sends left the sending role");
    }

    @Test
    void anOrdinarySendPublishesTheBatchBeforeIt() {
        drainEvents();
        final BytesStore<?, ?> a = message(1);
        assertTrue(sender.offerBatched(a, a.start(), 3));
        assertTrue(sender.offer(new byte[] {2, 0, 7}, 0, 3));
        assertEquals(1, drainEvents(), "the batch and the send: one publish");
        final List<byte[]> got = ConnectedPair.drain(receiver, 2);
        assertArrayEquals(new byte[] {1, 0, 7}, got.get(0));
        assertArrayEquals(new byte[] {2, 0, 7}, got.get(1));
        assertFalse(sender.flush(), "nothing left to publish");
    }

    @Test
    void aRoomCheckThatFindsNoRoomPublishesTheBatch() {
        final byte[] big = new byte[1000];
        final BytesStore<?, ?> m = BytesStore.wrap(big);
        for (int i = 0; i < 3; i++) {
            assertTrue(sender.offerBatched(m, m.start(), big.length));
        }
        assertFalse(receiver.hasMessage());
        // no room for 1500 more in a 4 KiB ring: a waiter for room would wait for a reader that sees nothing
        assertFalse(sender.hasRoomOrAsk(1500));
        assertTrue(receiver.hasMessage(), "the check published what was batched");
        assertEquals(3, ConnectedPair.drain(receiver, 3).size());
    }

    @Test
    void aFullRingPublishesTheBatchRatherThanHideIt() {
        final byte[] big = new byte[1000];
        final BytesStore<?, ?> m = BytesStore.wrap(big);
        int written = 0;
        while (sender.offerBatched(m, m.start(), big.length)) {
            written++;
            assertTrue(written < 10, "a 4 KiB ring takes fewer than 10 messages of 1000 bytes");
        }
        assertTrue(written >= 2, written + " written");
        assertTrue(receiver.hasMessage(), "the offer that found no room published what was batched");
        assertFalse(sender.flush(), "nothing left to publish");
        assertEquals(written, ConnectedPair.drain(receiver, written).size());
        // the reader made room: the blocking send goes through
        sender.send(big, 5, TimeUnit.SECONDS);
        assertEquals(1, ConnectedPair.drain(receiver, 1).size());
    }
}
