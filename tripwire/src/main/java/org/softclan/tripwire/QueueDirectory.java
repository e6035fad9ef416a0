package org.softclan.tripwire;

import static org.softclan.tripwire.TripwireTableDescriptor.*;

import java.nio.charset.StandardCharsets;

import org.softclan.dsm.SharedMemory;

/**
 * The event queues of the units that armed tripwires in one table: {@link TripwireTableDescriptor#QUEUES}
 * slots, each naming a queue region, its owner and the unit's number for the watched region, so a
 * writer in any process can post an inbound tripwire's event to the queue of the unit that armed it
 * (an entry's flags carry its slot).
 *
 * <p><b>Memory order.</b> A registration is written by the lock holder with plain stores of the region
 * id, the name length and the name, then volatile stores of the slot's serial and, last, its owner, so a
 * writer that reads a non-zero serial (volatile, {@link #serial}) and then the name reads a whole one,
 * barring a concurrent re-registration, which changes the serial again and is noticed on the next write.
 * The region id is re-published with a volatile store when a queue registers again.
 *
 * <p><b>Serials.</b> A writer caches the queue it reached through a slot, keyed by the slot's serial (and
 * caches "unreachable" too, when the name was garbage). A serial is therefore a random non-zero value
 * below 2^62, not a counter a peer could set back and have climb into values cached earlier, and a
 * process that registers again in a slot whose serial is no longer the one it published (a peer wrote
 * it) publishes a fresh one, so no writer keeps a cache made while the slot held garbage.
 *
 * <p><b>Trust.</b> A name length outside [0, {@link TripwireTableDescriptor#QUEUE_NAME_MAX}] is counted
 * ({@link ProtocolErrors}) and the slot treated as empty; writers import only queues whose name a unit
 * would make. Slots whose owner is gone are reclaimed, with the entries their unit left armed.
 */
final class QueueDirectory {
    private final SharedMemory memory;
    private final String regionName;
    private final HolderIdentity holders;
    private final TripwireTable table;
    /** The serial this process last published in each slot, 0 if none (guarded by the table's lock). */
    private final long[] published = new long[QUEUES];

    /**
     * @param memory     the table's memory
     * @param regionName the region, for messages
     * @param holders    how this process tells whether a slot's owner is gone
     * @param table      the table whose entries a reclaimed slot's unit left armed
     */
    QueueDirectory(final SharedMemory memory, final String regionName, final HolderIdentity holders,
                   final TripwireTable table) {
        this.memory = memory;
        this.regionName = regionName;
        this.holders = holders;
        this.table = table;
    }

    /**
     * Finds or claims the directory slot of an event queue; the caller holds the lock. Slots of
     * queues whose owning process has gone are reclaimed.
     *
     * @param name       the queue's region name
     * @param pid        the registering process's {@link HolderIdentity} token
     * @param regionId   the unit's number for the watched region
     * @param regionName the watched region, for messages
     * @return the slot index
     * @throws TripwireCapacityException if every slot belongs to a live process's queue
     * @throws TripwireTableCorruptException if reclaiming a slot found garbage in the table
     */
    int registerQueue(final String name, final long pid, final int regionId, final String regionName) {
        final byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        // fast path, no system calls: this queue already has its slot
        for (int i = 0; i < QUEUES; i++) {
            final long slot = queueSlotOffset(i);
            if (memory.getLongVolatile(slot + QUEUE_OWNER_OFFSET) == pid && name.equals(queueName(i))) {
                memory.putIntVolatile(slot + QUEUE_REGION_ID_OFFSET, regionId);
                republishIfChanged(i);
                return i;
            }
        }
        int free = -1;
        for (int i = 0; i < QUEUES; i++) {
            final long slot = queueSlotOffset(i);
            final long owner = memory.getLong(slot + QUEUE_OWNER_OFFSET);
            if (owner == 0 || holders.holderDead(owner)) {
                if (free < 0) {
                    free = i;
                }
                continue;
            }
            if (name.equals(queueName(i))) {
                memory.putIntVolatile(slot + QUEUE_REGION_ID_OFFSET, regionId);
                republishIfChanged(i);
                return i;
            }
        }
        if (free < 0) {
            throw new TripwireCapacityException("region '" + regionName + "': " + QUEUES
                + " event queues of live processes already watch it");
        }
        reapQueue(free);
        final long slot = queueSlotOffset(free);
        memory.putInt(slot + QUEUE_REGION_ID_OFFSET, regionId);
        memory.putInt(slot + QUEUE_NAME_LENGTH_OFFSET, bytes.length);
        memory.putBytes(slot + QUEUE_NAME_OFFSET, bytes, 0, bytes.length);
        final long serial = freshSerial();
        memory.putLong(QUEUE_SERIAL_OFFSET, serial);
        memory.putLongVolatile(slot + QUEUE_SLOT_SERIAL_OFFSET, serial);
        memory.putLongVolatile(slot + QUEUE_OWNER_OFFSET, pid);
        published[free] = serial;
        return free;
    }

    /** A random serial in [1, 2^62): no value a peer wrote earlier comes back but by a chance of 2^-62. */
    private static long freshSerial() {
        return java.util.concurrent.ThreadLocalRandom.current().nextLong(1, 1L << 62);
    }

    /**
     * Slot {@code i} is this queue's: if its serial is not the one this process published there (a peer
     * wrote it, or this process never published one), publishes a fresh one (a volatile store), so writers
     * attach again instead of trusting what they cached under the old value.
     */
    private void republishIfChanged(final int i) {
        final long slot = queueSlotOffset(i);
        final long serial = memory.getLongVolatile(slot + QUEUE_SLOT_SERIAL_OFFSET);
        if (serial == published[i] && serial != 0) {
            return;
        }
        final long fresh = freshSerial();
        memory.putLongVolatile(slot + QUEUE_SLOT_SERIAL_OFFSET, fresh);
        published[i] = fresh;
    }

    /**
     * Disarms the inbound entries left behind by the unit of slot {@code queueIndex} (its process may
     * be gone and cannot disarm them), then frees the slot (volatile stores of its owner and serial), so
     * the slot and the entries can be reused; the caller holds the lock.
     */
    private void reapQueue(final int queueIndex) {
        table.disarmQueue(queueIndex);
        memory.putLongVolatile(queueSlotOffset(queueIndex) + QUEUE_OWNER_OFFSET, 0);
        memory.putLongVolatile(queueSlotOffset(queueIndex) + QUEUE_SLOT_SERIAL_OFFSET, 0);
    }

    /**
     * Frees the directory slot of a closing unit's queue (and anything it left armed); the caller holds
     * the lock.
     *
     * @param name the queue's region name
     * @throws TripwireTableCorruptException if the table holds garbage
     */
    void releaseQueue(final String name) {
        for (int i = 0; i < QUEUES; i++) {
            if (name.equals(queueName(i))) {
                reapQueue(i);
            }
        }
    }

    /**
     * @param index a slot, in [0, {@link TripwireTableDescriptor#QUEUES})
     * @return the name of the queue registered in it, or {@code null} if it is free or its name length
     *         is garbage (counted); the owner is read with a volatile load, the name plainly
     */
    String queueName(final int index) {
        final long slot = queueSlotOffset(index);
        if (memory.getLongVolatile(slot + QUEUE_OWNER_OFFSET) == 0) {
            return null;
        }
        final int len = memory.getInt(slot + QUEUE_NAME_LENGTH_OFFSET);
        if (len < 0 || len > QUEUE_NAME_MAX) {
            ProtocolErrors.record(new TripwireTableCorruptException(regionName, "queue directory slot " + index,
                "name length", len, "must be within [0, " + QUEUE_NAME_MAX + "]"));
            return null;
        }
        final byte[] bytes = new byte[len];
        memory.getBytes(slot + QUEUE_NAME_OFFSET, bytes, 0, len);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /**
     * @param index a slot, in [0, {@link TripwireTableDescriptor#QUEUES}) (a 4-bit field of the flags)
     * @return the unit's number for the region, as registered in the slot (volatile read)
     */
    int queueRegionId(final int index) {
        return TripwireTableDescriptor.queueRegionId(memory, index);
    }

    /**
     * @param index a slot, in [0, {@link TripwireTableDescriptor#QUEUES}) (a 4-bit field of the flags)
     * @return the slot's serial (volatile read): 0 when free, new for each registration
     */
    long serial(final int index) {
        return TripwireTableDescriptor.queueSerial(memory, index);
    }
}
