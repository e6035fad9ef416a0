package org.softclan.vmmc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.RegionInfo;
import org.softclan.dsm.testing.JvmProcess;
import org.softclan.tripwire.TripwireUnit;

/**
 * A sender in a JVM that only interprets ({@code -Xint}) fires the receiver's data tripwire with every
 * message, whose events go to the receiver's event queue; the queue's file is cut from outside while the
 * sender is between two batches. The interpreter's compare-and-set on a cut page is a SIGBUS that kills
 * the JVM (compiled code gets an InternalError instead; {@code vmmc soak} met it in a client's first
 * seconds): the sender's next posts must find the cut first, and the sender live on, its events lost.
 * A cut that lands between that check and the compare-and-set can still kill an interpreted post (see
 * {@code EventQueue.post}); this test cuts while the sender is idle, so it fails only if the check is missing.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class InterpretedPostToCutQueueTest {
    private static final int STEP = 200;

    @Test
    void anInterpretedSenderSurvivesTheReceiversEventQueueBeingCut() throws Exception {
        try (Fabric fabric = Fabric.createTemporary();
             Endpoint server = fabric.openEndpoint("server");
             TripwireUnit unit = TripwireUnit.open(server);
             Listener listener = Vmmc.listen(server, "cutq", new ConnectionContext().mode(Connection.Mode.EVENTS)
                 .unit(unit).ringCapacity(1 << 20));
             JvmProcess sender = JvmProcess.start(SteppedSenderMain.class, List.of("-Xint"), fabric.root().toString(),
                 "cutq", String.valueOf(STEP))) {
            final Connection c = listener.accept(60, TimeUnit.SECONDS);
            assertNotNull(c, "the interpreted sender connected");
            sender.expectLine("connected", 60, TimeUnit.SECONDS);
            sender.send("send");
            sender.expectLine("sent " + STEP, 60, TimeUnit.SECONDS);
            final long before = drain(c, STEP);
            assertEquals(STEP, before, "messages before the cut");
            final RegionInfo q = fabric.regions(true).stream()
                .filter(r -> r.name().equals(unit.events().regionName())).findFirst().orElseThrow();
            try (RandomAccessFile f = new RandomAccessFile(q.file().toFile(), "rw")) {
                f.setLength(4096);   // the queue's words are past this: the sender's next post would fault on them
            }
            sender.send("send");
            try {
                sender.expectLine("sent " + 2 * STEP, 60, TimeUnit.SECONDS);
            } catch (final AssertionError died) {
                throw new AssertionError("the sender died (SIGBUS in an interpreted atomic?): " + died.getMessage(), died);
            }
            assertTrue(sender.handle().isAlive(), "the sender is alive: " + sender.transcript());
            final long after = drain(c, STEP);
            assertEquals(STEP, after, "messages after the cut (their events lost, the ring intact)");
            System.out.println("interpreted sender alive after the receiver's queue was cut; messages " + before
                + " before, " + after + " after");
            sender.send("close");
        }
    }

    /** Polls the ring (not the cut queue) until {@code expected} messages came or 30 s passed. */
    private static long drain(final Connection c, final long expected) {
        final long[] received = {0};
        final long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (received[0] < expected && System.nanoTime() < end) {
            received[0] += c.poll((buf, off, len) -> { }, 1000);
        }
        return received[0];
    }
}
