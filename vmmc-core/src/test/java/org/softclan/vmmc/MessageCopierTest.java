package org.softclan.vmmc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.TimeUnit;

import net.openhft.chronicle.bytes.BytesStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.Fabric;

/** The copying sends on their own: claim, copy, commit, and a failed copy that publishes nothing. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MessageCopierTest {
    private static final long WAIT = TimeUnit.SECONDS.toNanos(5);

    private Fabric fabric;
    private Connection receiver;
    private Connection sender;
    private MessageCopier copier;

    @BeforeEach
    void setUp() throws Exception {
        fabric = Fabric.createTemporary();
        final ConnectedPair pair = ConnectedPair.open(fabric, "svc", new ConnectionContext().ringCapacity(4096));
        receiver = pair.accepted();
        sender = pair.connected();
        copier = new MessageCopier(sender,
            new ConnectionHealth(sender, sender.name(), sender.inbound(), sender.outbound()), sender.outbound());
    }

    @AfterEach
    void tearDown() {
        fabric.close();
    }

    @Test
    void everySourceKindArrivesAsOneMessageInOrderAndTheSendingRoleIsLeft() {
        assertTrue(copier.offer(new byte[] {9, 1, 2, 3}, 1, 3));
        copier.send(new byte[] {4, 5}, WAIT);
        copier.send(new byte[] {0, 6, 7, 0}, 1, 2, WAIT);
        final ByteBuffer buffer = ByteBuffer.wrap(new byte[] {8, 9, 10});
        buffer.position(1);
        copier.send(buffer, WAIT);
        assertEquals(3, buffer.position(), "the buffer's position moved past the bytes sent");
        final BytesStore<?, ?> store = BytesStore.wrap(new byte[] {11, 12, 13});
        assertTrue(copier.send(store, store.start() + 1, 2, Connection.NO_WAIT));
        assertTrue(sender.idle(), "every send committed its claim and left the sending role");

        final List<byte[]> got = ConnectedPair.drain(receiver, 5);
        assertArrayEquals(new byte[] {1, 2, 3}, got.get(0));
        assertArrayEquals(new byte[] {4, 5}, got.get(1));
        assertArrayEquals(new byte[] {6, 7}, got.get(2));
        assertArrayEquals(new byte[] {9, 10}, got.get(3));
        assertArrayEquals(new byte[] {12, 13}, got.get(4));
    }

    @Test
    void aFullRingMakesOffersAnswerFalseWithoutWritingAndWithoutHoldingAClaim() {
        final byte[] m = new byte[1000];
        int sent = 0;
        while (copier.offer(m, 0, m.length)) {
            sent++;
        }
        assertTrue(sent >= 3 && sent <= 4, "sent " + sent);
        final BytesStore<?, ?> store = BytesStore.wrap(m);
        assertFalse(copier.send(store, store.start(), m.length, Connection.NO_WAIT), "no room: back-pressured");
        assertTrue(sender.idle(), "a back-pressured offer leaves no claim open");
        assertThrows(SendTimeoutException.class, () -> copier.send(m, 0, m.length, 0));
        assertEquals(sent, ConnectedPair.drain(receiver, sent).size(), "nothing but the messages sent was published");
    }

    @Test
    void aCopyThatFailsPublishesNothingAndGivesUpTheClaim() {
        // a source array shorter than the claimed length: the copy is refused after the claim was made
        final RuntimeException e = assertThrows(RuntimeException.class, () -> copier.offer(new byte[4], 2, 8));
        assertFalse(e instanceof PeerGoneException, "a caller's mistake is not the peer's: " + e);
        assertTrue(sender.idle(), "the sending role was left");
        assertTrue(copier.offer(new byte[] {42}, 0, 1), "the claim was given up: a new one may be made");
        final List<byte[]> got = ConnectedPair.drain(receiver, 1);
        assertArrayEquals(new byte[] {42}, got.get(0), "the failed copy published nothing");
        assertFalse(receiver.hasMessage());
    }

    @Test
    void aClosedPeerIsToldAsPeerGone() {
        receiver.close();
        assertThrows(PeerGoneException.class, () -> copier.send(new byte[1], WAIT));
        assertTrue(sender.idle());
    }
}
