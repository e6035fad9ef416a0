package org.softclan.tripwire;

import static org.softclan.tripwire.TripwireTableDescriptor.HASH_HEAD_OFFSET;
import static org.softclan.tripwire.TripwireTableDescriptor.HASH_KEY_OFFSET;
import static org.softclan.tripwire.TripwireTableDescriptor.HASH_SLOT_LENGTH;

import org.softclan.dsm.SharedMemory;

/**
 * The hash of a tripwire table's {@link LineIndex}: from a cache line of the region to the slot that
 * holds the head of the line's node list. Open addressing with linear probing over a power-of-two number
 * of {@link TripwireTableDescriptor#HASH_SLOT_LENGTH}-byte slots, key {@code line + 1} (0 marks an empty
 * slot), and deletion by backward shift, so no tombstones accumulate.
 *
 * <p><b>Memory order.</b> Keys are stored with volatile stores, after the slot's head when a slot is
 * filled and before it is cleared; keys are read with plain loads (readers rely on the table's seqlock).
 *
 * <p><b>Trust.</b> Every probe sequence is bounded by the number of slots, so a hash a peer filled with
 * garbage keys ends a lookup ({@link #find}: not found) or a change ({@link TripwireTableCorruptException})
 * instead of looping. Slot offsets are computed from masked indices only.
 */
final class LineHash {
    private final SharedMemory memory;
    private final String regionName;
    private final long hash;
    private final int mask;

    /**
     * @param memory     the table's memory
     * @param regionName the region, for messages
     * @param offset     where the hash starts in {@code memory}
     * @param capacity   its slots, a power of two
     */
    LineHash(final SharedMemory memory, final String regionName, final long offset, final int capacity) {
        this.memory = memory;
        this.regionName = regionName;
        this.hash = offset;
        this.mask = capacity - 1;
    }

    /** @return the slots there are */
    int capacity() {
        return mask + 1;
    }

    /** @return the home slot of {@code line} in a hash of any power-of-two size, before masking */
    static int mix(final long line) {
        long h = line * 0x9E3779B97F4A7C15L;
        h ^= h >>> 29;
        return (int) h;
    }

    /** @return the offset of slot {@code i} (in [0, capacity)) */
    long slotOffset(final int i) {
        return hash + (long) HASH_SLOT_LENGTH * i;
    }

    /**
     * @return the offset of {@code line}'s slot, or -1 if it has none (plain reads; at most one probe per
     *         slot; never throws)
     */
    long find(final long line) {
        final long key = line + 1;
        int i = mix(line) & mask;
        for (int probes = 0; probes <= mask; probes++) {
            final long slot = slotOffset(i);
            final long k = memory.getLong(slot + HASH_KEY_OFFSET);
            if (k == 0) {
                return -1;
            }
            if (k == key) {
                return slot;
            }
            i = (i + 1) & mask;
        }
        return -1;
    }

    /**
     * Finds {@code line}'s slot, or claims the first empty one on its probe sequence (its head cleared with
     * a plain store, then its key with a volatile store); the caller holds the lock.
     *
     * @return the slot's offset
     * @throws TripwireTableCorruptException if no slot is empty (there are four per entry: garbage)
     */
    long findOrInsert(final long line) {
        final long key = line + 1;
        int i = mix(line) & mask;
        for (int probes = 0; probes <= mask; probes++) {
            final long slot = slotOffset(i);
            final long k = memory.getLong(slot + HASH_KEY_OFFSET);
            if (k == key) {
                return slot;
            }
            if (k == 0) {
                memory.putInt(slot + HASH_HEAD_OFFSET, 0);
                memory.putLongVolatile(slot + HASH_KEY_OFFSET, key);
                return slot;
            }
            i = (i + 1) & mask;
        }
        throw new TripwireTableCorruptException(regionName, "hash", "slots", mask + 1,
            "every slot taken, though there are four per entry");
    }

    /**
     * Empties a slot by backward shift: each later slot of the probe run whose home lies at or before the
     * hole moves into it (head, then key with a volatile store), so linear probing stays correct without
     * tombstones; the caller holds the lock.
     *
     * @param slot the slot's offset, as {@link #find} or {@link #findOrInsert} returned it
     * @throws TripwireTableCorruptException if no slot is empty (garbage)
     */
    void delete(final long slot) {
        int hole = (int) ((slot - hash) / HASH_SLOT_LENGTH);
        int i = hole;
        for (int probes = 0; ; probes++) {
            if (probes > mask) {
                throw new TripwireTableCorruptException(regionName, "hash", "slots", mask + 1,
                    "no empty slot: every slot taken");
            }
            i = (i + 1) & mask;
            final long s = slotOffset(i);
            final long k = memory.getLong(s + HASH_KEY_OFFSET);
            if (k == 0) {
                break;
            }
            final int home = mix(k - 1) & mask;
            final boolean movable = hole <= i ? (home <= hole || home > i) : (home <= hole && home > i);
            if (movable) {
                final long h = slotOffset(hole);
                memory.putInt(h + HASH_HEAD_OFFSET, memory.getInt(s + HASH_HEAD_OFFSET));
                memory.putLongVolatile(h + HASH_KEY_OFFSET, k);
                hole = i;
            }
        }
        final long h = slotOffset(hole);
        memory.putLongVolatile(h + HASH_KEY_OFFSET, 0);
        memory.putInt(h + HASH_HEAD_OFFSET, 0);
    }

    /** Empties every slot (plain stores); the caller holds the lock and is rebuilding the table. */
    void clear() {
        memory.setMemory(hash, (long) HASH_SLOT_LENGTH * (mask + 1), (byte) 0);
    }
}
