package org.softclan.vmmc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.softclan.dsm.testing.Messages.assertMentions;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.ClosedException;
import org.softclan.dsm.Fabric;

/** The liveness checks of a connection: the peer's closed flag, a recorded violation, a closed end. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConnectionHealthTest {
    private Fabric fabric;
    private Connection near;
    private Connection far;
    private ConnectionHealth health;

    @BeforeEach
    void setUp() throws Exception {
        fabric = Fabric.createTemporary();
        final ConnectedPair pair = ConnectedPair.open(fabric, "svc", new ConnectionContext());
        near = pair.accepted();
        far = pair.connected();
        health = new ConnectionHealth(near, near.name(), near.inbound(), near.outbound());
    }

    @AfterEach
    void tearDown() {
        fabric.close();
    }

    @Test
    void aLivePeerPassesEveryCheck() {
        assertFalse(health.peerClosed());
        health.checkPeerClosed();
        health.checkSendable();
        health.checkAlive();
        health.checkPeer();
        assertTrue(near.idle(), "checkPeer left the close gate");
    }

    @Test
    void aPeerThatClosedIsToldAsClosedByEveryCheck() {
        far.close();
        assertTrue(health.peerClosed());
        assertMentions(assertThrows(PeerGoneException.class, health::checkPeerClosed), "closed the connection");
        assertMentions(assertThrows(PeerGoneException.class, health::checkSendable), "closed the connection");
        assertMentions(assertThrows(PeerGoneException.class, health::checkAlive), "closed the connection");
        assertMentions(assertThrows(PeerGoneException.class, health::checkPeer), "closed the connection");
        assertMentions(health.peerGone(), "closed the connection");
        assertTrue(near.idle());
    }

    @Test
    void aRecordedViolationBreaksTheConnectionForSendsAndEveryLaterCall() {
        final PeerProtocolException v = health.violation("ring of 'r'", "write pointer (offset 0)", 13, "it must be aligned");
        assertMentions(v, "write pointer (offset 0)", "13", "it must be aligned");
        assertEquals(v.getMessage(), assertThrows(PeerProtocolException.class, health::checkSendable).getMessage());
        assertEquals(v.getMessage(), assertThrows(PeerProtocolException.class, health::peerClosed).getMessage());
        health.violation("ring of 'r'", "record length", 99, "a later one");
        assertEquals(v.getMessage(), assertThrows(PeerProtocolException.class, near::checkOpen).getMessage(),
            "the first violation is kept");
    }

    @Test
    void aClosedEndRefusesTheChecksOfAThreadOutsideIt() {
        near.close();
        assertThrows(ClosedException.class, health::checkPeer);
        assertThrows(ClosedException.class, health::peerClosed);
    }
}
