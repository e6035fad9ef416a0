package org.softclan.tripwire;

import org.softclan.dsm.SharedMemory;

/**
 * The layout of a region's tripwire table (the CAM of its Tripwire unit), kept in the region's sidecar
 * or, for outbound tripwires, in private memory: the one place its offsets and sizes are defined. Every
 * offset is in bytes from the table's first byte. Any process that maps the region can write every word
 * here, so the classes that read it ({@link TripwireTable}, {@link TableSeqlock}, {@link LineIndex}, {@link LineHash},
 * {@link QueueDirectory}, {@link TripwireEntry}) check each value before they compute an offset from it.
 *
 * <pre>
 *  offset  word                                                          written by
 *     0    seq (long): seqlock, odd while a mutator changes the table    the lock holder (release)
 *     8    lock (long): 0 free, else the holder's {@link HolderIdentity}  mutators (compare-and-set)
 *          token (a region's table: the liveness id of the holder's
 *          endpoint; a private table: pid + start time), so a waiter
 *          can tell a dead holder and take the lock over
 *    64    entry free head (int), 68 entry high-water (int),             the lock holder
 *    72    node free head (int), 76 node high-water (int),
 *    80    wide count (int), 84 armed count (int), 88 next id (long),
 *    96    nodes in use (int),
 *   100    repair request (int): a reader found garbage; the next        any reader (volatile)
 *          mutator rebuilds
 *   104    queue serial (long): the last serial handed to a slot         the lock holder
 *   128    queue directory: {@link #QUEUES} slots of                     the lock holder
 *          {@link #QUEUE_SLOT_LENGTH} bytes, one per event queue of a
 *          unit that armed here:
 *            +0    owner (long): the registering process's token, 0 free (published last, volatile)
 *            +8    region id (int): the unit's number for the region
 *            +12   name length (int, at most {@link #QUEUE_NAME_MAX})
 *            +16   name (UTF-8 bytes)
 *            +120  serial (long): new for each registration, 0 when free
 *  2176    wide list: {@link #WIDE_MAX} ints, the entries covering      the lock holder
 *          more than {@link #NARROW_MAX_LINES} cache lines
 *  4096    presence bitmap: one bit per 64-byte line of the data area    the lock holder (volatile)
 *          hash (64-byte aligned): open addressing, linear probing,      the lock holder
 *          {@link #hashCapacity} slots of {@link #HASH_SLOT_LENGTH} bytes:
 *            +0    line + 1 (long; 0 empty)
 *            +8    head node + 1 (int; 0 none)
 *          nodes: twice the entry capacity, {@link #NODE_LENGTH} bytes:  the lock holder
 *            +0    entry index (int)
 *            +4    next node + 1 (int; 0 last; the free list's link on a free node)
 *          entries: {@link #ENTRY_LENGTH} bytes each:                     the lock holder; state,
 *            +0    state (int): 0 free, 1 armed, 2 fired                  count and lost by writers
 *            +4    flags (int): direction, actions, mode, condition, queue index ({@link Tripwire});
 *                  the free list's link (next free + 1) on a free entry
 *            +8    start (long), +16 length (long), +24 id (long), +32 cookie (long),
 *            +40   condition value (long), +48 count (long: times fired, with the COUNTER action),
 *            +56   events lost to a full queue (long)
 * </pre>
 *
 * <p>The seq and the lock word share the first cache line (both are touched by every mutation), the
 * header counters have one of their own, and the bitmap starts on a page of its own, so a writer's
 * match (one bitmap load) shares no line with a mutator's counters.
 */
final class TripwireTableDescriptor {
    /** Bytes before the presence bitmap: the header, the queue directory and the wide list. */
    static final int HEADER_LENGTH = 4096;

    /** The seqlock word (long): odd while a mutator changes the table. */
    static final int SEQ_OFFSET = 0;
    /** The lock word (long): 0 free, else the holder's token. */
    static final int LOCK_OFFSET = 8;
    /** Head of the free list of entries (int): index + 1, 0 for none. */
    static final int ENTRY_FREE_OFFSET = 64;
    /** Entries ever used (int): those at and above it were never armed. */
    static final int ENTRY_HIGH_OFFSET = 68;
    /** Head of the free list of nodes (int): node number (1-based), 0 for none. */
    static final int NODE_FREE_OFFSET = 72;
    /** Nodes ever used (int). */
    static final int NODE_HIGH_OFFSET = 76;
    /** Entries in the wide list (int). */
    static final int WIDE_COUNT_OFFSET = 80;
    /** Entries armed or fired (int). */
    static final int ARMED_COUNT_OFFSET = 84;
    /** The last tripwire id handed out (long). */
    static final int NEXT_ID_OFFSET = 88;
    /** Nodes on lines' lists (int). */
    static final int NODES_USED_OFFSET = 96;
    /** Set by a reader that found garbage it could not fix (it holds no lock); the next mutator rebuilds. */
    static final int REPAIR_OFFSET = 100;
    /** The last serial handed to a queue directory slot (long). */
    static final int QUEUE_SERIAL_OFFSET = 104;

    /** The queue directory's first slot. */
    static final int QUEUE_DIR_OFFSET = 128;
    /** Bytes per queue directory slot. */
    static final int QUEUE_SLOT_LENGTH = 128;
    /** Queue directory slots: event queues of distinct units that may watch one region. */
    static final int QUEUES = 16;
    /** Longest queue name a slot holds, in UTF-8 bytes. */
    static final int QUEUE_NAME_MAX = 100;
    /** In a queue directory slot: the owner's token (long), 0 when free. */
    static final int QUEUE_OWNER_OFFSET = 0;
    /** In a queue directory slot: the unit's number for the region (int). */
    static final int QUEUE_REGION_ID_OFFSET = 8;
    /** In a queue directory slot: the name's length in bytes (int). */
    static final int QUEUE_NAME_LENGTH_OFFSET = 12;
    /** In a queue directory slot: the name's bytes. */
    static final int QUEUE_NAME_OFFSET = 16;
    /** In a queue directory slot: the registration's serial (long), 0 when free. */
    static final int QUEUE_SLOT_SERIAL_OFFSET = 120;

    /** The wide list: entry indices (ints). */
    static final int WIDE_LIST_OFFSET = 2176;
    /** Entries the wide list holds at most. */
    static final int WIDE_MAX = 64;
    /** Entries covering more lines than this go in the wide list instead of the hash. */
    static final int NARROW_MAX_LINES = 16;

    /** The presence bitmap's first word. */
    static final int BITMAP_OFFSET = HEADER_LENGTH;

    /** Bytes per hash slot. */
    static final int HASH_SLOT_LENGTH = 16;
    /** In a hash slot: the line + 1 (long), 0 when empty. */
    static final int HASH_KEY_OFFSET = 0;
    /** In a hash slot: the first node of the line's list (int), 0 for none. */
    static final int HASH_HEAD_OFFSET = 8;

    /** Bytes per node. */
    static final int NODE_LENGTH = 8;
    /** In a node: the entry index (int). */
    static final int NODE_ENTRY_OFFSET = 0;
    /** In a node: the next node of the list (int), 0 for the last. */
    static final int NODE_NEXT_OFFSET = 4;
    /** Nodes per entry: a narrow entry covers at most 16 lines, but most cover one or two. */
    static final int NODES_PER_ENTRY = 2;

    /** Bytes per entry. */
    static final int ENTRY_LENGTH = 64;
    /**
     * In an entry: the state (int), {@link TripwireEntry#FREE}, {@link TripwireEntry#ARMED} or
     * {@link TripwireEntry#FIRED}.
     */
    static final int ENTRY_STATE_OFFSET = 0;
    /** In an entry: the flags (int), or the free list's link on a free entry. */
    static final int ENTRY_FLAGS_OFFSET = 4;
    /** In an entry: the first watched byte (long). */
    static final int ENTRY_START_OFFSET = 8;
    /** In an entry: the number of watched bytes (long). */
    static final int ENTRY_LENGTH_OFFSET = 16;
    /** In an entry: the tripwire id (long). */
    static final int ENTRY_ID_OFFSET = 24;
    /** In an entry: the user's cookie (long). */
    static final int ENTRY_COOKIE_OFFSET = 32;
    /** In an entry: the value its condition compares with (long). */
    static final int ENTRY_CONDITION_OFFSET = 40;
    /** In an entry: times fired with the COUNTER action (long). */
    static final int ENTRY_COUNT_OFFSET = 48;
    /** In an entry: events lost to a full queue (long). */
    static final int ENTRY_LOST_OFFSET = 56;

    private TripwireTableDescriptor() {
    }

    /**
     * @param dataSize the region's data area, in bytes
     * @return the 64-bit words of the presence bitmap for it (one bit per 64-byte line)
     */
    static long bitmapWords(final long dataSize) {
        return (lines(dataSize) + 63) >>> 6;
    }

    /**
     * @param dataSize the region's data area, in bytes
     * @return the 64-byte cache lines it spans
     */
    static long lines(final long dataSize) {
        return (dataSize + 63) >>> 6;
    }

    /**
     * @param entries the table's entry capacity
     * @return the hash's slots: a power of two, at least four per entry (lines are spread thin)
     */
    static int hashCapacity(final int entries) {
        return Integer.highestOneBit(Math.max(16, 4 * entries - 1)) << 1;
    }

    /**
     * @param entries the table's entry capacity
     * @return the nodes: {@link #NODES_PER_ENTRY} per entry
     */
    static int nodeCapacity(final int entries) {
        return NODES_PER_ENTRY * entries;
    }

    /**
     * @param dataSize the region's data area, in bytes
     * @return where the hash starts
     */
    static long hashOffset(final long dataSize) {
        return BITMAP_OFFSET + align64(bitmapWords(dataSize) * 8L);
    }

    /**
     * @param dataSize the region's data area, in bytes
     * @param entries  the table's entry capacity
     * @return where the nodes start
     */
    static long nodesOffset(final long dataSize, final int entries) {
        return hashOffset(dataSize) + (long) HASH_SLOT_LENGTH * hashCapacity(entries);
    }

    /**
     * @param dataSize the region's data area, in bytes
     * @param entries  the table's entry capacity
     * @return where the entries start
     */
    static long entriesOffset(final long dataSize, final int entries) {
        return nodesOffset(dataSize, entries) + (long) NODE_LENGTH * nodeCapacity(entries);
    }

    /**
     * @param slot a queue directory slot, in [0, {@link #QUEUES}) (the caller checked)
     * @return where it starts
     */
    static long queueSlotOffset(final int slot) {
        return QUEUE_DIR_OFFSET + (long) QUEUE_SLOT_LENGTH * slot;
    }

    /**
     * @param position a wide list position, in [0, {@link #WIDE_MAX}) (the caller checked)
     * @return where it is
     */
    static long wideSlotOffset(final int position) {
        return WIDE_LIST_OFFSET + 4L * position;
    }

    /** @return the bytes a table for {@code entries} tripwires on a region of {@code dataSize} needs */
    static long bytesFor(final long dataSize, final int entries) {
        return entriesOffset(dataSize, entries) + (long) ENTRY_LENGTH * entries;
    }

    /** @return the most tripwires a table in {@code bytes} can hold (0 if it cannot hold a table) */
    static int capacityFor(final long dataSize, final long bytes) {
        if (bytes < bytesFor(dataSize, 1)) {
            return 0;
        }
        int lo = 1;
        int hi = 1 << 26;
        while (lo < hi) {
            final int mid = (lo + hi + 1) >>> 1;
            if (bytesFor(dataSize, mid) <= bytes) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    private static long align64(final long n) {
        return (n + 63) & ~63L;
    }

    // The few reads that the write path makes per transfer or per event, here once: the table object
    // that holds the window calls them directly (one load from the window to the word), and the role
    // classes (seqlock, queue directory, line index) call them too.

    /**
     * {@return the table's seqlock word (volatile read)}
     *
     * @param m the table's window
     */
    static long seq(final SharedMemory m) {
        return m.getLongVolatile(SEQ_OFFSET);
    }

    /**
     * {@return the serial of queue directory slot {@code index} (volatile): 0 when free, new per registration}
     *
     * @param m     the table's window
     * @param index a slot, in [0, {@link #QUEUES})
     */
    static long queueSerial(final SharedMemory m, final int index) {
        return m.getLongVolatile(queueSlotOffset(index) + QUEUE_SLOT_SERIAL_OFFSET);
    }

    /**
     * {@return the unit's number for the region registered in queue directory slot {@code index} (volatile)}
     *
     * @param m     the table's window
     * @param index a slot, in [0, {@link #QUEUES})
     */
    static int queueRegionId(final SharedMemory m, final int index) {
        return m.getIntVolatile(queueSlotOffset(index) + QUEUE_REGION_ID_OFFSET);
    }

    /**
     * {@return whether {@code [start, start + length)} is a non-empty range inside a data area of
     * {@code dataSize} bytes (no overflow)}
     *
     * @param start    the range's first byte
     * @param length   its length
     * @param dataSize the data area's size
     */
    static boolean validRange(final long start, final long length, final long dataSize) {
        return start >= 0 && length > 0 && start <= dataSize - length;
    }
}
