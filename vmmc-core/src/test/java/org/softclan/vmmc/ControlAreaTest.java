package org.softclan.vmmc;

import static org.softclan.dsm.testing.TestThreads.THREADS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.softclan.dsm.testing.Messages.assertMentions;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.ClosedException;
import org.softclan.dsm.Fabric;
import org.softclan.tripwire.WaitStrategy;

/** The control area lent to the layer above: where its words lie, the nudge, and the wait the nudge ends. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ControlAreaTest {
    private static final int WORD = 16;

    private Fabric fabric;
    private Connection waiter;
    private Connection nudger;

    @BeforeEach
    void setUp() throws Exception {
        fabric = Fabric.createTemporary();
        final ConnectedPair pair = ConnectedPair.open(fabric, "svc", new ConnectionContext());
        waiter = pair.accepted();
        nudger = pair.connected();
    }

    @AfterEach
    void tearDown() {
        fabric.close();
    }

    private static ControlArea control(final Connection c) {
        return new ControlArea(c, new ConnectionHealth(c, c.name(), c.inbound(), c.outbound()), c.outbound(),
            WaitStrategy.block(), c.unit());
    }

    @Test
    void controlWordsLieInTheControlAreaAndAnOffsetOutsideItIsRefusedNamingTheRange() {
        assertEquals(ReceiveRegionDescriptor.CONTROL_OFFSET, ControlArea.offset(0));
        final int last = ReceiveRegionDescriptor.CONTROL_LENGTH - 8;
        assertEquals(ReceiveRegionDescriptor.CONTROL_OFFSET + last, ControlArea.offset(last));
        assertTrue(ControlArea.offset(last) + 8 <= ReceiveRegionDescriptor.RING_OFFSET, "the last word ends before the ring");
        assertMentions(assertThrows(IllegalArgumentException.class, () -> ControlArea.offset(-1)), "-1", "0.." + last);
        assertMentions(assertThrows(IllegalArgumentException.class, () -> ControlArea.offset(last + 1)),
            String.valueOf(last + 1), "0.." + last);
        assertEquals(ControlArea.offset(WORD), Connection.controlOffset(WORD), "the connection's method is the same");
    }

    @Test
    void aWordStoredBeforeTheNudgeIsSeenByTheWaitTheNudgeEnds() throws Exception {
        final ControlArea waiting = control(waiter);
        final long at = ControlArea.offset(WORD);
        final CompletableFuture<Boolean> held = CompletableFuture.supplyAsync(
            () -> waiting.await(() -> waiter.inbound().getLongAcquire(at) == 7, TimeUnit.SECONDS.toNanos(30)), THREADS);
        nudger.outbound().putLong(at, 7);   // plain: the nudge's release store orders it
        control(nudger).nudge();
        assertTrue(held.get(20, TimeUnit.SECONDS), "the condition held once the nudge woke the wait");
    }

    @Test
    void aConditionThatNeverHoldsTimesOutAndAConditionThatHoldsReturnsAtOnce() {
        final ControlArea waiting = control(waiter);
        assertFalse(waiting.await(() -> false, TimeUnit.MILLISECONDS.toNanos(150)));
        assertTrue(waiting.await(() -> true, 0));
        assertTrue(waiter.idle(), "every wait left the close gate");
    }

    @Test
    void aWaitEndsWhenThePeerClosesAndAClosedEndRefusesToWaitOrNudge() throws Exception {
        final ControlArea waiting = control(waiter);
        final CompletableFuture<Boolean> held = CompletableFuture.supplyAsync(
            () -> waiting.await(() -> false, TimeUnit.SECONDS.toNanos(30)), THREADS);
        nudger.close();
        final Exception e = assertThrows(Exception.class, () -> held.get(20, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof PeerGoneException, "the peer closed: " + e.getCause());
        waiter.close();
        assertThrows(ClosedException.class, () -> waiting.await(() -> true, 0));
        assertThrows(ClosedException.class, () -> control(waiter).nudge());
    }
}
