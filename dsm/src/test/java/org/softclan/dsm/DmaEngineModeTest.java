package org.softclan.dsm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.softclan.dsm.testing.Messages.assertMentions;
import static org.softclan.dsm.testing.TestThreads.THREADS;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.softclan.dsm.testing.TestThreads;

/** What differs between the engine's modes: which threads run its commands, and batches' hand-off. */
class DmaEngineModeTest {
    private static final int SIZE = 1 << 20;
    private static final long WAIT_SECONDS = 10;
    private Fabric fabric;
    private Endpoint importer;
    private InboundMapping in;
    private OutboundMapping out;

    @BeforeEach
    void setUp() {
        fabric = Fabric.createTemporary();
        in = fabric.openEndpoint("owner").export("r", SIZE);
        importer = fabric.openEndpoint("importer");
        out = importer.importRegion("r");
    }

    @AfterEach
    void tearDown() throws Exception {
        CompletableFuture.runAsync(fabric::close, THREADS).get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    private DmaEngine engine(final DmaMode mode) {
        return importer.dma(new DmaEngine.Context().mode(mode));
    }

    /** Records the thread that stores each outbound snooped write into the region. */
    private Set<Thread> recordStoringThreads() {
        final Set<Thread> threads = ConcurrentHashMap.newKeySet();
        out.snoopHook((m, offset, length, dir) -> {
            if (dir == Direction.OUTBOUND) {
                threads.add(Thread.currentThread());
            }
        });
        return threads;
    }

    @Test
    void theDefaultModeFitsTheCpuCountAndThePropertyOverridesIt() {
        assertEquals(DmaMode.INVOKER, DmaMode.forProcessors(1));
        assertEquals(DmaMode.INVOKER, DmaMode.forProcessors(2));
        assertEquals(DmaMode.INVOKER, DmaMode.forProcessors(3));
        assertEquals(DmaMode.DEDICATED, DmaMode.forProcessors(4));
        assertEquals(DmaMode.DEDICATED, DmaMode.forProcessors(64));
        assertEquals(DmaMode.forProcessors(Runtime.getRuntime().availableProcessors()),
            importer.dma().mode(), "the engine of an endpoint started with defaults");
        final String before = System.getProperty(DmaMode.PROPERTY);
        try {
            System.setProperty(DmaMode.PROPERTY, "Dedicated");
            assertEquals(DmaMode.DEDICATED, DmaMode.defaultMode());
            System.setProperty(DmaMode.PROPERTY, "invoker");
            assertEquals(DmaMode.INVOKER, DmaMode.defaultMode());
            System.setProperty(DmaMode.PROPERTY, "shared");
            assertMentions(assertThrows(IllegalArgumentException.class, DmaMode::defaultMode),
                "'shared'", DmaMode.PROPERTY, "dedicated or invoker");
        } finally {
            if (before == null) {
                System.clearProperty(DmaMode.PROPERTY);
            } else {
                System.setProperty(DmaMode.PROPERTY, before);
            }
        }
    }

    @Test
    void anInvokerEngineHasNoThreadAndRunsAWriteOnTheIssuersThreadBeforeItReturns() throws Exception {
        final Set<Thread> storing = recordStoringThreads();
        final DmaEngine dma = engine(DmaMode.INVOKER);
        final RegisteredMemory src = importer.allocate(4096);
        src.putLong(4088, 77);
        final DmaTransfer t = dma.write(src, 0, out, 0, 4096);
        assertTrue(t.isDone() && t.isSucceeded(), "an invoker's own call hands over at once: " + t);
        assertEquals(77, in.getLong(4088));
        assertEquals(Set.of(Thread.currentThread()), storing);
        for (final Thread th : Thread.getAllStackTraces().keySet()) {
            assertNotEquals("softclan-dma-importer", th.getName(), "an invoker engine started a thread");
        }
    }

    @Test
    void aDedicatedEngineRunsCommandsOnItsOwnThread() throws Exception {
        final Set<Thread> storing = recordStoringThreads();
        final DmaEngine dma = engine(DmaMode.DEDICATED);
        final DmaTransfer t = dma.writeLongOrdered(out, 0, 5);
        t.join(WAIT_SECONDS, TimeUnit.SECONDS);
        assertEquals(1, storing.size());
        assertEquals("softclan-dma-importer", storing.iterator().next().getName());
    }

    @Test
    void aBatchHandsItsCommandsOverOnlyAtTheDoorbellAndTheyRunInIssueOrder() throws Exception {
        final List<Long> order = new ArrayList<>();
        out.snoopHook((m, offset, length, dir) -> {
            if (dir == Direction.OUTBOUND) {
                synchronized (order) {
                    order.add(offset);
                }
            }
        });
        final DmaEngine dma = engine(DmaMode.INVOKER);
        final DmaBatch batch = dma.newBatch();
        assertSame(dma, batch.engine());
        final RegisteredMemory src = importer.allocate(64);
        src.putLong(0, 9);
        final DmaTransfer header = batch.writeLongOrdered(out, 0, 1);
        final DmaTransfer data = batch.write(src, 0, out, 8, 8);
        final DmaTransfer publish = batch.writeLongOrdered(out, 16, 2);
        assertFalse(header.isDone() || data.isDone() || publish.isDone(), "ran before the doorbell");
        assertEquals(3, dma.queued());
        batch.doorbell();
        assertTrue(publish.isDone(), "an invoker's doorbell runs the queue on the ringing thread");
        assertEquals(List.of(0L, 8L, 16L), order);
        assertEquals(9, in.getLong(8));
        assertEquals(2, in.getLong(16));
    }

    @Test
    void aWaiterRunsAnInvokerEngineWhileAnotherThreadSubmitsWithoutEverRinging() throws Exception {
        final Set<Thread> storing = recordStoringThreads();
        final DmaEngine dma = engine(DmaMode.INVOKER);
        final int transfers = 1_000;   // fewer than the queue holds: it never fills, so the submitter never runs it
        final RegisteredMemory src = importer.allocate(8L * transfers);
        for (int i = 0; i < transfers; i++) {
            src.putLong(8L * i, 1_000_000L + i);
        }
        final BlockingQueue<DmaTransfer> handed = new ArrayBlockingQueue<>(transfers);
        final AtomicReference<Thread> submitter = new AtomicReference<>();
        final DmaBatch batch = dma.newBatch();
        final CompletableFuture<Void> submitting = CompletableFuture.runAsync(() -> {
            submitter.set(Thread.currentThread());
            for (int i = 0; i < transfers; i++) {
                // never rung: only the waiter (or a full queue) runs these
                handed.add(batch.write(src, 8L * i, out, 8L * i, 8));
            }
        }, THREADS);
        for (int i = 0; i < transfers; i++) {
            final DmaTransfer t = handed.poll(WAIT_SECONDS, TimeUnit.SECONDS);
            assertTrue(t != null && t.await(WAIT_SECONDS, TimeUnit.SECONDS), "transfer " + i + " never ended");
            assertTrue(t.isSucceeded(), String.valueOf(t.error()));
        }
        submitting.get(WAIT_SECONDS, TimeUnit.SECONDS);
        for (int i = 0; i < transfers; i++) {
            assertEquals(1_000_000L + i, in.getLong(8L * i), "word " + i);
        }
        assertTrue(storing.contains(Thread.currentThread()), "the waiting thread ran none of the transfers");
        assertFalse(storing.contains(submitter.get()), "the submitter ran transfers although it never rang"
            + " and the queue of " + dma.queueCapacity() + " never filled");
        assertEquals(0, dma.queued());
    }

    @Test
    void anInvokerWhoseQueueIsFullRunsItInsteadOfWaiting() throws Exception {
        final DmaEngine dma = importer.dma(new DmaEngine.Context().mode(DmaMode.INVOKER).queueCapacity(2));
        final DmaBatch batch = dma.newBatch();
        final List<DmaTransfer> ts = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            ts.add(batch.writeLongOrdered(out, 8L * i, i + 1));
        }
        // two queues' worth ran when the queue was full; what is left waits for the doorbell
        assertTrue(ts.get(0).isDone() && ts.get(5).isDone(), "a full queue was not run by its issuer");
        assertFalse(ts.get(6).isDone());
        batch.doorbell();
        for (int i = 0; i < 7; i++) {
            assertTrue(ts.get(i).isSucceeded());
            assertEquals(i + 1, in.getLong(8L * i));
        }
    }

    @Test
    void aSnoopHookIssuingToAFullInvokerQueueItRunsGetsAnErrorInsteadOfWaitingForItself() throws Exception {
        final DmaEngine dma = importer.dma(new DmaEngine.Context().mode(DmaMode.INVOKER).queueCapacity(1));
        final AtomicReference<Throwable> got = new AtomicReference<>();
        out.snoopHook((m, offset, length, dir) -> {
            if (dir == Direction.OUTBOUND && offset == 0) {
                try {
                    dma.newBatch().writeLongOrdered(out, 8, 1);   // the command in progress fills the queue
                } catch (final Throwable e) {
                    got.set(e);
                }
            }
        });
        final DmaTransfer t = dma.writeLongOrdered(out, 0, 1);
        assertTrue(t.isSucceeded());
        assertInstanceOf(DsmException.class, got.get());
        assertMentions(got.get(), "runs the queue of DMA engine of endpoint 'importer'", "nothing was queued");
        assertEquals(0, in.getLong(8));
    }

    @Test
    void closeWaitsForTheCommandAnInvokerRunsAndFailsWhatIsQueuedBehindIt() throws Exception {
        final DmaEngine dma = engine(DmaMode.INVOKER);
        final CountDownLatch held = new CountDownLatch(1);
        final CountDownLatch go = new CountDownLatch(1);
        out.snoopHook((m, offset, length, dir) -> {
            if (dir == Direction.OUTBOUND && offset == 0) {
                held.countDown();
                try {
                    go.await(WAIT_SECONDS, TimeUnit.SECONDS);
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        final DmaBatch batch = dma.newBatch();
        final DmaTransfer first = batch.writeLongOrdered(out, 0, 1);
        final DmaTransfer second = batch.writeLongOrdered(out, 8, 2);
        final CompletableFuture<Void> runner = CompletableFuture.runAsync(batch::doorbell, THREADS);
        assertTrue(held.await(WAIT_SECONDS, TimeUnit.SECONDS));
        final AtomicReference<Thread> closer = new AtomicReference<>();
        final CompletableFuture<Void> closing = CompletableFuture.runAsync(() -> {
            closer.set(Thread.currentThread());
            dma.close();
        }, THREADS);
        // close waits for the running flag, held by the thread in the hook
        TestThreads.awaitInside(closer, "DmaQueue.backOff");
        assertFalse(closing.isDone(), "close returned while a command was in progress on an invoker");
        go.countDown();
        closing.get(WAIT_SECONDS, TimeUnit.SECONDS);
        runner.get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertTrue(first.isSucceeded());
        assertTrue(second.await(WAIT_SECONDS, TimeUnit.SECONDS));
        assertInstanceOf(ClosedException.class, second.error());
        assertEquals(0, in.getLong(8));
        assertNull(first.error());
        assertThrows(ClosedException.class, () -> dma.writeLongOrdered(out, 8, 3));
    }

    @Test
    void aCommandOnAMappingFromASecondEngineHandsTheFirstOneWhatItHadPendingThere() throws Exception {
        final DmaEngine first = engine(DmaMode.INVOKER);
        final DmaEngine second = fabric.openEndpoint("other").dma(new DmaEngine.Context().mode(DmaMode.DEDICATED));
        final DmaTransfer pending = first.newBatch().writeLongOrdered(out, 0, 1);   // never rung
        final DmaTransfer t = second.writeLongOrdered(out, 8, 2);
        // a PIO access waits for both; it runs or wakes only the engine that issued last
        CompletableFuture.runAsync(() -> out.putLong(16, 3), THREADS).get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertTrue(pending.isSucceeded() && t.isSucceeded());
        assertEquals(1, in.getLong(0));
        assertEquals(2, in.getLong(8));
        assertEquals(3, in.getLong(16));
    }

    @Test
    void aSnoopHookMakingAPioAccessThatWouldWaitForItsOwnQueueGetsAnError() throws Exception {
        final DmaEngine dma = engine(DmaMode.INVOKER);
        final AtomicReference<Throwable> got = new AtomicReference<>();
        out.snoopHook((m, offset, length, dir) -> {
            if (dir == Direction.OUTBOUND && offset == 0) {
                try {
                    out.putLong(64, 1);   // the command in progress is pending on this mapping
                } catch (final Throwable e) {
                    got.set(e);
                }
            }
        });
        final DmaTransfer t = CompletableFuture.supplyAsync(() -> dma.writeLongOrdered(out, 0, 1), THREADS)
            .get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertTrue(t.isSucceeded());
        assertInstanceOf(DsmException.class, got.get());
        assertMentions(got.get(), "from the thread running the queue of DMA engine of endpoint 'importer'",
            "would wait for itself");
        assertEquals(0, in.getLong(64));
    }
}
