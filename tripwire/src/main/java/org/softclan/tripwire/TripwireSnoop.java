package org.softclan.tripwire;

import org.softclan.dsm.Direction;
import org.softclan.dsm.Mapping;
import org.softclan.dsm.OutboundMapping;
import org.softclan.dsm.SharedMemory;
import org.softclan.dsm.SnoopHook;
import org.softclan.tripwire.os.Membarrier;

/**
 * The Tripwire unit's snoop hook on one outbound mapping: matches every transfer through it against
 * the region's shared table (inbound tripwires, in the region's sidecar) and against this endpoint's
 * private table for the mapping (outbound tripwires), and performs the actions of those that fire.
 *
 * <p>The common case, no tripwire on the touched cache lines, costs one bitmap load per direction. A
 * write within one cache line that may match takes the entries of that line from a small cache, kept
 * while the table's seqlock word is unchanged (any arm or disarm changes it; entry states, which change
 * without it, are read on every write), instead of walking the hash and node lists again.
 * On machines where {@link Membarrier} is unavailable, each check is preceded by a full fence, so that
 * {@link TripwireUnit#armAndCheck} stays exact.
 */
final class TripwireSnoop implements SnoopHook {
    /** Whether arming processes can force writers through a barrier, so writers need no fence. */
    static final boolean FENCE_FREE = Membarrier.registerGlobalExpedited();
    private static final ThreadLocal<LineIndex.Matches> MATCHES = ThreadLocal.withInitial(LineIndex.Matches::new);

    /** A thread's match buffer, cached here for the first thread that fires through this mapping. */
    private static final class Owned {
        final Thread thread;
        final LineIndex.Matches matches;

        Owned(final Thread thread, final LineIndex.Matches matches) {
            this.thread = thread;
            this.matches = matches;
        }
    }

    /** Usually the only writer thread's buffer: spares it the thread-local lookup on every fired write. */
    private Owned owned;

    /** Cached entries of recently fired lines per direction, by line (a power of two). */
    private static final int LINE_CACHE = 4;
    private final LineIndex.LineEntries[] inboundLines = new LineIndex.LineEntries[LINE_CACHE];
    private final LineIndex.LineEntries[] outboundLines = new LineIndex.LineEntries[LINE_CACHE];

    private final OutboundMapping mapping;
    private final TripwireTable inbound;
    /** The inbound table's window ({@code null} without a table), read on every transfer's snoop. */
    private final SharedMemory inboundMemory;
    /** The mapping's data area, for the watched word a condition compares. */
    private final long dataAddress;
    /** The region's data size, in bytes (a field here: one load fewer per fired entry). */
    private final long dataSize;
    private final QueueCache inboundQueues;
    private volatile TripwireTable outbound;
    private volatile EventQueue outboundQueue;
    private volatile int outboundRegionId;
    /**
     * Tripwires fired by transfers through this mapping: a plain add on the firing path (usually the one
     * writer thread's; racing writers may lose counts), read opaquely for statistics ({@link #actions()}).
     */
    private long fired;
    private static final java.lang.invoke.VarHandle FIRED;

    static {
        try {
            FIRED = java.lang.invoke.MethodHandles.lookup().findVarHandle(TripwireSnoop.class, "fired", long.class);
        } catch (final ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    TripwireSnoop(final OutboundMapping mapping) {
        this.mapping = mapping;
        ProtocolErrors.logTo(mapping.endpoint().stats());
        final int capacity = TripwireTableDescriptor.capacityFor(mapping.size(), mapping.sidecarSize());
        this.inbound = capacity == 0 ? null : new TripwireTable(SharedMemory.sidecarOf(mapping), mapping.size(),
            capacity, mapping.regionName(), HolderIdentity.of(mapping));
        this.inboundMemory = inbound == null ? null : inbound.memory;
        this.dataAddress = SharedMemory.of(mapping, 0, mapping.size()).address();
        this.dataSize = mapping.size();
        this.inboundQueues = inbound == null ? null : new QueueCache(mapping, inbound);
    }

    TripwireTable inboundTable() {
        return inbound;
    }

    void outbound(final TripwireTable table, final EventQueue queue, final int regionId) {
        this.outboundQueue = queue;
        this.outboundRegionId = regionId;
        this.outbound = table;
    }

    TripwireTable outboundTable() {
        return outbound;
    }

    @Override
    public void onTransfer(final Mapping m, final long offset, final long length, final Direction direction) {
        if (direction == Direction.INBOUND) {
            // the region's own table: its window is held here, so the common "no tripwire near" answer
            // costs a load of this field, of the window's address, and of one bitmap word
            if (inboundMemory == null || length <= 0) {
                return;
            }
            if (!FENCE_FREE) {
                SharedMemory.fullFence();
            }
            if (LineIndex.mayMatch(inboundMemory, offset, length)) {
                fire(inbound, offset, length, direction);
            }
            return;
        }
        final TripwireTable table = outbound;
        if (table == null || length <= 0) {
            return;
        }
        if (!FENCE_FREE) {
            SharedMemory.fullFence();
        }
        if (table.mayMatch(offset, length)) {
            fire(table, offset, length, direction);
        }
    }

    private void fire(final TripwireTable table, final long offset, final long length, final Direction direction) {
        final long line = offset >>> 6;
        if (line == (offset + length - 1) >>> 6) {
            // a write within one line: the line's entries, cached while the table's structure is unchanged
            final LineIndex.LineEntries[] cache = direction == Direction.INBOUND ? inboundLines : outboundLines;
            final int slot = (int) line & (LINE_CACHE - 1);
            LineIndex.LineEntries c = cache[slot];
            if (c == null || c.index != table.lineIndex() || c.line != line || c.seq != table.seq()) {
                c = table.lineEntries(line, direction == Direction.INBOUND ? Tripwire.IN : Tripwire.OUT);
                if (c == null) {
                    fireCollected(table, offset, length, direction);   // being changed: the waiting path
                    return;
                }
                cache[slot] = c;
            }
            for (final int index : c.entries) {
                fireEntry(table, table.entry(index), offset, length, direction);   // it checks the overlap
            }
            return;
        }
        fireCollected(table, offset, length, direction);
    }

    private void fireCollected(final TripwireTable table, final long offset, final long length,
                               final Direction direction) {
        final LineIndex.Matches matches = matches();
        final int n = table.collect(offset, length, direction == Direction.INBOUND ? Tripwire.IN : Tripwire.OUT,
            matches);
        for (int i = 0; i < n; i++) {
            fireEntry(table, table.entry(matches.buf[i]), offset, length, direction);
        }
    }

    /**
     * Performs the actions of one entry, if the transfer overlaps it, its condition holds and it is armed.
     * Its start and length are read once, checked and used for both the overlap and the word's address.
     */
    private void fireEntry(final TripwireTable table, final long e, final long offset, final long length,
                           final Direction direction) {
        final SharedMemory m = table.memory;
        final long a = m.address() + e;   // the entry's address, once: its reads sit between volatile ones
        final int flags = TripwireEntry.flagsAt(a);
        final long start = TripwireEntry.startAt(a);
        final long len = TripwireEntry.lengthAt(a);
        if (start >= offset + length || offset >= start + len) {
            return;   // another entry of the same line (or garbage the check below would refuse)
        }
        if (!table.validRange(start, len)) {
            ignoreBadEntry(table, e, start, len);
            return;
        }
        final long value = wordAt(start);
        if ((flags & (Tripwire.COND_EQ | Tripwire.COND_GE)) != 0 && !conditionHolds(flags, m, e, value)) {
            return;
        }
        if ((flags & Tripwire.ONE_SHOT) != 0) {
            if (!TripwireEntry.compareAndSetStateAt(a, TripwireEntry.ARMED, TripwireEntry.FIRED)) {
                return;
            }
        } else if (TripwireEntry.stateAt(a) != TripwireEntry.ARMED) {
            return;
        }
        fired++;
        if ((flags & Tripwire.COUNTER) != 0) {
            TripwireEntry.incrementCountAt(a);
        }
        final EventQueue queue;
        final int regionId;
        if (direction == Direction.INBOUND) {
            final int qi = (flags >>> Tripwire.QUEUE_SHIFT) & 0xF;
            queue = inboundQueues.get(qi);
            regionId = queue == null ? 0 : table.queueRegionId(qi);
        } else {
            queue = outboundQueue;
            regionId = outboundRegionId;
        }
        if (queue == null) {
            countLost(m, e);
            return;
        }
        if ((flags & Tripwire.EVENT) != 0) {
            if (!queue.post(TripwireEntry.idAt(a), TripwireEntry.cookieAt(a),
                regionId, offset, length, value)) {
                countLost(m, e);
            }
        } else if ((flags & Tripwire.WAKE) != 0) {
            SharedMemory.fullFence();
            queue.ring();
        }
    }

    // fireEntry's less common steps, as calls: it stays under the JIT's size limit for inlining hot methods

    private static boolean conditionHolds(final int flags, final SharedMemory m, final long e, final long value) {
        final long cond = TripwireEntry.condition(m, e);
        return ((flags & Tripwire.COND_EQ) == 0 || value == cond) && ((flags & Tripwire.COND_GE) == 0 || value >= cond);
    }

    private static void countLost(final SharedMemory m, final long e) {
        TripwireEntry.incrementLost(m, e);
    }

    /** Garbage from another process: the write stands, this entry is ignored and counted (out of line). */
    private static void ignoreBadEntry(final TripwireTable table, final long e, final long start, final long len) {
        table.requestRepair();
        ProtocolErrors.record(table.corrupt("entry at +" + e, "start/length", start,
            "length " + len + "; must lie inside the " + table.dataSize + "-byte data area; ignored"));
    }

    /** {@return tripwires fired by transfers through this mapping (an opaque read; see {@link #fired})} */
    @Override
    public long actions() {
        return (long) FIRED.getOpaque(this);
    }

    private LineIndex.Matches matches() {
        final Thread current = Thread.currentThread();
        final Owned o = owned;   // final fields: a racing read sees a whole object or null
        if (o != null && o.thread == current) {
            return o.matches;
        }
        final LineIndex.Matches m = MATCHES.get();
        if (o == null) {
            owned = new Owned(current, m);
        }
        return m;
    }

    private long wordAt(final long start) {
        // start is in [0, size) here, but a length-1 entry at the last bytes must not read past the end
        return (start & 7) == 0 && start >= 0 && start <= dataSize - 8
            ? SharedMemory.getLongVolatileAt(dataAddress + start) : 0;
    }

    /**
     * Gives back the event queues this mapping's writers posted to: the mapping closed, so none of its
     * writers is inside {@link #onTransfer} any more.
     */
    @Override
    public void detach(final Mapping m) {
        if (inboundQueues != null) {
            inboundQueues.releaseAll();
        }
    }

    /**
     * The event queues named in a table's directory, imported on first use through the endpoint's
     * {@link QueueImports} and held until the mapping closes (a queue replaced in a directory slot is
     * kept too: a writer on another thread may still be posting to it).
     */
    static final class QueueCache {
        private final OutboundMapping via;
        private final TripwireTable table;
        private final long[] serials = new long[TripwireTableDescriptor.QUEUES];
        private final EventQueue[] queues = new EventQueue[TripwireTableDescriptor.QUEUES];
        private final String[] names = new String[TripwireTableDescriptor.QUEUES];
        /** The most imports a cache holds: four per directory slot (a slot's queue replaced now and then). */
        static final int MAX_HELD = 4 * TripwireTableDescriptor.QUEUES;
        /**
         * Every import this cache took, once each, at most {@link #MAX_HELD} (then one {@code null}: the
         * limit was reported).
         */
        private final java.util.List<QueueImports.Ref> held = new java.util.ArrayList<>();
        private QueueImports imports;
        private boolean released;

        QueueCache(final OutboundMapping via, final TripwireTable table) {
            this.via = via;
            this.table = table;
        }

        EventQueue get(final int index) {
            // the slot's serial changes whenever another queue takes the slot, even in the same process
            final long serial = table.queueSerial(index);
            if (serial == 0) {
                return null;
            }
            if (serials[index] == serial) {
                return queues[index];   // null if the queue could not be reached: not retried per write
            }
            return attach(index, serial);
        }

        private synchronized EventQueue attach(final int index, final long serial) {
            if (serials[index] == serial) {
                return queues[index];
            }
            EventQueue q = null;
            try {
                // a name only a unit makes (a peer could otherwise steer events into any region)
                final String name = table.queueName(index);
                if (name != null && name.equals(names[index])) {
                    q = queues[index];   // same queue, new serial (or a peer churning it): no new import
                } else if (name != null && name.startsWith(TripwireUnit.QUEUE_PREFIX) && !released) {
                    if (imports == null) {
                        imports = QueueImports.of(via.endpoint());
                    }
                    if (held.size() >= MAX_HELD) {
                        // a directory naming queue after queue (a peer churning it): each import held
                        // costs a mapping and a file descriptor until this mapping closes; no more
                        if (held.size() == MAX_HELD) {
                            ProtocolErrors.record(table.corrupt("queue directory slot " + index, "name", held.size(),
                                "the directory has named " + MAX_HELD + " different queues; no more are imported"
                                    + " through this mapping (their events are counted as lost)"));
                            held.add(null);   // recorded once
                        }
                        throw new IllegalStateException("too many queues named");
                    }
                    final QueueImports.Ref r = imports.acquire(name);
                    if (held.stream().anyMatch(h -> h == r)) {
                        imports.release(r);   // already held once by this cache
                    } else {
                        held.add(r);
                    }
                    q = r.queue;
                }
                names[index] = name;
            } catch (final RuntimeException e) {
                // the queue's owner is gone or its region cannot be imported: the event is counted as lost
            }
            queues[index] = q;
            serials[index] = serial;
            return q;
        }

        /** Releases every import taken; later events through this cache are counted as lost. */
        synchronized void releaseAll() {
            released = true;
            java.util.Arrays.fill(queues, null);
            for (final QueueImports.Ref r : held) {
                if (r == null) {
                    continue;
                }
                try {
                    imports.release(r);
                } catch (final RuntimeException e) {
                    // an import that cannot be unmapped now goes with its endpoint
                }
            }
            held.clear();
        }
    }
}
