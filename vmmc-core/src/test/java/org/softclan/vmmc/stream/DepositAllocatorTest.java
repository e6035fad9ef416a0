package org.softclan.vmmc.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The deposit region's first-fit allocator, alone: alignment, exhaustion, reuse and merging of freed ranges. */
class DepositAllocatorTest {
    private static final int ALIGN = StreamControlDescriptor.DEPOSIT_ALIGN;

    @Test
    void buffersStartAtAlignedOffsetsAndTakeWholeAlignmentUnits() {
        final DepositAllocator a = new DepositAllocator(4096);
        assertEquals(0, a.allocate(1));
        assertEquals(ALIGN, a.allocate(ALIGN));
        assertEquals(2L * ALIGN, a.allocate(ALIGN + 1));
        assertEquals(4L * ALIGN, a.allocate(7));
    }

    @Test
    void exhaustionReturnsMinusOneAndTakesNothing() {
        final DepositAllocator a = new DepositAllocator(4096);
        assertEquals(0, a.allocate(4000));
        assertEquals(-1, a.allocate(128), "only 64 bytes are left after 4000 rounded up to 4032");
        assertEquals(-1, a.probe(128));
        assertEquals(4032, a.allocate(64), "the failed attempt took nothing");
        assertEquals(-1, a.allocate(1), "the region is full");
    }

    @Test
    void aSizeNearTheLargestIntIsRefusedNotWrappedToANegativeLength() {
        // rounding in int made Integer.MAX_VALUE - 10 negative: it was handed offset 0 and left a negative
        // free range behind, through which later buffers could reach past the region
        final DepositAllocator a = new DepositAllocator(4096);
        assertEquals(-1, a.allocate(Integer.MAX_VALUE - 10));
        assertEquals(0, a.allocate(4096), "the refused attempt took nothing");
        assertEquals(-1, a.allocate(1));
    }

    @Test
    void probeFindsTheRangeAllocateWouldTakeWithoutTakingIt() {
        final DepositAllocator a = new DepositAllocator(4096);
        assertEquals(0, a.probe(100));
        assertEquals(0, a.probe(100));
        assertEquals(0, a.allocate(100));
        assertEquals(128, a.probe(100));
    }

    @Test
    void aFreedRangeIsReusedFirstFitBeforeTheRestOfTheRegion() {
        final DepositAllocator a = new DepositAllocator(4096);
        final long first = a.allocate(256);
        final long second = a.allocate(256);
        a.allocate(256);
        a.free(second, 256);
        assertEquals(second, a.allocate(200), "the hole left by the second buffer comes first");
        a.free(first, 256);
        assertEquals(first, a.allocate(64));
        assertEquals(first + 64, a.allocate(64), "the rest of the hole");
    }

    @Test
    void freedNeighboursMergeSoTheWholeRegionIsOneRangeAgain() {
        final DepositAllocator a = new DepositAllocator(4096);
        final long[] at = new long[8];
        for (int i = 0; i < at.length; i++) {
            at[i] = a.allocate(512);
        }
        assertEquals(-1, a.allocate(1));
        // free in an order that merges with the left neighbour, the right one, and both
        for (final int i : new int[] {1, 3, 2, 0, 6, 7, 5, 4}) {
            a.free(at[i], 512);
        }
        assertEquals(0, a.allocate(4096), "all eight ranges merged back into one");
        assertEquals(-1, a.allocate(1));
    }
}
