package org.softclan.tripwire.os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import net.openhft.chronicle.core.UnsafeMemory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link Futex} within one JVM, on a word of native memory: the kernel path where it is available,
 * and the parking fallback called directly.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FutexTest {
    private static final int IDLE = 7;
    private static final long MILLIS = 1_000_000L;

    private static long block;
    private static long word;

    @BeforeAll
    static void allocate() {
        block = UnsafeMemory.UNSAFE.allocateMemory(128);
        word = (block + 63) & ~63L;
    }

    @AfterAll
    static void free() {
        UnsafeMemory.UNSAFE.freeMemory(block);
    }

    @BeforeEach
    void reset() {
        UnsafeMemory.MEMORY.writeVolatileInt(word, IDLE);
    }

    private static void assumeFutex() {
        assumeTrue(Futex.isAvailable(), Futex::describe);
    }

    @Test
    void isAvailableOnLinuxX8664AndAarch64() {
        final String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        final boolean supported = System.getProperty("os.name").startsWith("Linux")
            && ("amd64".equals(arch) || "x86_64".equals(arch) || "aarch64".equals(arch));
        System.out.println("Futex: " + Futex.describe());
        if (supported && !Boolean.getBoolean(Futex.DISABLE_PROPERTY)) {
            assertTrue(Futex.isAvailable(), Futex.describe());
        }
    }

    @Test
    void waitTimesOutWhenNobodyWakes() {
        assumeFutex();
        final long t0 = System.nanoTime();
        assertEquals(Futex.TIMED_OUT, Futex.wait(word, IDLE, 50 * MILLIS));
        final long elapsed = System.nanoTime() - t0;
        assertTrue(elapsed >= 50 * MILLIS, "returned after " + elapsed + " ns");
    }

    @Test
    void zeroTimeoutChecksAndReturns() {
        assumeFutex();
        assertEquals(Futex.TIMED_OUT, Futex.wait(word, IDLE, 0));
        assertEquals(Futex.VALUE_CHANGED, Futex.wait(word, IDLE + 1, 0));
    }

    @Test
    void waitReturnsAtOnceWhenTheWordDiffers() {
        assumeFutex();
        final long t0 = System.nanoTime();
        assertEquals(Futex.VALUE_CHANGED, Futex.wait(word, IDLE + 1, TimeUnit.SECONDS.toNanos(10)));
        assertEquals(Futex.VALUE_CHANGED, Futex.wait(word, IDLE + 1, Futex.NO_TIMEOUT));
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5));
    }

    @Test
    void wakeWithNoWaiterWakesNobody() {
        assumeFutex();
        assertEquals(0, Futex.wake(word, 1));
        assertEquals(0, Futex.wake(word, Futex.WAKE_ALL));
    }

    @Test
    void wakeReleasesABlockedThread() throws InterruptedException {
        assumeFutex();
        final AtomicInteger outcome = new AtomicInteger(-1);
        final Thread waiter = new Thread(() -> outcome.set(Futex.wait(word, IDLE, TimeUnit.SECONDS.toNanos(20))));
        waiter.start();
        // the word is not changed, so a wake that finds the waiter queued is the only way out before 20 s
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        int woken;
        while ((woken = Futex.wake(word, 1)) == 0 && System.nanoTime() < deadline) {
            LockSupport.parkNanos(MILLIS);
        }
        assertEquals(1, woken, "the waiter never blocked in the kernel");
        waiter.join(TimeUnit.SECONDS.toMillis(10));
        assertEquals(Futex.WOKEN, outcome.get(), Futex.outcomeName(outcome.get()));
    }

    @Test
    void aThreadWithItsInterruptStatusSetDoesNotBlock() {
        Thread.currentThread().interrupt();
        try {
            assertEquals(Futex.INTERRUPTED, Futex.wait(word, IDLE, Futex.NO_TIMEOUT));
            assertTrue(Thread.currentThread().isInterrupted(), "the interrupt status must be kept");
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void rejectsMisalignedWordsAndEmptyWakes() {
        assertThrows(IllegalArgumentException.class, () -> Futex.wait(word + 2, IDLE, 0));
        assertThrows(IllegalArgumentException.class, () -> Futex.wake(word + 1, 1));
        assertThrows(IllegalArgumentException.class, () -> Futex.wake(word, 0));
    }

    @Test
    void reportsAnUnmappedAddress() {
        assumeFutex();
        final IllegalStateException e = assertThrows(IllegalStateException.class, () -> Futex.wait(8, 0, 0));
        assertTrue(e.getMessage().contains("EFAULT"), e.getMessage());
    }

    // ------------------------------------------------------------------------------ parking fallback

    @Test
    void fallbackReturnsAtOnceWhenTheWordDiffers() {
        assertEquals(Futex.VALUE_CHANGED, Futex.parkingWait(word, IDLE + 1, TimeUnit.SECONDS.toNanos(10)));
    }

    @Test
    void fallbackTimesOut() {
        final long t0 = System.nanoTime();
        assertEquals(Futex.TIMED_OUT, Futex.parkingWait(word, IDLE, 20 * MILLIS));
        assertTrue(System.nanoTime() - t0 >= 20 * MILLIS);
        assertEquals(Futex.TIMED_OUT, Futex.parkingWait(word, IDLE, 0));
    }

    @Test
    void fallbackReturnsWhenTheWordChanges() throws InterruptedException {
        final Thread changer = new Thread(() -> {
            LockSupport.parkNanos(20 * MILLIS);
            UnsafeMemory.MEMORY.writeVolatileInt(word, IDLE + 1);
        });
        changer.start();
        final long t0 = System.nanoTime();
        assertEquals(Futex.WOKEN, Futex.parkingWait(word, IDLE, Futex.NO_TIMEOUT));
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5));
        changer.join();
    }

    @Test
    void fallbackNoticesAnInterrupt() throws InterruptedException {
        final AtomicInteger outcome = new AtomicInteger(-1);
        final Thread waiter = new Thread(
            () -> outcome.set(Futex.parkingWait(word, IDLE, TimeUnit.SECONDS.toNanos(20))));
        waiter.start();
        waiter.interrupt();
        waiter.join(TimeUnit.SECONDS.toMillis(10));
        assertEquals(Futex.INTERRUPTED, outcome.get(), Futex.outcomeName(outcome.get()));
    }
}
