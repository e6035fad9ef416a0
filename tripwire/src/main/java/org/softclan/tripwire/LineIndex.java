package org.softclan.tripwire;

import static org.softclan.tripwire.TripwireTableDescriptor.*;

import org.softclan.dsm.SharedMemory;

/**
 * Which entries of a tripwire table are armed on which cache line of the region: the presence bitmap
 * (one bit per line), the hash from a line to the list of nodes naming its entries ({@link LineHash}),
 * the nodes with their free list, and the wide list of entries too long to list per line. Writers' snoops read it without a
 * lock, as seqlock readers ({@link TableSeqlock}); the lock holder changes it on behalf of
 * {@link TripwireTable}, which owns the entries.
 *
 * <p><b>Matching</b> ({@link #mayMatch}) costs one bitmap load for a write within one 64-line group,
 * however many tripwires are armed; only when a bit is set does {@link #collect} walk the hash and
 * the entries (retrying if a mutator changed the structure meanwhile).
 *
 * <p><b>Memory order.</b> The bitmap words, the hash keys and heads, and the wide count are stored with
 * volatile stores and the bitmap is read with volatile loads; nodes, list links and the wide list are
 * plain. Readers rely on the seqlock for a consistent view: a torn read during a change is caught by
 * {@link TableSeqlock#validate}, and the checks below keep every read inside the table meanwhile.
 *
 * <p><b>Trust.</b> Readers check every node number against the node capacity and every entry index
 * against the entry capacity before they compute an offset from it, bound each list walk by the entry
 * capacity and each probe sequence by the hash size, never throw, and count what they skip
 * ({@link ProtocolErrors}). Mutators check the same values and throw {@link TripwireTableCorruptException}
 * naming the structure, the field, the value and its limit; the caller rebuilds the table and retries.
 *
 * <p><b>Allocation.</b> {@link #mayMatch} and {@link #collect} allocate nothing (the match buffer grows
 * only when a write overlaps more entries than ever before); {@link #lineEntries} allocates the result it
 * returns, which its caller caches while the seq is unchanged.
 */
final class LineIndex {
    private final SharedMemory memory;
    private final String regionName;
    private final long dataSize;
    private final int entryCapacity;
    private final int nodeCapacity;
    private final LineHash hash;
    private final long nodes;
    private final long entries;
    private final TableSeqlock seqlock;

    /**
     * @param memory        the table's memory
     * @param regionName    the region, for messages
     * @param dataSize      the region's data area, in bytes
     * @param entryCapacity the table's entries
     * @param seqlock       the table's seqlock, for readers
     */
    LineIndex(final SharedMemory memory, final String regionName, final long dataSize, final int entryCapacity,
              final TableSeqlock seqlock) {
        this.memory = memory;
        this.regionName = regionName;
        this.dataSize = dataSize;
        this.entryCapacity = entryCapacity;
        this.nodeCapacity = TripwireTableDescriptor.nodeCapacity(entryCapacity);
        this.hash = new LineHash(memory, regionName, hashOffset(dataSize), hashCapacity(entryCapacity));
        this.nodes = nodesOffset(dataSize, entryCapacity);
        this.entries = entriesOffset(dataSize, entryCapacity);
        this.seqlock = seqlock;
    }

    /** @return the hash from a line to its list */
    LineHash hash() {
        return hash;
    }

    /** @return the nodes there are */
    int nodeCapacity() {
        return nodeCapacity;
    }

    // ---------------------------------------------------------------------------------- matching

    /**
     * @return whether a tripwire may overlap {@code [offset, offset + length)}: false means certainly
     *         not (the common case, answered from the presence bitmap with volatile loads)
     */
    boolean mayMatch(final long offset, final long length) {
        return mayMatch(memory, offset, length);
    }

    /**
     * As {@link #mayMatch(long, long)}, on a table's memory: the snoop calls this with the window it holds
     * itself, one load from the memory's address on the write path of every transfer.
     *
     * @param memory the table's window
     * @param offset the transfer's first byte, in the region's data area
     * @param length its length, at least 1
     * @return whether a tripwire may overlap the transfer
     */
    static boolean mayMatch(final SharedMemory memory, final long offset, final long length) {
        final long first = offset >>> 6;
        final long last = (offset + length - 1) >>> 6;
        final long w0 = first >>> 6;
        final long w1 = last >>> 6;
        if (w0 == w1) {
            final long bits = memory.getLongVolatile(BITMAP_OFFSET + (w0 << 3));
            return (bits & rangeMask(first, last)) != 0;
        }
        return mayMatchWide(memory, first, last, w0, w1);
    }

    private static boolean mayMatchWide(final SharedMemory memory, final long first, final long last, final long w0, final long w1) {
        for (long w = w0; w <= w1; w++) {
            final long lo = w == w0 ? first : w << 6;
            final long hi = w == w1 ? last : (w << 6) + 63;
            if ((memory.getLongVolatile(BITMAP_OFFSET + (w << 3)) & rangeMask(lo, hi)) != 0) {
                return true;
            }
        }
        return false;
    }

    private static long rangeMask(final long firstLine, final long lastLine) {
        final long lo = firstLine & 63;
        final long hi = lastLine & 63;
        return (-1L >>> (63 - hi)) & (-1L << lo);
    }

    /**
     * Collects the indices of entries that are armed, watch {@code directionBit}, and overlap the
     * transfer, each once, as a consistent snapshot (seqlock read, retried on change; bounded by
     * {@link TableSeqlock#SNOOP_WAIT_NANOS}). Never throws; allocation-free.
     *
     * @return the number of indices written into {@code out.buf}
     */
    int collect(final long offset, final long length, final int directionBit, final Matches out) {
        final long first = offset >>> 6;
        final long last = (offset + length - 1) >>> 6;
        long deadline = 0;
        for (int attempt = 0; ; attempt++) {
            if (attempt >= 64) {
                // the structure keeps changing under us (or a peer keeps bumping the seq): bounded, and
                // not waited for again until a writer finds the table stable
                if (seqlock.skipWhileUnstable()) {
                    return 0;
                }
                final long now = System.nanoTime();
                if (deadline == 0) {
                    deadline = now + TableSeqlock.SNOOP_WAIT_NANOS;
                } else if (now - deadline > 0) {
                    ProtocolErrors.record(corrupt("header", "seq", seqlock.seq(), "changed on every read for "
                        + TableSeqlock.SNOOP_WAIT_NANOS / 1_000_000 + " ms; its tripwires are skipped without"
                        + " waiting while it changes, until it stays stable"));
                    seqlock.quarantine();
                    return 0;
                }
            }
            final long seq = seqlock.awaitReadable();
            if (seq < 0) {
                return 0;
            }
            int n = 0;
            long cycleLine = -1;
            for (long line = first; line <= last; line++) {
                // a line's list holds at most one node per entry: a longer walk is a cycle (garbage)
                int guard = entryCapacity;
                final int lineStart = n;
                int node = headNode(line);
                for (; node > 0 && node <= nodeCapacity && guard-- > 0; node = nextNode(node)) {
                    // a torn read during a concurrent change is caught by the seq check below; the
                    // bounds checks keep it inside the table meanwhile
                    final int index = nodeEntry(node);
                    if (index < 0 || index >= entryCapacity) {
                        break;
                    }
                    final long e = entry(index);
                    final long start = TripwireEntry.start(memory, e);
                    // an entry spanning several lines is taken only at the first line the write shares
                    if (line != Math.max(first, start >>> 6)) {
                        continue;
                    }
                    if (TripwireEntry.accepts(memory, e, offset, length, directionBit)) {
                        n = out.add(n, index);
                    }
                }
                if (guard < 0 && node > 0) {
                    n = lineStart;   // what a looping list gave is not trusted, and may hold duplicates
                    cycleLine = line;
                }
            }
            final int wide = memory.getInt(WIDE_COUNT_OFFSET);
            for (int i = 0; i < wide && i < WIDE_MAX; i++) {
                final int index = memory.getInt(wideSlotOffset(i));
                if (index >= 0 && index < entryCapacity
                    && TripwireEntry.accepts(memory, entry(index), offset, length, directionBit)) {
                    n = out.add(n, index);
                }
            }
            if (seqlock.validate(seq)) {
                seqlock.release();   // stable: writers wait for this table again if it changes
                if (cycleLine >= 0) {
                    seqlock.requestRepair();
                    ProtocolErrors.record(corrupt("node list of line " + cycleLine, "next", cycleLine,
                        "loops: longer than the " + entryCapacity
                            + " entries there are; the line's tripwires were skipped"));
                }
                return n;
            }
        }
    }

    /**
     * The entries that watch the {@code directionBit} direction and cover one cache line, whatever their
     * state, as read at one even value of the seqlock: valid as long as {@link TableSeqlock#seq()} still
     * returns it. A writer that fires on the same line again and again (a ring's write pointer) reuses it
     * instead of walking the hash and the node lists on every write.
     */
    static final class LineEntries {
        final LineIndex index;
        final long seq;
        final long line;
        final int[] entries;

        LineEntries(final LineIndex index, final long seq, final long line, final int[] entries) {
            this.index = index;
            this.seq = seq;
            this.line = line;
            this.entries = entries;
        }
    }

    /**
     * @return the entries on cache line {@code line} for {@code directionBit}, or {@code null} if the
     *         structure is being changed (the caller then takes the {@link #collect} path)
     */
    LineEntries lineEntries(final long line, final int directionBit) {
        final long seq = seqlock.seq();
        if ((seq & 1) != 0) {
            return null;
        }
        int[] found = new int[4];
        int n = 0;
        int guard = entryCapacity;
        int node = headNode(line);
        for (; node > 0 && node <= nodeCapacity && guard-- > 0; node = nextNode(node)) {
            final int index = nodeEntry(node);
            if (index < 0 || index >= entryCapacity) {
                break;
            }
            if ((TripwireEntry.flags(memory, entry(index)) & directionBit) != 0) {
                found = add(found, n++, index);
            }
        }
        final boolean cycle = guard < 0 && node > 0;
        if (cycle) {
            n = 0;   // a looping list (garbage): its entries are not trusted, and may repeat
        }
        final int wide = memory.getInt(WIDE_COUNT_OFFSET);
        for (int i = 0; i < wide && i < WIDE_MAX; i++) {
            final int index = memory.getInt(wideSlotOffset(i));
            if (index >= 0 && index < entryCapacity) {
                final long e = entry(index);
                final long start = TripwireEntry.start(memory, e);
                if ((TripwireEntry.flags(memory, e) & directionBit) != 0 && start >>> 6 <= line
                    && (start + TripwireEntry.length(memory, e) - 1) >>> 6 >= line) {
                    found = add(found, n++, index);
                }
            }
        }
        if (!seqlock.validate(seq)) {
            return null;
        }
        seqlock.release();   // readable: counts towards the end of a quarantine
        if (cycle) {
            seqlock.requestRepair();
            ProtocolErrors.record(corrupt("node list of line " + line, "next", line, "loops: longer than the "
                + entryCapacity + " entries there are; the line's tripwires are skipped until the table changes"));
        }
        return new LineEntries(this, seq, line, java.util.Arrays.copyOf(found, n));
    }

    private static int[] add(final int[] found, final int n, final int index) {
        final int[] to = n == found.length ? java.util.Arrays.copyOf(found, n * 2) : found;
        to[n] = index;
        return to;
    }

    /** @return the first node of the list of entries on a cache line, or 0 if none is armed there */
    private int headNode(final long line) {
        if ((memory.getLongVolatile(BITMAP_OFFSET + ((line >>> 6) << 3)) & (1L << (line & 63))) == 0) {
            return 0;
        }
        final long slot = hash.find(line);
        return slot < 0 ? 0 : memory.getInt(slot + HASH_HEAD_OFFSET);
    }

    /** @return the offset of node {@code node} (1-based, in [1, node capacity]: the caller checked) */
    long nodeOffset(final int node) {
        return nodes + (long) NODE_LENGTH * (node - 1);
    }

    /** @return the entry index a node (1-based, checked) holds (plain read) */
    private int nodeEntry(final int node) {
        return memory.getInt(nodeOffset(node) + NODE_ENTRY_OFFSET);
    }

    /** @return the node after {@code node} (1-based, checked) in its line's list, or 0 (plain read) */
    private int nextNode(final int node) {
        return memory.getInt(nodeOffset(node) + NODE_NEXT_OFFSET);
    }

    /** @return the offset of entry {@code index} (in [0, entry capacity): the caller checked) */
    private long entry(final int index) {
        return entries + (long) ENTRY_LENGTH * index;
    }

    // ---------------------------------------------------------------------------------- mutation

    /**
     * Puts a node for entry {@code index} at the head of {@code line}'s list; the caller holds the lock.
     * The node's fields are plain stores, the slot's head a volatile store after them.
     *
     * @throws TripwireTableCorruptException if the hash or the node free list holds garbage
     */
    void link(final long line, final int index) {
        final long slot = hash.findOrInsert(line);
        final int head = checked("hash slot of line", line, "head node", memory.getInt(slot + HASH_HEAD_OFFSET),
            nodeCapacity);
        final int node = allocNode();
        final long n = nodeOffset(node);
        memory.putInt(n + NODE_ENTRY_OFFSET, index);
        memory.putInt(n + NODE_NEXT_OFFSET, head);
        memory.putIntVolatile(slot + HASH_HEAD_OFFSET, node);
    }

    /** @return the nodes counted in use (plain read), checked against the node capacity */
    int nodesInUse() {
        return checked("header", "nodes in use", memory.getInt(NODES_USED_OFFSET), nodeCapacity);
    }

    private int allocNode() {
        final int free = checked("header", "node free head", memory.getInt(NODE_FREE_OFFSET), nodeCapacity);
        final int node;
        if (free != 0) {
            memory.putInt(NODE_FREE_OFFSET, checked("node", free, "next free",
                memory.getInt(nodeOffset(free) + NODE_NEXT_OFFSET), nodeCapacity));
            node = free;
        } else {
            final int high = checked("header", "node high-water", memory.getInt(NODE_HIGH_OFFSET), nodeCapacity);
            if (high == nodeCapacity) {
                throw corrupt("header", "node high-water", high, "no free node although " + nodesInUse()
                    + " of " + nodeCapacity + " are counted in use");
            }
            memory.putInt(NODE_HIGH_OFFSET, high + 1);
            node = high + 1;
        }
        memory.putInt(NODES_USED_OFFSET, nodesInUse() + 1);
        return node;
    }

    /**
     * Takes entry {@code index}'s node off {@code line}'s list and frees it, and the line's hash slot if
     * the list is then empty; the caller holds the lock. The unlinking store is volatile.
     *
     * @throws TripwireTableCorruptException if the list or the node free list holds garbage
     */
    void unlinkNode(final long line, final int index) {
        final long slot = hash.find(line);
        if (slot < 0) {
            return;
        }
        long prevLink = slot + HASH_HEAD_OFFSET;
        int node = checked("hash slot of line", line, "head node", memory.getInt(prevLink), nodeCapacity);
        for (int guard = 0; node != 0; guard++) {
            if (guard >= nodeCapacity) {
                throw corrupt("node " + node, "next", node, "the list of line " + line + " is longer than the "
                    + nodeCapacity + " nodes there are: it loops");
            }
            final long n = nodeOffset(node);
            final int next = checked("node", node, "next", memory.getInt(n + NODE_NEXT_OFFSET), nodeCapacity);
            if (memory.getInt(n + NODE_ENTRY_OFFSET) == index) {
                memory.putIntVolatile(prevLink, next);
                memory.putInt(n + NODE_NEXT_OFFSET, checked("header", "node free head",
                    memory.getInt(NODE_FREE_OFFSET), nodeCapacity));
                memory.putInt(NODE_FREE_OFFSET, node);
                memory.putInt(NODES_USED_OFFSET, Math.max(0, nodesInUse() - 1));
                break;
            }
            prevLink = n + NODE_NEXT_OFFSET;
            node = next;
        }
        if (memory.getInt(slot + HASH_HEAD_OFFSET) == 0) {
            hash.delete(slot);
        }
    }

    /**
     * @return whether an armed entry still covers {@code line}: it has a hash slot, or a wide entry
     *         covers it (the caller holds the lock)
     * @throws TripwireTableCorruptException if the wide list holds garbage
     */
    boolean lineInUse(final long line) {
        if (hash.find(line) >= 0) {
            return true;
        }
        final int w = wideCount();
        for (int i = 0; i < w; i++) {
            final int index = wideIndex(i);
            // each field read once: a peer may change it between a check and a second read
            final long s = TripwireEntry.start(memory, entry(index));
            final long length = TripwireEntry.length(memory, entry(index));
            checkRange(index, s, length);
            if (line >= s >>> 6 && line <= (s + length - 1) >>> 6) {
                return true;
            }
        }
        return false;
    }

    /** Sets {@code line}'s presence bit (a volatile store of its word); the caller holds the lock. */
    void setBit(final long line) {
        final long word = BITMAP_OFFSET + ((line >>> 6) << 3);
        memory.putLongVolatile(word, memory.getLong(word) | (1L << (line & 63)));
    }

    /** Clears {@code line}'s presence bit (a volatile store of its word); the caller holds the lock. */
    void clearBit(final long line) {
        final long word = BITMAP_OFFSET + ((line >>> 6) << 3);
        memory.putLongVolatile(word, memory.getLong(word) & ~(1L << (line & 63)));
    }

    // ---------------------------------------------------------------------------------- wide list

    /** @return the entries in the wide list (plain read), checked against {@link TripwireTableDescriptor#WIDE_MAX} */
    int wideCount() {
        return checked("header", "wide count", memory.getInt(WIDE_COUNT_OFFSET), WIDE_MAX);
    }

    private int wideIndex(final int i) {
        return checked("wide list position", i, "entry index", memory.getInt(wideSlotOffset(i)), entryCapacity - 1);
    }

    /**
     * Appends entry {@code index} to the wide list (a plain store, then a volatile store of the count);
     * the caller holds the lock and checked there is room.
     *
     * @param count the list's length, as checked by the caller
     */
    void appendWide(final int count, final int index) {
        memory.putInt(wideSlotOffset(count), index);
        memory.putIntVolatile(WIDE_COUNT_OFFSET, count + 1);
    }

    /**
     * Removes entry {@code index} from the wide list, moving the last one into its place (a plain store,
     * then a volatile store of the count); the caller holds the lock.
     *
     * @throws TripwireTableCorruptException if the wide count holds garbage
     */
    void removeWide(final int index) {
        final int w = wideCount();
        for (int i = 0; i < w; i++) {
            if (memory.getInt(wideSlotOffset(i)) == index) {
                memory.putInt(wideSlotOffset(i), memory.getInt(wideSlotOffset(w - 1)));
                memory.putIntVolatile(WIDE_COUNT_OFFSET, w - 1);
                break;
            }
        }
    }

    // ------------------------------------------------------------------------------------ rebuild

    /**
     * Empties the hash, the nodes and the wide list, and resets the node counters (plain stores); the
     * caller holds the lock and relinks every valid entry next.
     */
    void clear() {
        hash.clear();
        memory.setMemory(nodes, (long) NODE_LENGTH * nodeCapacity, (byte) 0);
        memory.putInt(WIDE_COUNT_OFFSET, 0);
        memory.putInt(NODE_FREE_OFFSET, 0);
        memory.putInt(NODE_HIGH_OFFSET, 0);
        memory.putInt(NODES_USED_OFFSET, 0);
    }

    /**
     * Replaces the presence bitmap (volatile stores, one per word); the caller holds the lock.
     *
     * @param bits one word per 64 lines, {@link TripwireTableDescriptor#bitmapWords} of them
     */
    void publishBitmap(final long[] bits) {
        for (int w = 0; w < bits.length; w++) {
            memory.putLongVolatile(BITMAP_OFFSET + 8L * w, bits[w]);
        }
    }

    // ------------------------------------------------------------------------------------ checks

    /** @return whether {@code [start, start + length)} is a non-empty range inside the data area (no overflow) */
    boolean validRange(final long start, final long length) {
        return TripwireTableDescriptor.validRange(start, length, dataSize);
    }

    /**
     * Checks an entry's range as the caller read it (once: a second read may find other values, and a
     * loop bounded by the first could then run for ever).
     *
     * @param index  an entry index, for the message
     * @param start  the entry's start as read
     * @param length the entry's length as read
     * @throws TripwireTableCorruptException if the range is not inside the data area
     */
    void checkRange(final int index, final long start, final long length) {
        if (!validRange(start, length)) {
            throw corrupt("entry " + index, "start/length", start, "length " + length + "; must lie inside the "
                + dataSize + "-byte data area");
        }
    }

    private int checked(final String structure, final String field, final int value, final int max) {
        return checked(structure, -1, field, value, max);
    }

    /**
     * @param which the structure's number (node, entry, line, list position), -1 for none: the message
     *              is made only on failure, so the check allocates nothing
     * @return {@code value} if {@code 0 <= value <= max}, else throws naming the field
     */
    private int checked(final String structure, final long which, final String field, final int value, final int max) {
        if (value < 0 || value > max) {
            throw corrupt(which < 0 ? structure : structure + " " + which, field, value,
                "must be within [0, " + max + "]");
        }
        return value;
    }

    private TripwireTableCorruptException corrupt(final String structure, final String field, final long value,
                                                  final String limit) {
        return new TripwireTableCorruptException(regionName, structure, field, value, limit);
    }

    /** A growable buffer of entry indices, one per thread, reused across transfers. */
    static final class Matches {
        int[] buf = new int[64];

        int add(final int n, final int index) {
            if (n == buf.length) {
                buf = java.util.Arrays.copyOf(buf, n * 2);
            }
            buf[n] = index;
            return n + 1;
        }
    }
}
