package org.softclan.tripwire.os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;
import java.util.concurrent.TimeUnit;

import net.openhft.chronicle.core.UnsafeMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.testing.JvmProcess;

/**
 * {@link Futex} between two JVMs: a {@link FutexWaiterMain} child exports a region and blocks on a
 * word of it; this JVM maps the same region file and wakes it.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class FutexCrossProcessTest {
    private static final String REGION = "futex";
    /** A quiet child JVM: one GC thread, a small heap. */
    private static final List<String> CHILD_FLAGS = List.of("-XX:+UseSerialGC", "-Xmx64m");
    private static final int WARM_UPS = 2_000;

    private Fabric fabric;

    @BeforeEach
    void setUp() {
        fabric = Fabric.createTemporary();
    }

    @AfterEach
    void tearDown() {
        fabric.close();
    }

    @Test
    void aBlockedWaiterUsesNoCpuAndAWakeFromAnotherProcessReleasesIt() throws Exception {
        assumeTrue(Futex.isAvailable(), Futex::describe);
        try (JvmProcess child = JvmProcess.start(FutexWaiterMain.class, CHILD_FLAGS, fabric.root().toString(), REGION,
            Integer.toString(WARM_UPS))) {
            assertTrue(child.expectLine("available ", 30, TimeUnit.SECONDS).startsWith("available true"),
                child::transcript);
            child.expectLine("waiting ", 30, TimeUnit.SECONDS);
            try (RegionFile file = RegionFile.map(fabric.root(), REGION)) {
                final long word = file.dataAddress(0);
                // idleness over a wall-clock window is what is measured, so this test sleeps: 1 s for the
                // child's compiler threads to settle, then 5 s of measurement
                Thread.sleep(1_000);
                final long cpu0 = ProcCpu.cpuNanos(child.pid());
                final long wall0 = System.nanoTime();
                Thread.sleep(5_000);
                final long cpu = ProcCpu.cpuNanos(child.pid()) - cpu0;
                final long wall = System.nanoTime() - wall0;
                System.out.printf("blocked futex waiter: %.1f ms CPU (whole JVM) in %.1f s (clock tick %d ms)%n",
                    cpu / 1e6, wall / 1e9, 1000 / ProcCpu.TICKS_PER_SECOND);
                assertTrue(cpu < TimeUnit.MILLISECONDS.toNanos(50),
                    "the waiting JVM used " + cpu / 1_000_000 + " ms of CPU in " + wall / 1_000_000 + " ms");

                UnsafeMemory.MEMORY.writeVolatileInt(word, 42);
                assertEquals(1, Futex.wake(word, 1), "the child was not blocked in the kernel on the shared word");
                child.expectLine("woken 42 WOKEN", 5, TimeUnit.SECONDS);
                assertEquals(0, child.waitFor(30, TimeUnit.SECONDS));
            }
        }
    }

    @Test
    void theFallbackWaiterInAnotherProcessReturnsWhenTheWordChanges() throws Exception {
        final List<String> flags = List.of("-XX:+UseSerialGC", "-Xmx64m", "-D" + Futex.DISABLE_PROPERTY + "=true");
        try (JvmProcess child = JvmProcess.start(FutexWaiterMain.class, flags, fabric.root().toString(), REGION,
            Integer.toString(WARM_UPS))) {
            assertTrue(child.expectLine("available ", 30, TimeUnit.SECONDS).startsWith("available false"),
                child::transcript);
            child.expectLine("waiting ", 30, TimeUnit.SECONDS);
            try (RegionFile file = RegionFile.map(fabric.root(), REGION)) {
                final long word = file.dataAddress(0);
                // informative only: what the 100 us parking slices cost while blocked
                Thread.sleep(500);
                final long cpu0 = ProcCpu.cpuNanos(child.pid());
                final long wall0 = System.nanoTime();
                Thread.sleep(1_000);
                final long cpu = ProcCpu.cpuNanos(child.pid()) - cpu0;
                System.out.printf("parking fallback waiter: %.1f ms CPU (whole JVM) in %.1f s%n", cpu / 1e6,
                    (System.nanoTime() - wall0) / 1e9);

                UnsafeMemory.MEMORY.writeVolatileInt(word, 42);
                // the fallback sleeps in the kernel on its own thread's parker, never on the shared word
                assertEquals(0, Futex.wake(word, 1));
                child.expectLine("woken 42 WOKEN", 5, TimeUnit.SECONDS);
                assertEquals(0, child.waitFor(30, TimeUnit.SECONDS));
            }
        }
    }
}
