package org.softclan.vmmc.stream;

import static org.softclan.vmmc.stream.StreamControlDescriptor.DEPOSIT_ALIGN;

import java.util.Map;
import java.util.TreeMap;

/**
 * First-fit allocation of posted buffers in a deposit region of a fixed capacity. Every range starts at
 * a multiple of {@value StreamControlDescriptor#DEPOSIT_ALIGN} and is rounded up to one; freed ranges
 * merge with free neighbours, so a region whose buffers were all released is one free range again.
 * Offsets here are this end's own bookkeeping, never read from shared memory.
 *
 * <p><b>Threads</b>: not thread-safe; its owner ({@link PostTable}) calls it holding its post lock.
 * Allocating and freeing allocate map entries (posting is not a per-byte path).
 */
final class DepositAllocator {
    private final long capacity;
    /** Free ranges: offset to length, both multiples of the alignment, never adjacent. */
    private final TreeMap<Long, Long> free = new TreeMap<>();

    /**
     * @param capacity bytes of the deposit region, all free
     */
    DepositAllocator(final long capacity) {
        this.capacity = capacity;
        free.put(0L, capacity);
    }

    /** {@return the bytes of the region} */
    long capacity() {
        return capacity;
    }

    /**
     * {@return {@code size} rounded up to the alignment: the bytes a buffer of that size takes (in
     * {@code long}: a size near {@code Integer.MAX_VALUE} rounds up past it, not to a negative number)}
     */
    static long aligned(final int size) {
        return ((long) size + DEPOSIT_ALIGN - 1) & -DEPOSIT_ALIGN;
    }

    /**
     * Finds where a buffer of {@code size} bytes would go, without taking it.
     *
     * @param size bytes of the buffer
     * @return the offset of the first free range that holds it, or -1 if none does
     */
    long probe(final int size) {
        final long need = aligned(size);
        for (final Map.Entry<Long, Long> e : free.entrySet()) {
            if (e.getValue() >= need) {
                return e.getKey();
            }
        }
        return -1;
    }

    /**
     * Takes the first free range that holds {@code size} bytes.
     *
     * @param size bytes of the buffer
     * @return its offset in the region, or -1 if no free range holds it (nothing is taken)
     */
    long allocate(final int size) {
        final long need = aligned(size);
        final long at = probe(size);
        if (at < 0) {
            return -1;
        }
        final long range = free.remove(at);
        if (range > need) {
            free.put(at + need, range - need);
        }
        return at;
    }

    /**
     * Gives back the range of a buffer {@link #allocate} returned, merging it with the free ranges
     * around it.
     *
     * @param offset the buffer's offset, as allocated
     * @param size   the buffer's size, as allocated
     */
    void free(final long offset, final int size) {
        long at = offset;
        long length = aligned(size);
        final Map.Entry<Long, Long> before = free.floorEntry(at);
        if (before != null && before.getKey() + before.getValue() == at) {
            at = before.getKey();
            length += before.getValue();
            free.remove(before.getKey());
        }
        final Long after = free.get(at + length);
        if (after != null) {
            free.remove(at + length);
            length += after;
        }
        free.put(at, length);
    }

    @Override
    public String toString() {
        return "deposit allocator of " + capacity + " bytes, free " + free;
    }
}
