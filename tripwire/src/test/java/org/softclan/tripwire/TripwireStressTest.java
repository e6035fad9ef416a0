package org.softclan.tripwire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.InboundMapping;
import org.softclan.dsm.testing.JvmProcess;

/**
 * Two writer JVMs, 10^6 writes each, alternating between a watched and an unwatched word; this JVM
 * owns the region and accounts for every watched write: delivered in order per writer with no
 * duplicate, or, while its small queue overflows (it stops polling for a while on purpose), counted
 * as lost on that writer's tripwire and recovered.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class TripwireStressTest {
    private static final int WRITES = 1_000_000;
    private static final long WATCHED = 0;
    private static final long UNWATCHED = 4096;

    @Test
    void everyWatchedWriteOfTwoWriterJvmsIsAccountedForInOrderThroughOverflow() throws Exception {
        try (Fabric fabric = Fabric.createTemporary();
             Endpoint owner = fabric.openEndpoint("owner");
             TripwireUnit unit = TripwireUnit.open(owner, new TripwireUnit.Context().queueCapacity(1 << 12))) {
            final InboundMapping in = owner.export("stress", 1 << 16);
            final Tripwire[] tw = {unit.arm(in, Tripwire.Options.word(WATCHED).cookie(0)),
                unit.arm(in, Tripwire.Options.word(WATCHED + 8).cookie(1))};
            final long[] next = new long[2];      // next expected i per writer (even numbers)
            final long[] delivered = new long[2];
            final long[] lost = new long[2];
            final long[] violations = new long[1];
            final EventHandler check = (seq, id, cookie, region, off, len, value) -> {
                final int w = (int) cookie;
                final long i = value & ((1L << 40) - 1);
                if (value >>> 40 != w || i < next[w] || (i & 1) != 0) {
                    violations[0]++;     // out of order, duplicated, or from the wrong writer
                }
                next[w] = i + 2;
                delivered[w]++;
            };
            try (JvmProcess a = JvmProcess.start(WriterMain.class, fabric.root().toString(), "stress");
                 JvmProcess b = JvmProcess.start(WriterMain.class, fabric.root().toString(), "stress")) {
                a.expectLine("ready", 30, TimeUnit.SECONDS);
                b.expectLine("ready", 30, TimeUnit.SECONDS);
                a.send("stress 0 " + WRITES + " " + WATCHED + " " + UNWATCHED);
                b.send("stress 1 " + WRITES + " " + WATCHED + " " + UNWATCHED);
                // stall until the queue has overflowed, so the loss path runs, then drain to the end
                final long stallUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (unit.events().overflowCount() == 0 && System.nanoTime() < stallUntil) {
                    Thread.onSpinWait();
                }
                assertTrue(unit.events().overflowCount() > 0, "the queue never overflowed");
                final long expectedEach = WRITES / 2;
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
                while (System.nanoTime() < deadline) {
                    unit.events().poll(check, 4096);
                    unit.recoverLost((t, n) -> lost[(int) t.cookie()] += n);
                    if (delivered[0] + lost[0] == expectedEach && delivered[1] + lost[1] == expectedEach) {
                        break;
                    }
                    unit.events().await(WaitStrategy.competitive(), 100, TimeUnit.MILLISECONDS);
                }
                a.expectLine("done", 60, TimeUnit.SECONDS);
                b.expectLine("done", 60, TimeUnit.SECONDS);
                unit.events().poll(check, Integer.MAX_VALUE);
                unit.recoverLost((t, n) -> lost[(int) t.cookie()] += n);
                assertEquals(0, violations[0], "events out of order, duplicated or misattributed");
                for (int w = 0; w < 2; w++) {
                    System.out.println("writer " + w + ": " + delivered[w] + " events delivered in order, " + lost[w]
                        + " lost to overflow and recovered");
                    assertEquals(expectedEach, delivered[w] + lost[w], "writer " + w + ": delivered " + delivered[w]
                        + " + lost " + lost[w]);
                    assertTrue(delivered[w] > 0);
                }
                assertEquals(unit.events().overflowCount(), lost[0] + lost[1], "every overflow is attributed");
                // after recovery, the queue delivers again
                in.putLong(0, 0);
                assertEquals(0, tw[0].lost());
            }
        }
    }
}
