package org.softclan.tripwire.os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import net.openhft.chronicle.core.UnsafeMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.testing.JvmProcess;

/**
 * Measures, and prints (nothing is asserted about timing): the cost of a futex wake nobody waits
 * for, the round-trip latency of a futex ping-pong between two JVMs, and the cost of
 * {@link Membarrier#globalBarrier()}. The figures land in this test's surefire output file.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class OsLatencyTest {
    private static final int WARM_UP_ROUNDS = 2_000;
    private static final int ROUNDS = 10_000;

    @Test
    void futexWakeWithNoWaiter() {
        assumeTrue(Futex.isAvailable(), Futex::describe);
        final long block = UnsafeMemory.UNSAFE.allocateMemory(128);
        try {
            final long word = (block + 63) & ~63L;
            final int batches = 200;
            final int perBatch = 1_000;
            final long[] nanosPerCall = new long[batches];
            for (int i = 0; i < 20_000; i++) {
                Futex.wake(word, 1);
            }
            for (int b = 0; b < batches; b++) {
                final long t0 = System.nanoTime();
                for (int i = 0; i < perBatch; i++) {
                    Futex.wake(word, 1);
                }
                nanosPerCall[b] = (System.nanoTime() - t0) / perBatch;
            }
            Arrays.sort(nanosPerCall);
            System.out.printf("futex wake, no waiter: median %d ns/call, min %d ns (%d batches of %d)%n",
                nanosPerCall[batches / 2], nanosPerCall[0], batches, perBatch);
        } finally {
            UnsafeMemory.UNSAFE.freeMemory(block);
        }
    }

    @Test
    void futexPingPongBetweenTwoJvms() throws Exception {
        assumeTrue(Futex.isAvailable(), Futex::describe);
        try (Fabric fabric = Fabric.createTemporary();
             JvmProcess child = JvmProcess.start(FutexPingPongMain.class, List.of("-XX:+UseSerialGC", "-Xmx64m"),
                 fabric.root().toString(), "pingpong", Integer.toString(WARM_UP_ROUNDS + ROUNDS))) {
            child.expectLine("ready", 30, TimeUnit.SECONDS);
            final long[] rtt = new long[ROUNDS];
            try (RegionFile file = RegionFile.map(fabric.root(), "pingpong")) {
                final long ping = file.dataAddress(FutexPingPongMain.PING);
                final long pong = file.dataAddress(FutexPingPongMain.PONG);
                for (int i = 1; i <= WARM_UP_ROUNDS + ROUNDS; i++) {
                    final long t0 = System.nanoTime();
                    UnsafeMemory.MEMORY.writeVolatileInt(ping, i);
                    Futex.wake(ping, 1);
                    assertTrue(FutexPingPongMain.awaitValue(pong, i, TimeUnit.SECONDS.toNanos(10)),
                        () -> "no pong; child output:\n" + child.transcript());
                    if (i > WARM_UP_ROUNDS) {
                        rtt[i - WARM_UP_ROUNDS - 1] = System.nanoTime() - t0;
                    }
                }
            }
            child.expectLine("done", 30, TimeUnit.SECONDS);
            assertEquals(0, child.waitFor(30, TimeUnit.SECONDS));
            Arrays.sort(rtt);
            System.out.printf("futex ping-pong between two JVMs, %d round trips (both sides block in the kernel):"
                    + " median %.1f us, p90 %.1f us, p99 %.1f us, p99.9 %.1f us, max %.1f us%n", ROUNDS,
                micros(rtt, 0.5), micros(rtt, 0.9), micros(rtt, 0.99), micros(rtt, 0.999), rtt[ROUNDS - 1] / 1e3);
        }
    }

    @Test
    void membarrierGlobalBarrier() throws InterruptedException {
        assumeTrue(Membarrier.isAvailable(), Membarrier::describe);
        assumeTrue(Membarrier.registerGlobalExpedited());
        for (int i = 0; i < 200; i++) {
            Membarrier.globalBarrier();
        }
        printBarrierCost("no other thread of a registered process running", timeBarriers());
        // a registered thread running on another CPU is what the expedited barrier interrupts
        final AtomicBoolean stop = new AtomicBoolean();
        final Thread busy = new Thread(() -> {
            while (!stop.get()) {
                Thread.onSpinWait();
            }
        }, "busy-registered-thread");
        busy.start();
        try {
            printBarrierCost("one thread of this registered JVM spinning", timeBarriers());
        } finally {
            stop.set(true);
            busy.join(TimeUnit.SECONDS.toMillis(10));
        }
    }

    private static long[] timeBarriers() {
        final long[] nanos = new long[1_000];
        for (int i = 0; i < nanos.length; i++) {
            final long t0 = System.nanoTime();
            Membarrier.globalBarrier();
            nanos[i] = System.nanoTime() - t0;
        }
        Arrays.sort(nanos);
        return nanos;
    }

    private static void printBarrierCost(final String condition, final long[] sorted) {
        System.out.printf("%s, %s: median %.2f us, p99 %.2f us, max %.2f us (%d calls, %d CPUs)%n",
            Membarrier.describe(), condition, micros(sorted, 0.5), micros(sorted, 0.99),
            sorted[sorted.length - 1] / 1e3, sorted.length, Runtime.getRuntime().availableProcessors());
    }

    private static double micros(final long[] sorted, final double quantile) {
        return sorted[Math.min(sorted.length - 1, (int) (sorted.length * quantile))] / 1e3;
    }
}
