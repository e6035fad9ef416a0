package org.softclan.tripwire;

/**
 * The layout of an event queue's region: the one place its offsets are defined. Any process that
 * imports the queue (every poster) can write every word here, so {@link EventQueue} treats each as
 * input.
 *
 * <pre>
 *  offset  word                                                  written by
 *     0    capacity (int, slots, a power of two)                 the owner, at creation
 *   128    tail (long): next position to claim                   posters (compare-and-set)
 *   256    head (long): next position to consume                 the owner (release), after each event
 *   384    doorbell (int): futex word bumped to wake waiters     posters that see a waiter; close
 *   512    waiters (int): threads blocked on the doorbell        the waiters (atomic add)
 *   640    overflow (long): posts that found the queue full      posters (atomic add)
 *   768    fallback seen (int): set by a process that opened     any opener without the futex (its
 *          the queue without the futex; blocked waiters then     wakes are no-ops)
 *          re-check every {@link org.softclan.tripwire.os.Futex#FALLBACK_SLICE_NANOS} ns
 *  4096    slots, {@link #SLOT_LENGTH} bytes each, at            the poster that claimed the position
 *          {@link #slotOffset(long, int)}:
 *            +0  sequence + 1 (long; published last, volatile store)
 *            +8  tripwire id (long)
 *           +16  cookie (long)
 *           +24  region id (long; the unit's number for the region)
 *           +32  offset of the transfer (long)
 *           +40  length of the transfer (long)
 *           +48  value of the watched word (long)
 *           +56  reserved
 * </pre>
 *
 * Header words are 128 bytes apart, as Agrona spaces words of different writers: each has a cache line
 * of its own and is out of the adjacent-line prefetcher's pair of any other (the posters' tail and the
 * owner's head above all).
 */
final class EventQueueDescriptor {
    static final int CAPACITY_OFFSET = 0;
    static final int TAIL_OFFSET = 128;
    static final int HEAD_OFFSET = 256;
    static final int DOORBELL_OFFSET = 384;
    static final int WAITERS_OFFSET = 512;
    static final int OVERFLOW_OFFSET = 640;
    static final int FALLBACK_SEEN_OFFSET = 768;
    static final int SLOTS_OFFSET = 4096;
    static final int SLOT_LENGTH = 64;

    static final int SLOT_SEQUENCE_OFFSET = 0;
    static final int SLOT_TRIPWIRE_ID_OFFSET = 8;
    static final int SLOT_COOKIE_OFFSET = 16;
    static final int SLOT_REGION_ID_OFFSET = 24;
    static final int SLOT_TRANSFER_OFFSET_OFFSET = 32;
    static final int SLOT_TRANSFER_LENGTH_OFFSET = 40;
    static final int SLOT_VALUE_OFFSET = 48;

    private EventQueueDescriptor() {
    }

    /**
     * @param position a queue position (any value: only its low bits are used)
     * @param mask     the capacity minus one
     * @return the offset of that position's slot from the region's start, always inside the slots
     */
    static long slotOffset(final long position, final int mask) {
        return SLOTS_OFFSET + (long) SLOT_LENGTH * (position & mask);
    }

    /** @return the bytes a queue of {@code capacity} slots needs: header and slots */
    static long queueLength(final int capacity) {
        return SLOTS_OFFSET + (long) SLOT_LENGTH * capacity;
    }
}
