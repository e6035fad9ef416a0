package org.softclan.dsm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.softclan.dsm.testing.Messages.assertMentions;
import static org.softclan.dsm.testing.TestThreads.THREADS;
import static org.softclan.dsm.testing.TestThreads.awaitInside;
import static org.softclan.dsm.testing.TestThreads.awaitTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The engine's commands, its bounded queue, and issues racing close. */
class DmaEngineQueueTest {
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
        // closing waits for every registration's transfers to end: a command lost by the engine would
        // hang it, so it gets a time limit too
        CompletableFuture.runAsync(fabric::close, THREADS).get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    // ------------------------------------------------------------------------------------ command types

    @Test
    void anOrderedStoreCarriesItsValueInAFieldOfItsOwnNotInTheMemoryOffset() throws Exception {
        final DmaEngine dma = importer.dma(new DmaEngine.Context().mode(DmaMode.DEDICATED));
        // values that would be absurd memory offsets: negative, or far beyond any registered memory
        final long[] values = {Long.MIN_VALUE, -1L, 0x7FFF_FFFF_FFFF_FFF8L, 42L};
        for (int i = 0; i < values.length; i++) {
            final long offset = 8L * i;
            final DmaTransfer store = dma.writeLongOrdered(out, offset, values[i]);
            assertSame(DmaTransfer.Type.ORDERED_STORE, store.type);
            assertEquals(values[i], store.value);
            assertNull(store.memory);
            assertEquals(0, store.memoryOffset);
            assertEquals(offset, store.mappingOffset);
            store.join(WAIT_SECONDS, TimeUnit.SECONDS);
            assertEquals(8, store.bytesTransferred());
            assertEquals(values[i], in.getLongAcquire(offset));
            assertMentions(new DsmException(store.toString()), "ordered store", "region 'r'", "offset " + offset);
        }
    }

    @Test
    void writesAndReadsAreCommandsOfTheirOwnTypeWithoutAValue() throws Exception {
        final DmaEngine dma = importer.dma(new DmaEngine.Context().mode(DmaMode.DEDICATED));
        final RegisteredMemory mem = importer.allocate(64);
        mem.putLong(16, 77);
        final DmaTransfer write = dma.write(mem, 16, out, 40, 8);
        assertSame(DmaTransfer.Type.WRITE, write.type);
        assertEquals(16, write.memoryOffset);
        assertEquals(40, write.mappingOffset);
        assertEquals(0, write.value);
        write.join(WAIT_SECONDS, TimeUnit.SECONDS);
        final DmaTransfer read = dma.read(out, 40, mem, 0, 8);
        assertSame(DmaTransfer.Type.READ, read.type);
        assertEquals(0, read.memoryOffset);
        assertEquals(40, read.mappingOffset);
        assertEquals(0, read.value);
        read.join(WAIT_SECONDS, TimeUnit.SECONDS);
        assertEquals(77, mem.getLong(0));
        assertMentions(new DsmException(write.toString()), "DMA write of 8 bytes", "offset 40");
        assertMentions(new DsmException(read.toString()), "DMA read of 8 bytes", "offset 40");
    }

    // ----------------------------------------------------------------------------------- bounded queue

    @Test
    void theQueueCapacityHasADefaultAndIsValidated() {
        assertEquals(DmaEngine.Context.DEFAULT_QUEUE_CAPACITY, importer.dma(new DmaEngine.Context().mode(DmaMode.DEDICATED)).queueCapacity());
        assertEquals(1024, DmaEngine.Context.DEFAULT_QUEUE_CAPACITY);
        assertMentions(assertThrows(IllegalArgumentException.class,
            () -> new DmaEngine.Context().mode(DmaMode.DEDICATED).queueCapacity(0)), "capacity 0", "positive");
        assertThrows(IllegalArgumentException.class, () -> new DmaEngine.Context().mode(DmaMode.DEDICATED).queueCapacity(-3));
        final Endpoint other = fabric.openEndpoint("other");
        assertEquals(7, other.dma(new DmaEngine.Context().mode(DmaMode.DEDICATED).queueCapacity(7)).queueCapacity());
    }

    @Test
    void aFullQueueMakesTheIssuerWaitThenItsCommandsRunInIssueOrder() throws Exception {
        final DmaEngine dma = importer.dma(new DmaEngine.Context().mode(DmaMode.DEDICATED).queueCapacity(1));
        final Hold hold = new Hold(out, 0);
        final RegisteredMemory src = importer.allocate(64);
        final DmaTransfer first = dma.write(src, 0, out, 0, 8);
        hold.awaitHeld();

        final AtomicReference<Thread> issuer = new AtomicReference<>();
        final List<DmaTransfer> later = new ArrayList<>();
        final CompletableFuture<Void> issuing = CompletableFuture.runAsync(() -> {
            issuer.set(Thread.currentThread());
            for (int i = 1; i <= 4; i++) {
                final DmaTransfer t = i % 2 == 0 ? dma.writeLongOrdered(out, 8L * i, i)
                    : dma.write(src, 8L * i, out, 8L * i, 8);
                synchronized (later) {
                    later.add(t);
                }
            }
        }, THREADS);
        awaitInside(issuer, "DmaQueue.awaitRoom");
        // the one slot is held by the transfer in progress: the second issue waits, nothing else queued
        synchronized (later) {
            assertEquals(0, later.size());
        }
        assertFalse(first.isDone());
        assertEquals(0, dma.queued());

        hold.release();
        issuing.get(WAIT_SECONDS, TimeUnit.SECONDS);
        first.join(WAIT_SECONDS, TimeUnit.SECONDS);
        for (final DmaTransfer t : later) {
            t.join(WAIT_SECONDS, TimeUnit.SECONDS);
        }
        assertEquals(List.of(0L, 8L, 16L, 24L, 32L), hold.stored(), "every command once, in issue order");
        assertEquals(2, in.getLong(16));
        assertEquals(4, in.getLong(32));
        assertEquals(0, src.transfersInFlight());
    }

    @Test
    void anIssuerInterruptedWhileWaitingForRoomQueuesNothing() throws Exception {
        final DmaEngine dma = importer.dma(new DmaEngine.Context().mode(DmaMode.DEDICATED).queueCapacity(1));
        final Hold hold = new Hold(out, 0);
        final RegisteredMemory src = importer.allocate(64);
        final DmaTransfer first = dma.write(src, 0, out, 0, 8);
        hold.awaitHeld();

        final AtomicReference<Thread> issuer = new AtomicReference<>();
        final AtomicBoolean stillInterrupted = new AtomicBoolean();
        final CompletableFuture<DsmException> issuing = CompletableFuture.supplyAsync(() -> {
            issuer.set(Thread.currentThread());
            try {
                dma.write(src, 8, out, 8, 8);
                return null;
            } catch (final DsmException e) {
                stillInterrupted.set(Thread.currentThread().isInterrupted());
                return e;
            }
        }, THREADS);
        awaitInside(issuer, "DmaQueue.awaitRoom");
        issuer.get().interrupt();
        final DsmException e = issuing.get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertInstanceOf(InterruptedException.class, e.getCause(), String.valueOf(e));
        assertMentions(e, "interrupted", "queue of 1 commands", "endpoint 'importer'", "nothing was queued");
        assertTrue(stillInterrupted.get(), "the interrupt status is kept");

        hold.release();
        first.join(WAIT_SECONDS, TimeUnit.SECONDS);
        assertTrue(awaitTrue(() -> src.transfersInFlight() == 0, WAIT_SECONDS, TimeUnit.SECONDS));
        assertEquals(List.of(0L), hold.stored(), "the interrupted issue never ran");
        assertPioNotBlocked();
    }

    @Test
    void closeEndsAnIssuerWaitingForRoomAndLetsTheTransferInProgressFinish() throws Exception {
        final DmaEngine dma = importer.dma(new DmaEngine.Context().mode(DmaMode.DEDICATED).queueCapacity(1));
        final Hold hold = new Hold(out, 0);
        final RegisteredMemory src = importer.allocate(64);
        final DmaTransfer first = dma.write(src, 0, out, 0, 8);
        hold.awaitHeld();

        final AtomicReference<Thread> issuer = new AtomicReference<>();
        final CompletableFuture<DmaTransfer> issuing = CompletableFuture.supplyAsync(() -> {
            issuer.set(Thread.currentThread());
            return dma.writeLongOrdered(out, 8, 99);
        }, THREADS);
        awaitInside(issuer, "DmaQueue.awaitRoom");
        final CompletableFuture<Void> closing = CompletableFuture.runAsync(dma::close, THREADS);

        final ExecutionException refused = assertThrows(ExecutionException.class,
            () -> issuing.get(WAIT_SECONDS, TimeUnit.SECONDS));
        assertInstanceOf(ClosedException.class, refused.getCause());
        assertMentions(refused.getCause(), "ordered store", "DMA engine of endpoint 'importer'", "closed",
            "waited for room");
        assertFalse(first.isDone(), "the transfer in progress is still held");
        assertFalse(closing.isDone(), "close waits for the transfer in progress");

        hold.release();
        closing.get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertTrue(first.isSucceeded(), String.valueOf(first.error()));
        assertEquals(List.of(0L), hold.stored());
        assertEquals(0, in.getLong(8));
        assertFalse(engineThreadAlive("importer"), "close stops the engine's thread");
        assertPioNotBlocked();
    }

    @Test
    void theEngineThreadGetsAnErrorInsteadOfWaitingForItselfOnAFullQueue() throws Exception {
        final DmaEngine dma = importer.dma(new DmaEngine.Context().mode(DmaMode.DEDICATED).queueCapacity(1));
        final AtomicReference<Throwable> fromHook = new AtomicReference<>();
        out.snoopHook((m, offset, length, dir) -> {
            if (dir == Direction.OUTBOUND && offset == 0 && fromHook.get() == null) {
                try {
                    dma.writeLongOrdered(out, 8, 1);
                    fromHook.set(new AssertionError("the engine thread queued into its own full queue"));
                } catch (final DsmException e) {
                    fromHook.set(e);
                }
            }
        });
        final RegisteredMemory src = importer.allocate(8);
        dma.write(src, 0, out, 0, 8).join(WAIT_SECONDS, TimeUnit.SECONDS);
        final Throwable e = fromHook.get();
        assertInstanceOf(DsmException.class, e, String.valueOf(e));
        assertMentions(e, "thread of DMA engine of endpoint 'importer'", "queue of 1 commands is full",
            "nothing was queued");
        assertEquals(0, in.getLong(8));
        assertPioNotBlocked();
    }

    @Test
    void closeCalledOnTheEngineThreadFailsWhatIsQueuedAndStopsAfterTheCommandInProgress() throws Exception {
        final DmaEngine dma = importer.dma(new DmaEngine.Context().mode(DmaMode.DEDICATED));
        final CountDownLatch held = new CountDownLatch(1);
        final CountDownLatch go = new CountDownLatch(1);
        out.snoopHook((m, offset, length, dir) -> {
            if (dir == Direction.OUTBOUND && offset == 0 && held.getCount() != 0) {
                held.countDown();
                awaitQuietly(go);
                dma.close();
            }
        });
        final RegisteredMemory src = importer.allocate(64);
        final DmaTransfer first = dma.write(src, 0, out, 0, 8);
        assertTrue(held.await(WAIT_SECONDS, TimeUnit.SECONDS));
        final DmaTransfer second = dma.write(src, 8, out, 8, 8);
        final DmaTransfer third = dma.writeLongOrdered(out, 16, 3);
        go.countDown();
        first.join(WAIT_SECONDS, TimeUnit.SECONDS);
        for (final DmaTransfer t : List.of(second, third)) {
            assertTrue(t.await(WAIT_SECONDS, TimeUnit.SECONDS), t + " never ended");
            assertInstanceOf(ClosedException.class, t.error(), String.valueOf(t.error()));
            assertMentions(t.error(), "DMA engine of endpoint 'importer' was closed before it started");
        }
        assertTrue(awaitTrue(() -> !engineThreadAlive("importer"), WAIT_SECONDS, TimeUnit.SECONDS));
        assertEquals(0, in.getLong(16));
        assertEquals(0, src.transfersInFlight());
        assertPioNotBlocked();
    }

    // --------------------------------------------------------------------------------- issue vs. close

    @Test
    void issuesRacingCloseFromSeveralThreadsEachEndExactlyOnce() throws Exception {
        final SplittableRandom random = new SplittableRandom(0x5eedL ^ System.nanoTime());
        final int threads = 4;
        final int perThread = SIZE / 8 / threads / 2;
        for (int round = 0; round < 40; round++) {
            final Endpoint ep = fabric.openEndpoint("racer-" + round);
            final OutboundMapping o = ep.importRegion("r");
            final int capacity = 1 + random.nextInt(8);
            final DmaMode mode = random.nextBoolean() ? DmaMode.DEDICATED : DmaMode.INVOKER;
            final DmaEngine dma = ep.dma(new DmaEngine.Context().mode(mode).queueCapacity(capacity)
                .idleSpinNanos(random.nextBoolean() ? 0 : 20_000));
            final RegisteredMemory src = ep.allocate(SIZE);
            final AtomicIntegerArray runs = new AtomicIntegerArray(SIZE / 8);
            final ConcurrentLinkedQueue<Long> ran = new ConcurrentLinkedQueue<>();
            o.snoopHook((m, offset, length, dir) -> {
                if (dir == Direction.OUTBOUND) {
                    runs.incrementAndGet((int) (offset / 8));
                    ran.add(offset);
                }
            });
            final long token = random.nextLong() | 1L;
            final AtomicInteger issued = new AtomicInteger();
            final int closeAfter = random.nextInt(200);
            final CountDownLatch start = new CountDownLatch(1);
            final List<CompletableFuture<List<Issue>>> issuers = new ArrayList<>();
            for (int k = 0; k < threads; k++) {
                final int id = k;
                final boolean ordered = random.nextBoolean();
                issuers.add(CompletableFuture.supplyAsync(() -> {
                    final List<Issue> mine = new ArrayList<>();
                    awaitQuietly(start);
                    for (int j = 0; j < perThread; j++) {
                        final long offset = 8L * (id + (long) threads * j);
                        try {
                            final DmaTransfer t;
                            if (ordered || j % 3 == 0) {
                                t = dma.writeLongOrdered(o, offset, token + offset);
                            } else {
                                src.putLong(offset, token + offset);
                                t = dma.write(src, offset, o, offset, 8);
                            }
                            mine.add(new Issue(offset, t));
                            issued.incrementAndGet();
                        } catch (final ClosedException e) {
                            mine.add(new Issue(offset, null));
                            break;
                        }
                    }
                    return mine;
                }, THREADS));
            }
            final CompletableFuture<Void> closer = CompletableFuture.runAsync(() -> {
                awaitQuietly(start);
                awaitTrue(() -> issued.get() >= closeAfter, WAIT_SECONDS, TimeUnit.SECONDS);
                dma.close();
            }, THREADS);
            start.countDown();
            closer.get(WAIT_SECONDS, TimeUnit.SECONDS);
            final int label = round;
            for (final CompletableFuture<List<Issue>> f : issuers) {
                final List<Issue> mine = f.get(WAIT_SECONDS, TimeUnit.SECONDS);
                boolean failedBefore = false;
                for (final Issue i : mine) {
                    final String what = "round " + label + ", " + mode + ", capacity " + capacity + ", offset "
                        + i.offset;
                    if (i.transfer == null) {
                        assertEquals(0, runs.get((int) (i.offset / 8)), what + ": refused at issue, yet it ran");
                        continue;
                    }
                    if (!i.transfer.await(WAIT_SECONDS, TimeUnit.SECONDS)) {
                        fail(what + ": " + i.transfer + " never ended");
                    }
                    if (i.transfer.isSucceeded()) {
                        assertFalse(failedBefore, what + ": ran after an earlier command of its issuer was failed");
                        assertEquals(1, runs.get((int) (i.offset / 8)), what + ": did not run exactly once");
                        assertEquals(token + i.offset, in.getLong(i.offset), what);
                    } else {
                        failedBefore = true;
                        assertInstanceOf(ClosedException.class, i.transfer.error(), what);
                        assertEquals(0, runs.get((int) (i.offset / 8)), what + ": failed, yet it ran");
                    }
                }
                assertTrue(mine.isEmpty() || mine.get(mine.size() - 1).transfer == null
                    || mine.size() == perThread, "an issuer stops only when refused");
            }
            assertInIssueOrderPerIssuer(ran, threads);
            assertEquals(0, src.transfersInFlight());
            assertFalse(engineThreadAlive(ep.name()), "close stops the engine's thread");
            assertThrows(ClosedException.class, () -> dma.writeLongOrdered(o, 0, 1));
            final CompletableFuture<Void> pio = CompletableFuture.runAsync(() -> o.putLongRelease(0, 1), THREADS);
            pio.get(WAIT_SECONDS, TimeUnit.SECONDS);
            CompletableFuture.runAsync(ep::close, THREADS).get(WAIT_SECONDS, TimeUnit.SECONDS);
        }
    }

    private static void assertInIssueOrderPerIssuer(final ConcurrentLinkedQueue<Long> ran, final int threads) {
        final long[] last = new long[threads];
        java.util.Arrays.fill(last, -1);
        for (final long offset : ran) {
            final int issuer = (int) (offset / 8 % threads);
            assertTrue(offset > last[issuer], "offset " + offset + " ran after " + last[issuer] + " of its issuer");
            last[issuer] = offset;
        }
    }

    private record Issue(long offset, DmaTransfer transfer) {
    }

    // -------------------------------------------------------------------------------------- helpers

    /** A PIO store through the mapping, which would wait forever if a DMA count on it were left behind. */
    private void assertPioNotBlocked() throws Exception {
        CompletableFuture.runAsync(() -> out.putLongRelease(SIZE - 8, 1), THREADS).get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    private static boolean engineThreadAlive(final String endpointName) {
        for (final Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals("softclan-dma-" + endpointName) && t.isAlive()) {
                return true;
            }
        }
        return false;
    }

    private static void awaitQuietly(final CountDownLatch latch) {
        try {
            if (!latch.await(WAIT_SECONDS, TimeUnit.SECONDS)) {
                throw new AssertionError("start signal never came");
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /**
     * A snoop hook that holds the engine thread inside the burst stored at one offset until released,
     * as a transfer that is slow for as long as a test needs; it records every offset stored, in order.
     */
    private static final class Hold {
        private final long heldOffset;
        private final CountDownLatch held = new CountDownLatch(1);
        private final CountDownLatch released = new CountDownLatch(1);
        private final List<Long> stored = new ArrayList<>();

        Hold(final OutboundMapping m, final long heldOffset) {
            this.heldOffset = heldOffset;
            m.snoopHook((mapping, offset, length, dir) -> {
                if (dir != Direction.OUTBOUND) {
                    return;
                }
                synchronized (stored) {
                    stored.add(offset);
                }
                if (offset == heldOffset && held.getCount() != 0) {
                    held.countDown();
                    awaitQuietly(released);
                }
            });
        }

        void awaitHeld() throws InterruptedException {
            assertTrue(held.await(WAIT_SECONDS, TimeUnit.SECONDS), "the engine never stored offset " + heldOffset);
        }

        void release() {
            released.countDown();
        }

        List<Long> stored() {
            synchronized (stored) {
                return new ArrayList<>(stored);
            }
        }
    }
}
