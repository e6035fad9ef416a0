package org.softclan.tripwire;

import static net.openhft.chronicle.core.UnsafeMemory.UNSAFE;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.SplittableRandom;

import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.OutboundMapping;
import org.softclan.dsm.SharedMemory;

/**
 * A hostile (or dying) peer run in its own JVM by {@link HostileSharedStateTest}: imports a region
 * and an event queue region owned by another process, and writes into their shared tripwire state
 * what the protocol never writes. One command per line, one answer line each.
 *
 * <pre>
 *   args: fabricDir region queueRegion     -> "ready"
 *   entry-range START LENGTH               -> "done"     every non-free entry below the high-water mark gets this range
 *   lock-dead                              -> "done"     lock word = a token naming no process, seq made odd
 *   lock-reused PID                        -> "done"     lock word = PID (alive) with a start time it never had, seq odd
 *   lock-live                              -> "done"     lock word = this process's own token, seq odd (held, alive)
 *   unlock                                 -> "done"     lock word 0, seq even
 *   hold-lock                              -> "holding"  takes the table lock properly, scribbles on the hash, keeps it
 *   arm-loop                               -> "looping"  after 200 arm/disarm pairs on the region, then loops forever
 *   queue-claim                            -> "claimed"  claims a slot of the queue (CAS on the tail) and never publishes
 *   queue-forge N                          -> "forged"   posts N well-formed events no tripwire caused
 *   queue-tail VALUE                       -> "done"     writes the queue's tail word
 *   storm SEED MILLIS                      -> "stormed N" random words into the table and the queue for MILLIS ms
 *   exit                                   -> "bye"
 * </pre>
 */
public final class HostilePeerMain {
    private HostilePeerMain() {
    }

    public static void main(final String[] args) throws Exception {
        try (Fabric fabric = Fabric.open(Paths.get(args[0]));
             Endpoint ep = fabric.openEndpoint("hostile-" + ProcessHandle.current().pid())) {
            final OutboundMapping region = ep.importRegion(args[1]);
            final OutboundMapping queueRegion = ep.importRegion(args[2]);
            final long side = region.sidecarAddress();
            final long sideSize = region.sidecarSize();
            final TripwireTable table = new TripwireTable(SharedMemory.sidecarOf(region), region.size(),
                TripwireTableDescriptor.capacityFor(region.size(), sideSize), args[1]);
            final long q = queueRegion.address(0, queueRegion.size());
            final long qSize = queueRegion.size();
            final int qCapacity = UNSAFE.getIntVolatile(null, q + EventQueueDescriptor.CAPACITY_OFFSET);
            System.out.println("ready");
            final BufferedReader r = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String line;
            while ((line = r.readLine()) != null) {
                final String[] c = line.trim().split(" ");
                switch (c[0]) {
                    case "entry-range": {
                        final int high = Math.min(UNSAFE.getInt(side + TripwireTableDescriptor.ENTRY_HIGH_OFFSET), table.entryCapacity);
                        for (int i = 0; i < high; i++) {
                            final long e = side + table.entry(i);
                            if (UNSAFE.getIntVolatile(null, e + TripwireTableDescriptor.ENTRY_STATE_OFFSET) != TripwireEntry.FREE) {
                                UNSAFE.putLong(e + TripwireTableDescriptor.ENTRY_START_OFFSET, Long.parseLong(c[1]));
                                UNSAFE.putLongVolatile(null, e + TripwireTableDescriptor.ENTRY_LENGTH_OFFSET, Long.parseLong(c[2]));
                            }
                        }
                        System.out.println("done");
                        break;
                    }
                    case "lock-dead":
                        // pid 2^31 - 2 cannot exist (pid_max is at most 2^22)
                        UNSAFE.putLongVolatile(null, side + TripwireTableDescriptor.LOCK_OFFSET, 12345L << 32 | 0x7FFF_FFFEL);
                        UNSAFE.putLongVolatile(null, side + TripwireTableDescriptor.SEQ_OFFSET, UNSAFE.getLong(side) | 1);
                        System.out.println("done");
                        break;
                    case "lock-reused": {
                        final long pid = Long.parseLong(c[1]);
                        final long start = HolderIdentity.tokenOf(pid) >>> 32;
                        UNSAFE.putLongVolatile(null, side + TripwireTableDescriptor.LOCK_OFFSET, (start + 7) << 32 | pid);
                        UNSAFE.putLongVolatile(null, side + TripwireTableDescriptor.SEQ_OFFSET, UNSAFE.getLong(side) | 1);
                        System.out.println("done");
                        break;
                    }
                    case "lock-live":
                        // this live process as holder, named the way the table names holders
                        UNSAFE.putLongVolatile(null, side + TripwireTableDescriptor.LOCK_OFFSET, HolderIdentity.of(region).token());
                        UNSAFE.putLongVolatile(null, side + TripwireTableDescriptor.SEQ_OFFSET, UNSAFE.getLong(side) | 1);
                        System.out.println("done");
                        break;
                    case "table-seq":
                        UNSAFE.putLongVolatile(null, side + TripwireTableDescriptor.SEQ_OFFSET, Long.parseLong(c[1]));
                        System.out.println("done");
                        break;
                    case "unlock":
                        UNSAFE.putLongVolatile(null, side + TripwireTableDescriptor.SEQ_OFFSET, (UNSAFE.getLong(side) | 1) + 1);
                        UNSAFE.putLongVolatile(null, side + TripwireTableDescriptor.LOCK_OFFSET, 0);
                        System.out.println("done");
                        break;
                    case "hold-lock": {
                        table.lock();
                        // a mutator that dies half-way: the hash says nothing about the armed lines any more
                        final long hash = side + TripwireTableDescriptor.hashOffset(region.size());
                        UNSAFE.setMemory(hash, 16L * 64, (byte) 0x5A);
                        System.out.println("holding");
                        break;
                    }
                    case "arm-loop": {
                        final TripwireUnit unit = TripwireUnit.open(ep);
                        for (long i = 0; ; i++) {
                            final Tripwire t = unit.arm(region, Tripwire.Options.word(8 * (1 + (i & 31)) + 4096));
                            t.disarm();
                            if (i == 200) {
                                System.out.println("looping");
                            }
                        }
                    }
                    case "queue-claim": {
                        long tail;
                        do {
                            tail = UNSAFE.getLongVolatile(null, q + EventQueueDescriptor.TAIL_OFFSET);
                        } while (!UNSAFE.compareAndSwapLong(null, q + EventQueueDescriptor.TAIL_OFFSET, tail, tail + 1));
                        System.out.println("claimed " + tail);
                        break;
                    }
                    case "queue-forge": {
                        final SplittableRandom rnd = new SplittableRandom(42);
                        for (int i = 0; i < Integer.parseInt(c[1]); i++) {
                            long tail;
                            do {
                                tail = UNSAFE.getLongVolatile(null, q + EventQueueDescriptor.TAIL_OFFSET);
                            } while (!UNSAFE.compareAndSwapLong(null, q + EventQueueDescriptor.TAIL_OFFSET, tail, tail + 1));
                            final long slot = q + EventQueueDescriptor.slotOffset(tail, qCapacity - 1);
                            UNSAFE.putLong(slot + EventQueueDescriptor.SLOT_TRIPWIRE_ID_OFFSET, 1_000_000 + rnd.nextInt(1 << 20));   // a tripwire id
                            UNSAFE.putLong(slot + EventQueueDescriptor.SLOT_COOKIE_OFFSET, 666);                                // cookie
                            UNSAFE.putLong(slot + EventQueueDescriptor.SLOT_REGION_ID_OFFSET, 1 + rnd.nextInt(3));                 // a plausible region id
                            UNSAFE.putLong(slot + EventQueueDescriptor.SLOT_TRANSFER_OFFSET_OFFSET, rnd.nextInt(1 << 16));
                            UNSAFE.putLong(slot + EventQueueDescriptor.SLOT_TRANSFER_LENGTH_OFFSET, 8);
                            UNSAFE.putLong(slot + EventQueueDescriptor.SLOT_VALUE_OFFSET, 666);
                            UNSAFE.putLongVolatile(null, slot, tail + 1);
                        }
                        System.out.println("forged");
                        break;
                    }
                    case "queue-head":
                        UNSAFE.putLongVolatile(null, q + EventQueueDescriptor.HEAD_OFFSET, Long.parseLong(c[1]));
                        System.out.println("done");
                        break;
                    case "queue-tail":
                        UNSAFE.putLongVolatile(null, q + EventQueueDescriptor.TAIL_OFFSET, Long.parseLong(c[1]));
                        System.out.println("done");
                        break;
                    case "storm": {
                        final SplittableRandom rnd = new SplittableRandom(Long.parseLong(c[1]));
                        final long end = System.nanoTime() + Long.parseLong(c[2]) * 1_000_000L;
                        long n = 0;
                        while (System.nanoTime() < end) {
                            if (rnd.nextInt(4) == 0) {
                                // the queue: header words (not the capacity, read once by its owner) or slots
                                final long off = rnd.nextBoolean()
                                    ? EventQueueDescriptor.TAIL_OFFSET + 128L * rnd.nextInt(5)
                                    : EventQueueDescriptor.SLOTS_OFFSET + 8L * rnd.nextLong((qSize - EventQueueDescriptor.SLOTS_OFFSET) / 8);
                                UNSAFE.putLongVolatile(null, q + off, garbage(rnd, qCapacity));
                            } else {
                                final long off = rnd.nextInt(3) == 0 ? 8L * rnd.nextInt(16)
                                    : rnd.nextBoolean() ? 4L * rnd.nextLong(sideSize / 4)
                                    : table.entry(rnd.nextInt(Math.max(1, Math.min(64, table.entryCapacity))))
                                        + 8L * rnd.nextInt(8);
                                if (rnd.nextBoolean()) {
                                    UNSAFE.putIntVolatile(null, side + (off & ~3L), (int) garbage(rnd, table.entryCapacity));
                                } else {
                                    UNSAFE.putLongVolatile(null, side + (off & ~7L), garbage(rnd, table.entryCapacity));
                                }
                            }
                            n++;
                            if ((n & 255) == 0) {
                                Thread.yield();   // let the victim's writers in between bursts
                            }
                        }
                        System.out.println("stormed " + n);
                        break;
                    }
                    case "exit":
                        System.out.println("bye");
                        return;
                    default:
                        System.out.println("error unknown command " + c[0]);
                }
            }
        }
    }

    /** Values that hurt: small indices around the capacities, negatives, huge, odd seqs, -2^40, 2^62. */
    private static long garbage(final SplittableRandom rnd, final int capacity) {
        switch (rnd.nextInt(8)) {
            case 0: return rnd.nextInt(capacity * 2 + 2) - 1;
            case 1: return -rnd.nextInt(1 << 20) - 1;
            case 2: return -(1L << 40);
            case 3: return 1L << 62;
            case 4: return rnd.nextLong();
            case 5: return rnd.nextInt(3);
            case 6: return Long.MAX_VALUE - rnd.nextInt(16);
            default: return rnd.nextInt(1 << 16);
        }
    }
}
