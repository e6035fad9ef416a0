package org.softclan.dsm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.softclan.dsm.testing.Messages.assertMentions;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

import net.openhft.chronicle.bytes.BytesStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The engine's guarantees, each checked in both modes: {@link DmaEngineDedicatedTest} and
 * {@link DmaEngineInvokerTest} run them.
 */
abstract class DmaEngineTest {
    static final int SIZE = 1 << 20;
    Fabric fabric;
    Endpoint importer;
    InboundMapping in;
    OutboundMapping out;

    /** {@return the mode every engine of these tests runs in} */
    abstract DmaMode mode();

    /** {@return a context of {@link #mode()}} */
    DmaEngine.Context ctx() {
        return new DmaEngine.Context().mode(mode());
    }

    /** {@return the importer's engine, started in {@link #mode()} on first use} */
    DmaEngine dma() {
        synchronized (importer) {
            try {
                return importer.dma(ctx());
            } catch (final IllegalStateException started) {
                return importer.dma();
            }
        }
    }

    @BeforeEach
    void setUp() {
        fabric = Fabric.createTemporary();
        in = fabric.openEndpoint("owner").export("r", SIZE);
        importer = fabric.openEndpoint("importer");
        out = importer.importRegion("r");
    }

    @AfterEach
    void tearDown() {
        fabric.close();
    }

    @Test
    void writeFromEveryKindOfRegisteredMemoryLandsInTheRegion() throws Exception {
        final byte[] array = pattern(1000, 1);
        final RegisteredMemory heap = importer.registerHeap(array);
        final ByteBuffer direct = ByteBuffer.allocateDirect(1000).put(pattern(1000, 2)).flip();
        final RegisteredMemory buf = importer.register(direct);
        final BytesStore<?, ?> store = BytesStore.nativeStoreWithFixedCapacity(1000);
        final byte[] p3 = pattern(1000, 3);
        for (int i = 0; i < p3.length; i++) {
            store.writeByte(i, p3[i]);
        }
        final RegisteredMemory chron = importer.register(store);
        final RegisteredMemory alloc = importer.allocate(1000);
        alloc.put(0, pattern(1000, 4), 0, 1000);

        final DmaEngine dma = dma();
        final List<DmaTransfer> ts = List.of(dma.write(heap, 0, out, 0, 1000), dma.write(buf, 0, out, 1000, 1000),
            dma.write(chron, 0, out, 2000, 1000), dma.write(alloc, 0, out, 3000, 1000));
        for (final DmaTransfer t : ts) {
            t.join(10, TimeUnit.SECONDS);
            assertTrue(t.isSucceeded());
            assertEquals(1000, t.bytesTransferred());
        }
        for (int k = 0; k < 4; k++) {
            final byte[] got = new byte[1000];
            in.get(k * 1000L, got, 0, 1000);
            assertEquals(java.util.Arrays.toString(pattern(1000, k + 1)), java.util.Arrays.toString(got));
        }
        store.releaseLast();
    }

    @Test
    void readBringsRegionDataIntoRegisteredMemory() throws Exception {
        in.put(500, pattern(4000, 9));
        final RegisteredMemory dst = importer.allocate(4000);
        final DmaTransfer t = dma().read(out, 500, dst, 0, 4000);
        t.join(10, TimeUnit.SECONDS);
        final byte[] got = new byte[4000];
        dst.get(0, got, 0, 4000);
        assertEquals(java.util.Arrays.toString(pattern(4000, 9)), java.util.Arrays.toString(got));
    }

    @Test
    void completionCanBePolled() throws Exception {
        final RegisteredMemory src = importer.allocate(SIZE);
        final DmaTransfer t = dma().write(src, 0, out, 0, SIZE);
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!t.isDone() && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertTrue(t.isDone());
        assertTrue(t.isSucceeded());
        assertEquals(SIZE, t.bytesTransferred());
    }

    @Test
    void outOfBoundsTransfersAreRefusedBeforeAnythingMoves() {
        final RegisteredMemory src = importer.allocate(100);
        final RegionBoundsException tooLong = assertThrows(RegionBoundsException.class,
            () -> dma().write(src, 0, out, SIZE - 50, 100));
        assertMentions(tooLong, "region 'r'", String.valueOf(SIZE));
        final RegionBoundsException srcShort = assertThrows(RegionBoundsException.class,
            () -> dma().write(src, 50, out, 0, 100));
        assertMentions(srcShort, "registered memory", "100");
        final RegionBoundsException negative = assertThrows(RegionBoundsException.class,
            () -> dma().write(src, 0, out, 0, -1));
        assertMentions(negative, "region 'r'", "negative length -1", String.valueOf(SIZE));
        assertEquals(0, src.transfersInFlight());
    }

    @Test
    void heapBuffersAndForeignMemoryNeedExplicitRegistration() {
        final IllegalArgumentException heapBuf = assertThrows(IllegalArgumentException.class,
            () -> importer.register(ByteBuffer.allocate(16)));
        assertMentions(heapBuf, "registerHeap");
        final RegisteredMemory foreign = fabric.openEndpoint("other").allocate(16);
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> dma().write(foreign, 0, out, 0, 16));
        assertMentions(e, "not registered with endpoint 'importer'");
    }

    @Test
    void pioAfterDmaTakesEffectAfterTheDmaData() throws Exception {
        // small bursts make the transfer slow enough that an unordered PIO store would overtake it
        final DmaBatch batch = importer.dma(ctx().burstSize(256)).newBatch();
        final List<String> landed = Collections.synchronizedList(new ArrayList<>());
        out.snoopHook((m, off, len, dir) -> {
            if (dir == Direction.INBOUND) {
                landed.add(off == 0 && len == 8 ? "pio" : "dma");
            }
        });
        final RegisteredMemory src = importer.allocate(SIZE - 8);
        src.putLong(SIZE - 16, 0xFEEDL);
        // issued in a batch whose doorbell is never rung: the PIO store itself must see the transfer run
        final DmaTransfer t = batch.write(src, 0, out, 8, SIZE - 8);
        out.putLongRelease(0, 1);
        assertTrue(t.isDone(), "the PIO store returned before the DMA it follows completed");
        assertEquals(0xFEEDL, in.getLong(SIZE - 8));
        assertEquals("pio", landed.get(landed.size() - 1));
        assertEquals((SIZE - 8 + 255) / 256 + 1, landed.size(), "every DMA burst, then the PIO store");
    }

    @Test
    void transfersRunInIssueOrder() throws Exception {
        final RegisteredMemory a = importer.allocate(SIZE);
        final RegisteredMemory b = importer.allocate(8);
        a.putLong(0, 1);
        b.putLong(0, 2);
        final DmaTransfer first = dma().write(a, 0, out, 0, SIZE);
        final DmaTransfer second = dma().write(b, 0, out, 0, 8);
        second.join(10, TimeUnit.SECONDS);
        assertTrue(first.isDone());
        assertEquals(2, in.getLong(0));
    }

    @Test
    void closingTheEngineFailsQueuedTransfersAndRefusesNewOnes() throws Exception {
        final DmaEngine dma = importer.dma(ctx().burstSize(64));
        final RegisteredMemory src = importer.allocate(SIZE);
        final List<DmaTransfer> ts = new ArrayList<>();
        final DmaBatch batch = dma.newBatch();   // an invoker engine runs nothing before the doorbell
        for (int i = 0; i < 20; i++) {
            ts.add(batch.write(src, 0, out, 0, SIZE));
        }
        dma.close();
        int failed = 0;
        for (final DmaTransfer t : ts) {
            assertTrue(t.await(10, TimeUnit.SECONDS));
            if (!t.isSucceeded()) {
                failed++;
                assertTrue(t.error() instanceof ClosedException, String.valueOf(t.error()));
                assertThrows(DsmException.class, () -> t.join(1, TimeUnit.SECONDS));
            }
        }
        assertTrue(failed > 0, "some of 20 queued 1 MiB transfers in 64-byte bursts should not have started");
        assertEquals(0, src.transfersInFlight());
        assertThrows(ClosedException.class, () -> dma.write(src, 0, out, 0, 8));
        out.putLong(0, 5);
        assertEquals(5, in.getLong(0));
    }

    @Test
    void aTransferToARegionRemovedMidwayFailsWithTheReason() throws Exception {
        final DmaEngine dma = importer.dma(ctx().burstSize(64));
        final RegisteredMemory src = importer.allocate(SIZE);
        final DmaTransfer t = dma.write(src, 0, out, 0, SIZE);
        in.close();
        assertTrue(t.await(10, TimeUnit.SECONDS));
        if (!t.isSucceeded()) {
            assertTrue(t.error() instanceof StaleRegionException, String.valueOf(t.error()));
            assertTrue(t.bytesTransferred() < SIZE);
        }
    }

    @Test
    void registeredMemoryIsBoundsCheckedAndClosable() {
        final RegisteredMemory m = importer.allocate(16);
        assertThrows(RegionBoundsException.class, () -> m.putLong(12, 1));
        m.close();
        assertThrows(ClosedException.class, () -> m.getLong(0));
        m.close();
        assertFalse(m.isHeap());
        assertTrue(importer.registerHeap(new byte[4]).isHeap());
        assertSame(importer, m.endpoint());
    }

    static byte[] pattern(final int n, final int seed) {
        final byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + seed * 7);
        }
        return b;
    }

    @Test
    void anOrderedStoreRunsAfterEarlierTransfersAndIsSnooped() throws Exception {
        final RegisteredMemory src = importer.allocate(256 * 1024);
        src.put(0, pattern(256 * 1024, 5), 0, 256 * 1024);
        final List<String> seen = Collections.synchronizedList(new ArrayList<>());
        final long[] dataVisibleAtStore = {-1};
        out.snoopHook((m, offset, length, dir) -> {
            if (dir == Direction.OUTBOUND && offset == 0 && length == 8) {
                // the last byte of the transfer must be in place when the store is snooped
                dataVisibleAtStore[0] = in.getByte(8 + 256 * 1024 - 1);
            }
            if (dir == Direction.OUTBOUND) {
                seen.add(offset + "+" + length);
            }
        });
        final DmaEngine dma = dma();
        final DmaTransfer data = dma.write(src, 0, out, 8, 256 * 1024);
        final DmaTransfer store = dma.writeLongOrdered(out, 0, 42);
        store.join(10, TimeUnit.SECONDS);
        assertTrue(data.isDone(), "the ordered store completed before the transfer issued earlier");
        assertEquals(42, in.getLongAcquire(0));
        assertEquals(pattern(256 * 1024, 5)[256 * 1024 - 1], (byte) dataVisibleAtStore[0]);
        assertEquals("0+8", seen.get(seen.size() - 1));
        assertEquals(8, store.length());
    }

    @Test
    void anOrderedStoreIsCheckedBeforeItIsQueued() {
        final DmaEngine dma = dma();
        assertMentions(assertThrows(RegionBoundsException.class, () -> dma.writeLongOrdered(out, 4, 1)), "4");
        assertThrows(RegionBoundsException.class, () -> dma.writeLongOrdered(out, SIZE, 1));
        assertEquals(0, in.getLong(0));
    }
}
