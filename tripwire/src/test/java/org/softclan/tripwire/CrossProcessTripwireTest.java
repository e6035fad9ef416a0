package org.softclan.tripwire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.InboundMapping;
import org.softclan.dsm.testing.JvmProcess;

/** Tripwires fired by writes from another JVM ({@link WriterMain}); this JVM owns the region. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CrossProcessTripwireTest {
    private Fabric fabric;
    private Endpoint owner;
    private InboundMapping in;
    private TripwireUnit unit;
    private JvmProcess writer;
    private final List<long[]> events = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        fabric = Fabric.createTemporary();
        owner = fabric.openEndpoint("owner");
        in = owner.export("watched", 1 << 20);
        unit = TripwireUnit.open(owner);
        writer = JvmProcess.start(WriterMain.class, fabric.root().toString(), "watched");
        writer.expectLine("ready", 30, TimeUnit.SECONDS);
    }

    @AfterEach
    void tearDown() {
        writer.close();
        unit.close();
        fabric.close();
    }

    private void run(final String command) throws InterruptedException {
        writer.send(command);
        final String answer = writer.expectLine("", 60, TimeUnit.SECONDS);
        if (answer.startsWith("error")) {
            throw new AssertionError(command + ": " + answer);
        }
    }

    private int drain() {
        return unit.events().poll((seq, id, cookie, region, off, len, value) ->
            events.add(new long[] {id, cookie, off, len, value}), 100_000);
    }

    @Test
    void pioBulkAndDmaEachFireAPersistentTripwireOncePerWriteAndAOneShotOnce() throws Exception {
        final Tripwire pio = unit.arm(in, Tripwire.Options.word(0).cookie(1));
        final Tripwire pioOnce = unit.arm(in, Tripwire.Options.word(64).oneShot().cookie(2));
        final Tripwire bulk = unit.arm(in, Tripwire.Options.word(4096).cookie(3));
        final Tripwire bulkOnce = unit.arm(in, Tripwire.Options.word(4160).oneShot().cookie(4));
        final Tripwire dma = unit.arm(in, Tripwire.Options.word(200_000).cookie(5));
        final Tripwire dmaOnce = unit.arm(in, Tripwire.Options.word(200_064).oneShot().cookie(6));
        for (int i = 1; i <= 3; i++) {
            run("pio 0 " + i);
            run("pio 64 " + i);
            run("bulk 4096 128");
            run("dma 131072 131072");
        }
        drain();
        final long[] perCookie = new long[7];
        for (final long[] e : events) {
            perCookie[(int) e[1]]++;
        }
        assertEquals(3, perCookie[1], "persistent PIO");
        assertEquals(1, perCookie[2], "one-shot PIO");
        assertEquals(3, perCookie[3], "persistent bulk");
        assertEquals(1, perCookie[4], "one-shot bulk");
        assertEquals(3, perCookie[5], "persistent DMA");
        assertEquals(1, perCookie[6], "one-shot DMA");
        assertEquals(List.of(pio.id(), pioOnce.id(), bulk.id(), bulkOnce.id(), dma.id(), dmaOnce.id()).size(), 6);
        assertEquals(3, events.stream().filter(e -> e[1] == 1).mapToLong(e -> e[4]).max().orElse(-1),
            "the event carries the value written");
    }

    @Test
    void missesAndDisarmedTripwiresNeverFireAndConditionsFireOnlyWhenMet() throws Exception {
        final Tripwire disarmed = unit.arm(in, Tripwire.Options.word(512));
        unit.arm(in, Tripwire.Options.at(1000, 24).cookie(1));
        unit.arm(in, Tripwire.Options.word(2048).whenEquals(7).cookie(2));
        unit.arm(in, Tripwire.Options.word(2056).whenAtLeast(100).cookie(3));
        disarmed.disarm();
        run("pio 512 1");
        run("pio 992 1");
        run("pio 1024 1");
        run("pio 2048 6");
        run("pio 2056 99");
        assertEquals(0, drain());
        run("pio 1016 1");
        run("pio 2048 7");
        run("pio 2056 100");
        run("pio 2056 5000");
        assertEquals(4, drain());
        assertEquals(List.of(1L, 2L, 3L, 3L), events.stream().map(e -> e[1]).toList());
    }

    @Test
    void outboundTripwireFiresOnTheInitiatorsOwnDma() throws Exception {
        run("out-arm 65528");
        run("dma 0 65536");
        writer.send("out-events");
        assertEquals("events 1", writer.expectLine("events", 30, TimeUnit.SECONDS));
        assertEquals(0, drain(), "an outbound tripwire posts to its initiator, not to the owner");
    }

    @Test
    void aBlockedOwnerUsesNoCpuAndAWriteFromAnotherJvmWakesIt() throws Exception {
        final Path dir = fabric.root();
        try (JvmProcess blocked = JvmProcess.start(BlockedOwnerMain.class, List.of("-Xmx64m", "-XX:+UseSerialGC"),
            dir.toString(), "sleepy")) {
            blocked.expectLine("blocking", 30, TimeUnit.SECONDS);
            Thread.sleep(1000); // let the JVM's start-up work settle before measuring idleness
            final long before = cpuMillis(blocked.pid());
            Thread.sleep(5000); // measures idleness over a wall-clock window
            final long used = cpuMillis(blocked.pid()) - before;
            assertTrue(used < 50, "blocked JVM used " + used + " ms of CPU in 5 s");
            try (Endpoint w = fabric.openEndpoint("waker")) {
                w.importRegion("sleepy").putLongRelease(0, 77);
            }
            assertEquals("woken 77", blocked.expectLine("woken", 10, TimeUnit.SECONDS));
        }
    }

    /** utime + stime of a process, from /proc/PID/stat, in milliseconds (clock ticks of 10 ms). */
    static long cpuMillis(final long pid) throws Exception {
        final String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        final String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10;
    }
}
