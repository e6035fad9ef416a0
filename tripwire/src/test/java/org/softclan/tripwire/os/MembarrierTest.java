package org.softclan.tripwire.os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import net.openhft.chronicle.core.UnsafeMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link Membarrier}: what the kernel offers, registration, and the store-buffering handshake it fixes. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MembarrierTest {
    @Test
    void reportsWhatTheKernelSupports() {
        System.out.println("Membarrier: " + Membarrier.describe() + ", query mask 0x"
            + Integer.toHexString(Membarrier.supportedCommands()));
        if (Membarrier.isExpedited()) {
            assertTrue(Membarrier.isAvailable());
            assertTrue((Membarrier.supportedCommands() & Membarrier.CMD_GLOBAL_EXPEDITED) != 0);
            assertTrue((Membarrier.supportedCommands() & Membarrier.CMD_REGISTER_GLOBAL_EXPEDITED) != 0);
        } else if (Membarrier.isAvailable()) {
            assertTrue((Membarrier.supportedCommands() & Membarrier.CMD_GLOBAL) != 0);
        }
        final String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        if (!System.getProperty("os.name").startsWith("Linux")
            || !("amd64".equals(arch) || "x86_64".equals(arch) || "aarch64".equals(arch))) {
            assertFalse(Membarrier.isAvailable());
        }
    }

    @Test
    void globalBarrierWorksAfterRegistration() {
        final boolean registered = Membarrier.registerGlobalExpedited();
        assertEquals(Membarrier.isAvailable(), registered, Membarrier.describe());
        assertEquals(registered, Membarrier.registerGlobalExpedited(), "registering again is harmless");
        for (int i = 0; i < 10; i++) {
            Membarrier.globalBarrier();
        }
        Membarrier.fullFence();
    }

    @Test
    void globalBarrierIsALocalFenceWhenUnavailable() {
        // either way it must return normally; without membarrier it is VarHandle.fullFence()
        Membarrier.globalBarrier();
    }

    /**
     * The store-buffering litmus test of the class comment, between two threads on native memory:
     * the writer does {@code store x; load y} with no fence, the armer {@code store y; globalBarrier;
     * load x}. Both loads missing the other's store must never happen. A run without the barrier is
     * printed for comparison (on x86 it usually shows some misses; nothing is asserted about it).
     */
    @Test
    void writerAndArmerNeverBothMissWithTheGlobalBarrier() throws InterruptedException {
        assumeTrue(Membarrier.isAvailable(), Membarrier::describe);
        assumeTrue(Membarrier.registerGlobalExpedited());
        final long block = UnsafeMemory.UNSAFE.allocateMemory(256);
        try {
            final long x = (block + 63) & ~63L;
            final long y = x + 64;
            final int[] plain = storeBuffering(x, y, false);
            System.out.printf("store buffering without a barrier: both missed in %d of %d rounds%n", plain[1],
                plain[0]);
            final int[] fenced = storeBuffering(x, y, true);
            System.out.printf("store buffering with %s: both missed in %d of %d rounds%n", Membarrier.describe(),
                fenced[1], fenced[0]);
            assertTrue(fenced[0] > 0);
            assertEquals(0, fenced[1], "writer and armer both missed each other's store");
        } finally {
            UnsafeMemory.UNSAFE.freeMemory(block);
        }
    }

    /** @return {rounds run, rounds in which both loads missed}, over at most 500 ms or 50,000 rounds */
    private static int[] storeBuffering(final long x, final long y, final boolean barrier) throws InterruptedException {
        UnsafeMemory.MEMORY.writeVolatileInt(x, 0);
        UnsafeMemory.MEMORY.writeVolatileInt(y, 0);
        final AtomicInteger go = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        final int[] writerSaw = new int[1];
        final Thread writer = new Thread(() -> {
            for (int r = 1; ; r++) {
                int g;
                while ((g = go.get()) < r) {
                    if (g < 0) {
                        return;
                    }
                    Thread.onSpinWait();
                }
                UnsafeMemory.MEMORY.writeOrderedInt(x, r);              // store data (release, no fence)
                writerSaw[0] = UnsafeMemory.MEMORY.readVolatileInt(y);  // load armed bit
                done.set(r);
            }
        }, "litmus-writer");
        writer.start();
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
        int rounds = 0;
        int bothMissed = 0;
        try {
            for (int r = 1; r <= 50_000 && System.nanoTime() < deadline; r++) {
                go.set(r);
                for (int k = r & 15; k > 0; k--) {
                    Thread.onSpinWait(); // vary the armer's start so the two sides overlap
                }
                UnsafeMemory.MEMORY.writeOrderedInt(y, r);               // arm
                if (barrier) {
                    Membarrier.globalBarrier();
                }
                final int armerSaw = UnsafeMemory.MEMORY.readVolatileInt(x); // look for data
                int spins = 0;
                while (done.get() < r) {
                    if (++spins > 1_000) {
                        Thread.yield();
                    } else {
                        Thread.onSpinWait();
                    }
                }
                rounds = r;
                if (armerSaw < r && writerSaw[0] < r) {
                    bothMissed++;
                }
            }
        } finally {
            go.set(-1);
            writer.join(TimeUnit.SECONDS.toMillis(10));
        }
        return new int[] {rounds, bothMissed};
    }
}
