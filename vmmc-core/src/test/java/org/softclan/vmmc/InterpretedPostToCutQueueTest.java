package org.softclan.vmmc;

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
 * A sender in a JVM that only interprets ({@code -Xint}) keeps firing the receiver's data tripwire, whose
 * events go to the receiver's event queue, while that queue's file is cut from outside. The interpreter's
 * compare-and-set on a cut page is a SIGBUS that kills the JVM (compiled code gets an InternalError instead;
 * {@code vmmc soak} met it in a client's first seconds): the sender must live on, its events lost.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class InterpretedPostToCutQueueTest {
    @Test
    void anInterpretedSenderSurvivesTheReceiversEventQueueBeingCut() throws Exception {
        try (Fabric fabric = Fabric.createTemporary();
             Endpoint server = fabric.openEndpoint("server");
             TripwireUnit unit = TripwireUnit.open(server);
             Listener listener = Vmmc.listen(server, "cutq", new ConnectionContext().mode(Connection.Mode.EVENTS)
                 .unit(unit).ringCapacity(1 << 20));
             JvmProcess sender = JvmProcess.start(MqSenderMain.class, List.of("-Xint"), fabric.root().toString(), "cutq",
                 "100000000", "1")) {
            final Connection c = listener.accept(60, TimeUnit.SECONDS);
            assertNotNull(c, "the interpreted sender connected");
            final long[] received = {0};
            final long warm = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (received[0] < 100 && System.nanoTime() < warm) {
                received[0] += c.poll((buf, off, len) -> { }, 1000);
            }
            assertTrue(received[0] >= 100, "only " + received[0] + " messages in 30 s");
            final RegionInfo q = fabric.regions(true).stream()
                .filter(r -> r.name().equals(unit.events().regionName())).findFirst().orElseThrow();
            try (RandomAccessFile f = new RandomAccessFile(q.file().toFile(), "rw")) {
                f.setLength(4096);   // the queue's slots are past this: the sender's next post would fault on them
            }
            final long before = received[0];
            final long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            while (System.nanoTime() < end && sender.handle().isAlive()) {
                received[0] += c.poll((buf, off, len) -> { }, 1000);
            }
            assertTrue(sender.handle().isAlive(), "the sender died (SIGBUS in an interpreted atomic?): "
                + sender.transcript());
            assertTrue(received[0] > before, "messages still arrive after the cut");
            System.out.println("interpreted sender alive 3 s after the receiver's queue was cut; messages " + before
                + " before, " + (received[0] - before) + " after");
        }
    }
}
