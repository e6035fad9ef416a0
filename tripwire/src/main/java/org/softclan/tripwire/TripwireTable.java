package org.softclan.tripwire;

import static org.softclan.tripwire.TripwireTableDescriptor.*;

import org.softclan.dsm.SharedMemory;

/**
 * The CAM of the Tripwire unit for one region: which addresses are armed, kept in shared memory (the
 * region's sidecar, or private memory for outbound tripwires) so every process that writes into the
 * region can match its own transfers against it. The layout is in {@link TripwireTableDescriptor}.
 *
 * <p>This class owns the entries (their free list, arming, disarming, and the rebuild from them) and
 * delegates each other role to a class of its own, all touching the table through one
 * {@link SharedMemory} window:
 * <ul>
 *   <li>{@link TableSeqlock}: the cross-process lock of mutators and the seqlock of readers;</li>
 *   <li>{@link LineIndex}: the presence bitmap, the hash ({@link LineHash}), the node lists and the wide list, and the
 *       writers' matching against them ({@link #mayMatch}, {@link #collect}, {@link #lineEntries});</li>
 *   <li>{@link QueueDirectory}: the event queues of the units that armed here;</li>
 *   <li>{@link TripwireEntry}: the fields of one entry.</li>
 * </ul>
 *
 * <p><b>Matching</b> ({@link #mayMatch}) costs one bitmap load for a write within one 64-line group,
 * however many tripwires are armed; only when a bit is set does {@link #collect} walk the hash and
 * the entries, as a seqlock reader (retrying if a mutator changed the structure meanwhile).
 * <b>Mutations</b> (arm, disarm) take the lock word with a compare-and-set, then make the seq odd, and
 * may come from any process that maps the region.
 *
 * <p><b>Trust.</b> Every word here can be written by any process that maps the region. Nothing read
 * from the table is used to compute an address before it is checked (indices against the capacities,
 * entry ranges against the region, list walks bounded by the capacity, probe sequences by the hash
 * size), and no wait is unbounded. Mutators that find garbage throw {@link TripwireTableCorruptException};
 * the caller {@link #rebuild() rebuilds} the table from its valid entries and retries. Readers on the
 * write path never throw: they ignore what is invalid and count it ({@link ProtocolErrors}).
 *
 * <p><b>Lock recovery</b> is described in {@link TableSeqlock}: a dead holder's lock is taken over, and a
 * table it left mid-change is rebuilt; a live holder is waited for at most
 * {@link TableSeqlock#LOCK_TIMEOUT_NANOS} (mutators) or {@link TableSeqlock#SNOOP_WAIT_NANOS} (a writer's
 * snoop, which then skips the region's tripwires for that write, counted).
 */
final class TripwireTable {
    /** The table's memory: the sidecar, or a private block. */
    final SharedMemory memory;
    final String regionName;
    final long dataSize;
    final int entryCapacity;
    private final long entries;
    private final HolderIdentity holders;
    private final TableSeqlock seqlock;
    private final LineIndex index;
    private final QueueDirectory queues;

    TripwireTable(final SharedMemory memory, final long dataSize, final int entryCapacity, final String regionName) {
        this(memory, dataSize, entryCapacity, regionName, HolderIdentity.PROCESS);
    }

    /**
     * @param memory  the table's memory, at least {@link TripwireTableDescriptor#bytesFor} bytes
     * @param holders how this process names itself in the lock word and the queue directory, and how it
     *                tells whether another holder is gone ({@link HolderIdentity#of} for a shared region)
     */
    TripwireTable(final SharedMemory memory, final long dataSize, final int entryCapacity, final String regionName,
                  final HolderIdentity holders) {
        this.memory = memory;
        this.holders = holders;
        this.regionName = regionName;
        this.dataSize = dataSize;
        this.entryCapacity = entryCapacity;
        this.entries = entriesOffset(dataSize, entryCapacity);
        this.seqlock = new TableSeqlock(memory, regionName, holders, this);
        this.index = new LineIndex(memory, regionName, dataSize, entryCapacity, seqlock);
        this.queues = new QueueDirectory(memory, regionName, holders, this);
    }

    /** @return how this process names itself in the table's lock word and queue directory */
    HolderIdentity holders() {
        return holders;
    }

    /** @return the table's line index (bitmap, hash, node lists, wide list) */
    LineIndex lineIndex() {
        return index;
    }

    /** @return the table's queue directory */
    QueueDirectory queues() {
        return queues;
    }

    // ---------------------------------------------------------------------------------- matching

    /**
     * @return whether a tripwire may overlap {@code [offset, offset + length)}: false means certainly
     *         not (the common case, answered from the presence bitmap; volatile loads)
     */
    boolean mayMatch(final long offset, final long length) {
        return index.mayMatch(offset, length);
    }

    /**
     * Collects the indices of entries that are armed, watch {@code directionBit}, and overlap the
     * transfer, each once, as a consistent snapshot (seqlock read, retried on change).
     *
     * @return the number of indices written into {@code out.buf}
     */
    int collect(final long offset, final long length, final int directionBit, final LineIndex.Matches out) {
        return index.collect(offset, length, directionBit, out);
    }

    /**
     * @return the entries on cache line {@code line} for {@code directionBit}, or {@code null} if the
     *         structure is being changed (see {@link LineIndex#lineEntries})
     */
    LineIndex.LineEntries lineEntries(final long line, final int directionBit) {
        return index.lineEntries(line, directionBit);
    }

    /** @return the structure's seqlock word (volatile read): even and unchanged means no arm or disarm happened */
    long seq() {
        return TripwireTableDescriptor.seq(memory);   // from this table's own window: the snoop reads it per write
    }

    /**
     * @param index an entry index, in [0, entry capacity) (the caller checked)
     * @return the entry's offset in {@link #memory}, for {@link TripwireEntry}
     */
    long entry(final int index) {
        return entries + (long) ENTRY_LENGTH * index;
    }

    /** @return whether {@code [start, start + length)} is a non-empty range inside the data area (no overflow) */
    boolean validRange(final long start, final long length) {
        return TripwireTableDescriptor.validRange(start, length, dataSize);
    }

    /**
     * {@return the serial of queue directory slot {@code index} (volatile), as {@link QueueDirectory#serial}:
     * read here, one load nearer, as the snoop checks it per event}
     *
     * @param index a slot, in [0, {@link TripwireTableDescriptor#QUEUES})
     */
    long queueSerial(final int index) {
        return TripwireTableDescriptor.queueSerial(memory, index);
    }

    // ------------------------------------------------------------------------------------ locking

    /**
     * Takes the table's lock; see {@link TableSeqlock#lock()}.
     *
     * @throws TripwireLockTimeoutException if a live process held it past the bound
     * @throws TripwireTableCorruptException if a rebuild found the table beyond repair (the lock is released)
     */
    void lock() {
        seqlock.lock();
    }

    /** Releases the table's lock; see {@link TableSeqlock#unlock()}. */
    void unlock() {
        seqlock.unlock();
    }

    /**
     * Asks the next mutator to rebuild the table (a volatile store any process may make; readers make it
     * on garbage).
     */
    void requestRepair() {
        seqlock.requestRepair();
    }

    TripwireTableCorruptException corrupt(final String structure, final String field, final long value,
                                          final String limit) {
        return new TripwireTableCorruptException(regionName, structure, field, value, limit);
    }

    // ---------------------------------------------------------------------------------- mutation

    /**
     * Arms an entry; the caller holds the lock. The entry's fields are stored before its state (volatile),
     * and the state before the line index names it.
     *
     * @return the entry's index
     * @throws TripwireCapacityException if the table or the wide list is full
     * @throws TripwireTableCorruptException if the table holds garbage (the half-armed entry is freed by
     *         the rebuild the caller then makes)
     */
    int arm(final long start, final long length, final int flags, final long condition, final long cookie,
            final String regionName) {
        final long firstLine = start >>> 6;
        final long lastLine = (start + length - 1) >>> 6;
        final boolean wide = lastLine - firstLine + 1 > NARROW_MAX_LINES;
        final long lineCount = lastLine - firstLine + 1;
        if (!validRange(start, length)) {
            throw new IllegalArgumentException("region '" + regionName + "': tripwire [" + start + ", +" + length
                + ") is not inside the " + dataSize + "-byte data area");
        }
        final int wideCount = index.wideCount();   // read once: armAt appends at this position
        if (wide && wideCount >= WIDE_MAX) {
            throw new TripwireCapacityException("region '" + regionName + "': already " + WIDE_MAX
                + " tripwires covering more than " + NARROW_MAX_LINES * 64 + " bytes each; disarm one first");
        }
        if (!wide && index.nodesInUse() + lineCount > index.nodeCapacity()) {
            throw new TripwireCapacityException("region '" + regionName + "': the tripwire table is full ("
                + index.nodeCapacity() + " line slots); export the region with a larger sidecar");
        }
        final int i = allocEntry(regionName);
        final long e = entry(i);
        try {
            return armAt(i, e, start, length, flags, condition, cookie, wide ? wideCount : -1, firstLine, lastLine);
        } catch (final TripwireTableCorruptException ex) {
            TripwireEntry.state(memory, e, TripwireEntry.FREE);   // half-armed: the rebuild frees it
            throw ex;
        }
    }

    private int armAt(final int i, final long e, final long start, final long length, final int flags,
                      final long condition, final long cookie, final int wideAt, final long firstLine,
                      final long lastLine) {
        final boolean wide = wideAt >= 0;
        final long id = memory.getLong(NEXT_ID_OFFSET) + 1;
        memory.putLong(NEXT_ID_OFFSET, id);
        TripwireEntry.fill(memory, e, flags | (wide ? Tripwire.WIDE : 0), start, length, id, cookie, condition);
        TripwireEntry.state(memory, e, TripwireEntry.ARMED);
        if (wide) {
            index.appendWide(wideAt, i);
        } else {
            for (long line = firstLine; line <= lastLine; line++) {
                index.link(line, i);
            }
        }
        for (long line = firstLine; line <= lastLine; line++) {
            index.setBit(line);
        }
        memory.putInt(ARMED_COUNT_OFFSET, memory.getInt(ARMED_COUNT_OFFSET) + 1);
        return i;
    }

    /**
     * Removes an entry; the caller holds the lock. Its state is made free (volatile store) before the
     * line index forgets it; it goes on the free list last.
     *
     * @return false if it was already gone
     * @throws TripwireTableCorruptException if the entry or the lists it is on hold garbage
     */
    boolean disarm(final int i, final long id) {
        if (i < 0 || i >= entryCapacity) {
            return false;
        }
        final long e = entry(i);
        if (TripwireEntry.state(memory, e) == TripwireEntry.FREE || TripwireEntry.id(memory, e) != id) {
            return false;
        }
        // each field read once, checked, and only the local copies used: a peer that changes the length
        // after the check must not stretch the loops below over the whole address space
        final long start = TripwireEntry.start(memory, e);
        final long length = TripwireEntry.length(memory, e);
        final int flags = TripwireEntry.flags(memory, e);
        index.checkRange(i, start, length);
        final long firstLine = start >>> 6;
        final long lastLine = (start + length - 1) >>> 6;
        final boolean wide = lastLine - firstLine + 1 > NARROW_MAX_LINES;
        if (wide != ((flags & Tripwire.WIDE) != 0)) {
            throw corrupt("entry " + i, "flags", flags, "the WIDE flag must be set exactly when the range covers"
                + " more than " + NARROW_MAX_LINES + " lines (it covers " + (lastLine - firstLine + 1) + ")");
        }
        TripwireEntry.state(memory, e, TripwireEntry.FREE);
        if (wide) {
            index.removeWide(i);
        } else {
            for (long line = firstLine; line <= lastLine; line++) {
                index.unlinkNode(line, i);
            }
        }
        for (long line = firstLine; line <= lastLine; line++) {
            if (!index.lineInUse(line)) {
                index.clearBit(line);
            }
        }
        TripwireEntry.flags(memory, e, memory.getInt(ENTRY_FREE_OFFSET));
        memory.putInt(ENTRY_FREE_OFFSET, i + 1);
        memory.putInt(ARMED_COUNT_OFFSET, memory.getInt(ARMED_COUNT_OFFSET) - 1);
        return true;
    }

    /**
     * Disarms every inbound entry whose flags name queue directory slot {@code queueIndex}; the caller
     * holds the lock.
     *
     * @throws TripwireTableCorruptException if the table holds garbage
     */
    void disarmQueue(final int queueIndex) {
        final int high = entryHigh();
        for (int i = 0; i < high; i++) {
            final long e = entry(i);
            final int state = TripwireEntry.state(memory, e);
            if (state != TripwireEntry.FREE
                && ((TripwireEntry.flags(memory, e) >>> Tripwire.QUEUE_SHIFT) & 0xF) == queueIndex
                && (TripwireEntry.flags(memory, e) & Tripwire.IN) != 0) {
                disarm(i, TripwireEntry.id(memory, e));
            }
        }
    }

    /** @return the entries armed or fired (volatile read) */
    int armedCount() {
        return memory.getIntVolatile(ARMED_COUNT_OFFSET);
    }

    private int allocEntry(final String regionName) {
        final int free = checked("header", -1, "entry free head", memory.getInt(ENTRY_FREE_OFFSET), entryCapacity);
        if (free != 0) {
            final long e = entry(free - 1);
            if (TripwireEntry.state(memory, e) != TripwireEntry.FREE) {
                throw corrupt("entry " + (free - 1), "state", TripwireEntry.state(memory, e),
                    "on the free list, so must be " + TripwireEntry.FREE);
            }
            memory.putInt(ENTRY_FREE_OFFSET, checked("entry", free - 1, "next free", TripwireEntry.flags(memory, e),
                entryCapacity));
            return free - 1;
        }
        final int high = entryHigh();
        if (high >= entryCapacity) {
            // full by the header's words, which a peer can write: believe it only if no entry is free
            for (int i = 0; i < entryCapacity; i++) {
                if (TripwireEntry.state(memory, entry(i)) == TripwireEntry.FREE) {
                    throw corrupt("header", "entry free head", free, "the free list is empty and the high-water"
                        + " mark at the capacity, but entry " + i + " is free");
                }
            }
            throw new TripwireCapacityException("region '" + regionName + "': all " + entryCapacity
                + " tripwire entries are armed; disarm some, or export the region with a larger sidecar"
                + " (TripwireUnit.sidecarBytes)");
        }
        memory.putInt(ENTRY_HIGH_OFFSET, high + 1);
        return high;
    }

    /** @return the first entry index past the high-water mark (plain read), checked */
    private int entryHigh() {
        return checked("header", -1, "entry high-water", memory.getInt(ENTRY_HIGH_OFFSET), entryCapacity);
    }

    /**
     * @param which the structure's number, -1 for none: the message is made only on failure
     * @return {@code value} if {@code 0 <= value <= max}, else throws naming the field
     */
    private int checked(final String structure, final long which, final String field, final int value, final int max) {
        if (value < 0 || value > max) {
            throw corrupt(which < 0 ? structure : structure + " " + which, field, value,
                "must be within [0, " + max + "]");
        }
        return value;
    }

    // ------------------------------------------------------------------------------------ rebuild

    /**
     * Rebuilds everything derived from the entries (hash, nodes, wide list, free lists, counts,
     * presence bitmap) from the entries below the high-water mark whose state and range are valid;
     * entries that are not are freed (their tripwires no longer fire). The caller holds the lock.
     * Bounded: a pass over the entries and the hash.
     *
     * @throws TripwireTableCorruptException if a peer writes into the table faster than it can be rebuilt
     */
    void rebuild() {
        seqlock.clearRepair();
        index.clear();
        final int rawHigh = memory.getInt(ENTRY_HIGH_OFFSET);
        final int high = rawHigh < 0 ? 0 : Math.min(rawHigh, entryCapacity);
        final long[] bits = new long[(int) bitmapWords(dataSize)];
        int freeHead = 0;
        int armedCount = 0;
        int wide = 0;
        for (int i = high - 1; i >= 0; i--) {
            final long e = entry(i);
            final int state = TripwireEntry.state(memory, e);
            final long start = TripwireEntry.start(memory, e);
            final long length = TripwireEntry.length(memory, e);
            boolean keep = (state == TripwireEntry.ARMED || state == TripwireEntry.FIRED) && validRange(start, length);
            final long firstLine = start >>> 6;
            final long lastLine = (start + length - 1) >>> 6;
            final long lineCount = lastLine - firstLine + 1;
            final boolean isWide = lineCount > NARROW_MAX_LINES;
            if (keep && (isWide ? wide >= WIDE_MAX : index.nodesInUse() + lineCount > index.nodeCapacity())) {
                keep = false;
            }
            if (!keep) {
                TripwireEntry.state(memory, e, TripwireEntry.FREE);
                TripwireEntry.flags(memory, e, freeHead);
                freeHead = i + 1;
                continue;
            }
            final int flags = TripwireEntry.flags(memory, e);
            TripwireEntry.flags(memory, e, isWide ? flags | Tripwire.WIDE : flags & ~Tripwire.WIDE);
            if (isWide) {
                index.appendWide(wide, i);
                wide++;
            } else {
                for (long line = firstLine; line <= lastLine; line++) {
                    index.link(line, i);
                }
            }
            for (long line = firstLine; line <= lastLine; line++) {
                bits[(int) (line >>> 6)] |= 1L << (line & 63);
            }
            armedCount++;
        }
        memory.putInt(ENTRY_HIGH_OFFSET, high);
        memory.putInt(ENTRY_FREE_OFFSET, freeHead);
        memory.putInt(ARMED_COUNT_OFFSET, armedCount);
        index.publishBitmap(bits);
    }

    // ---------------------------------------------------------------------------- queue directory

    /**
     * Finds or claims the directory slot of an event queue; the caller holds the lock. See
     * {@link QueueDirectory#registerQueue}.
     *
     * @return the slot index
     */
    int registerQueue(final String name, final long pid, final int regionId, final String regionName) {
        return queues.registerQueue(name, pid, regionId, regionName);
    }

    /** Frees the directory slot of a closing unit's queue (and anything it left armed); the caller holds the lock. */
    void releaseQueue(final String name) {
        queues.releaseQueue(name);
    }

    /** @return the name of the queue in directory slot {@code index}, or {@code null} */
    String queueName(final int index) {
        return queues.queueName(index);
    }

    /** @return the unit's number for the region in directory slot {@code index} (volatile read) */
    int queueRegionId(final int index) {
        return TripwireTableDescriptor.queueRegionId(memory, index);   // per event: from this table's window
    }
}
