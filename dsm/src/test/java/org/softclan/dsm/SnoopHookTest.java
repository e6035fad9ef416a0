package org.softclan.dsm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mockito.InOrder;

class SnoopHookTest {
    private Fabric fabric;
    private Endpoint importer;
    private InboundMapping in;
    private OutboundMapping out;
    private final SnoopHook hook = mock(SnoopHook.class);

    /** No transfer was reported ({@link SnoopHook#actions()}, read when a hook is installed, is not a report). */
    private void verifyNotSnooped() {
        verify(hook, never()).onTransfer(any(), anyLong(), anyLong(), any());
        verify(hook, never()).detach(any());
    }

    @BeforeEach
    void setUp() {
        fabric = Fabric.createTemporary();
        in = fabric.openEndpoint("owner").export("r", 1 << 20);
        importer = fabric.openEndpoint("importer");
        out = importer.importRegion("r");
    }

    @AfterEach
    void tearDown() {
        fabric.close();
    }

    @Test
    void everyWriteIsReportedOutboundThenInboundWithRegionOffsetAndLength() {
        out.snoopHook(hook);
        out.putLongRelease(64, 1);
        out.put(100, new byte[33]);
        out.put(200, ByteBuffer.allocateDirect(7));
        final InOrder order = inOrder(hook);
        order.verify(hook).onTransfer(out, 64, 8, Direction.OUTBOUND);
        order.verify(hook).onTransfer(out, 64, 8, Direction.INBOUND);
        order.verify(hook).onTransfer(out, 100, 33, Direction.OUTBOUND);
        order.verify(hook).onTransfer(out, 100, 33, Direction.INBOUND);
        order.verify(hook).onTransfer(out, 200, 7, Direction.OUTBOUND);
        order.verify(hook).onTransfer(out, 200, 7, Direction.INBOUND);
        // no other transfer reported (the endpoint's statistics publisher may read actions() at any time: not a report)
        verify(hook, times(6)).onTransfer(any(), anyLong(), anyLong(), any());
    }

    @Test
    void theDataIsAlreadyVisibleWhenTheHookRuns() {
        final List<Long> seen = new ArrayList<>();
        out.snoopHook((m, off, len, dir) -> seen.add(in.getLongAcquire(off)));
        out.putLongVolatile(8, 77);
        assertEquals(List.of(77L, 77L), seen);
    }

    @Test
    void failedCompareAndSetStoresNothingAndIsNotSnooped() {
        out.snoopHook(hook);
        out.compareAndSetLong(0, 5, 6);
        verifyNotSnooped();
        out.compareAndSetLong(0, 0, 6);
        verify(hook).onTransfer(out, 0, 8, Direction.INBOUND);
    }

    @Test
    void readsOwnerStoresAndRefusedWritesAreNotSnooped() {
        out.snoopHook(hook);
        out.getLong(0);
        out.get(0, new byte[16], 0, 16);
        in.putLong(0, 1);
        try {
            out.putLong(1 << 20, 1);
        } catch (final RegionBoundsException expected) {
            // refused before the store
        }
        verifyNotSnooped();
    }

    @Test
    void removingTheHookStopsReports() {
        out.snoopHook(hook);
        out.snoopHook(null);
        out.putLong(0, 1);
        verifyNotSnooped();
    }

    @Test
    void endpointDefaultHookReachesExistingAndLaterImports() {
        importer.defaultSnoopHook(hook);
        out.putLong(0, 1);
        verify(hook).onTransfer(out, 0, 8, Direction.INBOUND);
        final OutboundMapping later = importer.importRegion("r");
        later.putLong(8, 1);
        verify(hook).onTransfer(later, 8, 8, Direction.INBOUND);
    }

    @Test
    void dmaIsSnoopedBurstByBurstInAddressOrderAfterEachBurstLands() throws Exception {
        importer.dma(new DmaEngine.Context().burstSize(4096));
        final List<long[]> bursts = new ArrayList<>();
        doAnswer(inv -> {
            final long off = inv.getArgument(1);
            final long len = inv.getArgument(2);
            // the last word of the burst is already there
            bursts.add(new long[] {off, len, in.getLong(off + len - 8)});
            return null;
        }).when(hook).onTransfer(any(), anyLong(), anyLong(), eq(Direction.INBOUND));
        out.snoopHook(hook);
        final RegisteredMemory src = importer.allocate(10_000);
        for (long i = 0; i + 8 <= 10_000; i += 8) {
            src.putLong(i, i + 1);
        }
        importer.dma().write(src, 0, out, 1000, 10_000).join(10, TimeUnit.SECONDS);
        assertEquals(3, bursts.size());
        assertEquals(List.of(1000L, 5096L, 9192L), bursts.stream().map(b -> b[0]).toList());
        assertEquals(List.of(4096L, 4096L, 1808L), bursts.stream().map(b -> b[1]).toList());
        for (final long[] b : bursts) {
            assertEquals(b[0] - 1000 + b[1] - 8 + 1, b[2], "last word of the burst at " + b[0]);
        }
        verify(hook, never()).onTransfer(any(), anyLong(), anyLong(), eq(null));
    }

    @Test
    void dmaReadsAreNotSnooped() throws Exception {
        out.snoopHook(hook);
        final RegisteredMemory dst = importer.allocate(64);
        importer.dma().read(out, 0, dst, 0, 64).join(10, TimeUnit.SECONDS);
        verifyNotSnooped();
    }
}
