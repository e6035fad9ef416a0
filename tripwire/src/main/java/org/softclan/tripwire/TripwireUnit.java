package org.softclan.tripwire;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.agrona.concurrent.status.AtomicCounter;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.InboundMapping;
import org.softclan.dsm.Mapping;
import org.softclan.dsm.OutboundMapping;
import org.softclan.dsm.SharedMemory;
import org.softclan.dsm.stat.CounterGroup;
import org.softclan.dsm.stat.EndpointStats;
import org.softclan.dsm.stat.StatTypes;
import org.softclan.tripwire.os.Membarrier;

/**
 * An endpoint's Tripwire unit: arms tripwires on regions it exported or imported, and receives what
 * they fire in its {@link EventQueue}.
 *
 * <pre>{@code
 * try (TripwireUnit unit = TripwireUnit.open(endpoint)) {
 *     Tripwire t = unit.arm(inbound, Tripwire.Options.word(0));   // fires when a write lands there
 *     unit.events().await(WaitStrategy.competitive(), timeout);
 *     unit.events().poll(handler, 16);
 * }
 * }</pre>
 *
 * <p>Inbound tripwires live in the region's table (its sidecar), shared by every process that maps the
 * region, so a write from any of them fires them; any endpoint that maps the region (its owner, or an
 * importer acting as a monitor) may arm them, and events go to the arming unit's queue. Outbound
 * tripwires live in a private table of this unit per outbound mapping and fire on this endpoint's own
 * transfers. Closing the unit disarms its tripwires and removes its event queue.
 */
public final class TripwireUnit implements AutoCloseable {
    /** Tripwires a region's table holds when it was exported with the default sidecar. */
    public static final int DEFAULT_TRIPWIRES = 1024;
    /** Every event queue region's name starts with this; snoops import no other region as a queue. */
    static final String QUEUE_PREFIX = "evq-";

    private final Endpoint endpoint;
    private final InboundMapping queueRegion;
    private final EventQueue queue;
    private final Set<Tripwire> armed = ConcurrentHashMap.newKeySet();
    /** Region ids for the events, kept while a tripwire of this unit is armed in the region. */
    private final RegionIds regionIds = new RegionIds();
    private final Map<OutboundMapping, PrivateTable> outboundTables = new ConcurrentHashMap<>();
    /** Shared tables whose queue directory names this unit's queue, with the mapping that reaches them. */
    private final Map<Long, Mapping> registeredIn = new ConcurrentHashMap<>();
    /** Inbound tripwires this unit has armed per shared table; at zero the directory slot is given back. */
    private final Map<Long, Integer> armedPerTable = new ConcurrentHashMap<>();
    /**
     * The table objects of the shared tables in {@link #registeredIn}, kept while this unit has tripwires
     * there: arming again reuses it (no window and no table object per arm), and its seqlock remembers the
     * highest seq this process saw, which is how it notices a peer setting the seq back.
     */
    private final Map<Long, TripwireTable> tables = new ConcurrentHashMap<>();
    private final KnownTripwires known = new KnownTripwires();
    private volatile boolean closed;
    private final java.util.concurrent.CountDownLatch closeDone = new java.util.concurrent.CountDownLatch(1);

    /** Fluent configuration of a unit; defaults work out of the box. */
    public static final class Context {
        private int queueCapacity = 1 << 16;

        /** A context with the defaults: an event queue of 65536 events. */
        public Context() {
        }

        /**
         * Sets how many events the unit's event queue holds.
         *
         * @param events capacity of the event queue, a power of two (default 65536)
         * @return this
         */
        public Context queueCapacity(final int events) {
            if (events < 2 || Integer.bitCount(events) != 1 || events > EventQueue.MAX_CAPACITY) {
                throw new IllegalArgumentException("event queue capacity " + events + " must be a power of two"
                    + " from 2 to " + EventQueue.MAX_CAPACITY);
            }
            this.queueCapacity = events;
            return this;
        }
    }

    private TripwireUnit(final Endpoint endpoint, final Context ctx) {
        this.endpoint = endpoint;
        final String name = endpoint.internalRegionName(QUEUE_PREFIX.substring(0, QUEUE_PREFIX.length() - 1));
        this.queueRegion = endpoint.exportInternal(name, EventQueue.bytesFor(ctx.queueCapacity), 0, 0);
        EventQueue.format(queueRegion, ctx.queueCapacity);
        this.queue = new EventQueue(queueRegion);
        queue.filter(known);
        this.gauges = new UnitGauges(endpoint.stats(), name);
        ProtocolErrors.logTo(endpoint.stats());
        // closing the endpoint closes this unit first: threads blocked on its queue leave before it goes
        try {
            endpoint.closeFirst(this);
        } catch (final RuntimeException endpointClosed) {
            gauges.close();
            throw endpointClosed;
        }
    }

    /**
     * The unit's counters in its endpoint's statistics ({@code vmmc stat}): gauges read from the queue's
     * words and the unit's state by the publisher, so no post, poll or wait pays for them. The queue's words
     * are read only while its file is whole (one {@code stat} per publication).
     */
    private final class UnitGauges {
        private final CounterGroup group;

        UnitGauges(final EndpointStats stats, final String queueName) {
            final String of = ", tripwire unit " + queueName;
            group = new CounterGroup(stats);
            final AtomicCounter armedNow = group.counter("tripwires armed" + of,
                StatTypes.TRIPWIRES_ARMED);
            final AtomicCounter queued = group.counter("events queued, not yet polled" + of,
                StatTypes.EVENTS_QUEUED);
            final AtomicCounter overflows = group.counter(
                "posts that found the queue full (events lost)" + of, StatTypes.EVENT_OVERFLOWS);
            final AtomicCounter dropped = group.counter("events dropped as unknown or forged"
                + of, StatTypes.EVENTS_DROPPED);
            final AtomicCounter skipped = group.counter(
                "event slots skipped, left unpublished by a poster" + of, StatTypes.EVENTS_SKIPPED);
            final AtomicCounter blockedNow = group.counter("threads blocked on the queue" + of,
                StatTypes.THREADS_BLOCKED);
            final AtomicCounter posted = group.counter("events posted" + of,
                StatTypes.EVENTS_POSTED);
            final AtomicCounter polled = group.counter("events polled" + of,
                StatTypes.EVENTS_POLLED);
            final AtomicCounter blocks = group.counter("blocking waits" + of,
                StatTypes.BLOCKS);
            final AtomicCounter wakeUps = group.counter("wake-ups of blocked threads" + of,
                StatTypes.WAKE_UPS);
            final AtomicCounter blockedMicros = group.counter("us spent blocked" + of,
                StatTypes.BLOCKED_MICROS);
            group.beforePublish(() -> {
                armedNow.setRelease(armed.size());
                blockedNow.setRelease(queue.blockedThreads());
                blocks.setRelease(queue.blockCount());
                wakeUps.setRelease(queue.wakeUpCount());
                blockedMicros.setRelease(queue.blockedNanos() / 1_000);
                polled.setRelease(queue.polledCount());
                if (!closed && queue.isIntact()) {
                    posted.setRelease(queue.postedCount());
                    queued.setRelease(queue.size());
                    overflows.setRelease(queue.overflowCount());
                    dropped.setRelease(queue.droppedCount());
                    skipped.setRelease(queue.skippedCount());
                }
            });
        }

        /** Removes the counters; no publication reads the queue once this returns. */
        void close() {
            group.close();
        }
    }

    private final UnitGauges gauges;

    /**
     * Opens a unit with default settings ({@link Context}); see {@link #open(Endpoint, Context)}.
     *
     * @param endpoint the endpoint whose mappings the unit arms tripwires on
     * @return a unit for {@code endpoint} with default settings
     */
    public static TripwireUnit open(final Endpoint endpoint) {
        return new TripwireUnit(endpoint, new Context());
    }

    /**
     * Opens a unit: exports its event queue as an internal region of {@code endpoint} and registers
     * the unit to be closed before the endpoint ({@link Endpoint#closeFirst}).
     *
     * @param endpoint the endpoint whose mappings the unit arms tripwires on
     * @param ctx      the unit's settings (event queue capacity)
     * @return a unit for {@code endpoint}
     * @throws org.softclan.dsm.ClosedException        if the endpoint is closed
     * @throws org.softclan.dsm.ResourceLimitException if this process is near its limit of memory
     *         mappings or open files
     */
    public static TripwireUnit open(final Endpoint endpoint, final Context ctx) {
        return new TripwireUnit(endpoint, ctx);
    }

    /**
     * Sizes a region's sidecar for a tripwire table larger than the default one.
     *
     * @param dataSize  bytes in the region's data area
     * @param tripwires tripwires the region's table must hold at once
     * @return sidecar bytes a region of {@code dataSize} needs for a table of {@code tripwires}; pass it
     *         to {@link Endpoint#export(String, long, long, long)} for more than the default
     */
    public static long sidecarBytes(final long dataSize, final int tripwires) {
        return TripwireTableDescriptor.bytesFor(dataSize, tripwires);
    }

    /**
     * Garbage found in shared tripwire state (a region's tripwire table, an event queue) by this JVM
     * where it could not throw: in a writer's snoop (the write succeeded, the bad entry was ignored),
     * in a poll (the forged event was dropped), or while recovering a lock (a volatile read of a
     * JVM-wide counter).
     *
     * @return the number of such protocol errors since this JVM started
     */
    public static long protocolErrorCount() {
        return ProtocolErrors.count();
    }

    /**
     * The last garbage this JVM found in shared tripwire state where it could not throw.
     *
     * @return the last protocol error counted by {@link #protocolErrorCount()} (a
     *         {@link TripwireTableCorruptException} or {@link TripwireLockTimeoutException} naming the
     *         region, structure, field and value), or {@code null} if none
     */
    public static RuntimeException lastProtocolError() {
        return ProtocolErrors.last();
    }

    /** {@return whether {@link #close()} was called} */
    public boolean isClosed() {
        return closed;
    }

    /** {@return the endpoint this unit serves} */
    public Endpoint endpoint() {
        return endpoint;
    }

    /** {@return this unit's event queue} */
    public EventQueue events() {
        return queue;
    }

    /**
     * Names the region behind a region id.
     *
     * @param regionId a region id as events carry it ({@link EventHandler#onEvent}) or
     *                 {@link Tripwire#regionId()} returns it
     * @return the region name for a region id carried in events, or {@code null} if no tripwire of this
     *         unit is armed in that region any more
     */
    public String regionName(final int regionId) {
        return regionIds.name(regionId);
    }

    // ------------------------------------------------------------------------------------- arming

    /**
     * Arms a tripwire on a region this endpoint exported or imported.
     *
     * @param mapping the region's mapping: the inbound one (inbound tripwires only) or an outbound one
     * @param options what to watch and what to do when it fires
     * @return the armed tripwire; it stays this unit's until {@link Tripwire#disarm()} or {@link #close()}
     * @throws org.softclan.dsm.RegionBoundsException if the range is outside the region
     * @throws IllegalArgumentException if the length is not positive, a value condition is set on a
     *         start that is not 8-byte aligned, or outbound transfers are watched on an inbound mapping
     * @throws IllegalStateException if outbound transfers are watched on an outbound mapping that has a
     *         snoop hook of its own (not the Tripwire unit's)
     * @throws TripwireCapacityException if the region's table (or this unit's) is full, or the region
     *         has no table (exported with no sidecar)
     * @throws TripwireLockTimeoutException if another live process kept the region's table locked past
     *         the bound (a dead holder's lock is taken over instead)
     * @throws TripwireTableCorruptException if the table held garbage (written by another process) even
     *         after it was rebuilt from its valid entries once
     * @throws org.softclan.dsm.ClosedException if this unit or the mapping is closed
     */
    public Tripwire arm(final Mapping mapping, final Tripwire.Options options) {
        checkOpen();
        mapping.address(options.offset, options.length);
        if (options.length <= 0) {
            throw new IllegalArgumentException("tripwire on region '" + mapping.regionName() + "': length "
                + options.length + " must be positive");
        }
        if (options.condition != 0 && ((options.offset & 7) != 0 || options.offset + 8 > mapping.size())) {
            throw new IllegalArgumentException("tripwire on region '" + mapping.regionName() + "': a value"
                + " condition needs an 8-byte-aligned start inside the region; offset " + options.offset);
        }
        final int regionId = regionIds.reserve(mapping);
        boolean done = false;
        try {
            Tripwire.Entry in = null;
            Tripwire.Entry out = null;
            if (options.watch != Tripwire.Watch.OUTBOUND) {
                in = armIn(mapping, options, regionId);
            }
            if (options.watch != Tripwire.Watch.INBOUND) {
                try {
                    out = armOut(mapping, options, regionId);
                } catch (final RuntimeException e) {
                    if (in != null) {
                        disarmEntry(in);
                        known.retire(regionId, in.id, queue.retirementTail(), queue.ownerHead());
                    }
                    throw e;
                }
            }
            final Tripwire t = new Tripwire(this, mapping.regionName(), regionId, options, in, out);
            armed.add(t);
            done = true;
            return t;
        } finally {
            if (!done) {
                regionIds.release(regionId);
            }
        }
    }

    /**
     * Arms a tripwire, then re-reads the watched word. A write can land between "I looked at the word
     * and decided to wait" and "I armed": such a write does not fire the new tripwire, and a waiter
     * that then blocks would sleep through it. After this call either the write fired the tripwire or
     * the returned value shows it, so the caller waits only if {@link Armed#changed()} is false.
     * Exactness across processes: the re-read comes after a global memory barrier
     * ({@link Membarrier}), or, where that is unavailable, writers fence before matching. Fails as
     * {@link #arm} does.
     *
     * @param mapping  the region's mapping, as for {@link #arm}
     * @param options  what to arm, as for {@link #arm}
     * @param observed the value the caller last saw in the 8-byte word at the tripwire's start
     * @return the armed tripwire and the word's value read after arming (volatile read of the aligned
     *         8-byte word holding the tripwire's start); wait only if it has not {@link Armed#changed()}
     */
    public Armed armAndCheck(final Mapping mapping, final Tripwire.Options options, final long observed) {
        final Tripwire t = arm(mapping, options);
        return new Armed(t, check(mapping, options.offset), observed);
    }

    /**
     * Re-arms a fired one-shot tripwire and re-reads its word, for the same reason as
     * {@link #armAndCheck}.
     *
     * @param tripwire a one-shot tripwire of this unit (re-armed only if it has fired)
     * @param mapping  the mapping it was armed on
     * @param observed the value the caller last saw in the 8-byte word at the tripwire's start
     * @return the tripwire and the word's value read after re-arming (volatile read); wait only if it
     *         has not {@link Armed#changed()}
     */
    public Armed rearmAndCheck(final Tripwire tripwire, final Mapping mapping, final long observed) {
        tripwire.rearm();
        return new Armed(tripwire, check(mapping, tripwire.offset()), observed);
    }

    private static long check(final Mapping mapping, final long offset) {
        Membarrier.globalBarrier();
        return SharedMemory.of(mapping, offset & ~7L, 8).getLongVolatile(0);
    }

    /**
     * The result of {@link #armAndCheck}.
     *
     * @param tripwire the armed tripwire
     * @param current  the word's value after arming
     * @param observed the value the caller had seen
     */
    public record Armed(Tripwire tripwire, long current, long observed) {
        /** {@return whether the word changed before the tripwire was armed: do not wait for it} */
        public boolean changed() {
            return current != observed;
        }
    }

    private Tripwire.Entry armIn(final Mapping mapping, final Tripwire.Options o, final int regionId) {
        final long key = mapping.sidecarSize() == 0 ? 0 : mapping.sidecarAddress();
        final TripwireTable kept = key == 0 ? null : tables.get(key);
        final TripwireTable table = kept != null && registeredIn.get(key) == mapping ? kept : sharedTable(mapping);
        // one fstat: the lock is an atomic, which on a cut page JDK 17's interpreter turns into a SIGBUS
        mapping.checkIntact();
        table.lock();
        try {
            Tripwire.Entry entry;
            try {
                entry = armInLocked(table, mapping, o, regionId);
            } catch (final TripwireTableCorruptException e) {
                // another process scribbled on the table: rebuild it from its valid entries, retry once
                ProtocolErrors.record(e);
                table.rebuild();
                entry = armInLocked(table, mapping, o, regionId);
            }
            registeredIn.put(table.memory.address(), mapping);
            tables.put(table.memory.address(), table);
            armedPerTable.merge(table.memory.address(), 1, Integer::sum);
            return entry;
        } finally {
            table.unlock();
        }
    }

    private Tripwire.Entry armInLocked(final TripwireTable table, final Mapping mapping, final Tripwire.Options o,
                                       final int regionId) {
        final int qi = table.registerQueue(queue.regionName(), table.holders().token(), regionId,
            mapping.regionName());
        final int index = table.arm(o.offset, o.length, o.flags(Tripwire.IN, qi), o.conditionValue, o.cookie,
            mapping.regionName());
        final long id = TripwireEntry.id(table.memory, table.entry(index));
        known.add(regionId, id, o.offset, o.length);   // before unlock: no writer can fire it before
        return new Tripwire.Entry(table, index, id);
    }

    private static TripwireTable sharedTable(final Mapping mapping) {
        if (mapping instanceof OutboundMapping && ((OutboundMapping) mapping).snoopHook() instanceof TripwireSnoop) {
            final TripwireTable t = ((TripwireSnoop) ((OutboundMapping) mapping).snoopHook()).inboundTable();
            if (t != null) {
                return t;
            }
        }
        final int capacity = TripwireTableDescriptor.capacityFor(mapping.size(), mapping.sidecarSize());
        if (capacity == 0) {
            throw new TripwireCapacityException("region '" + mapping.regionName() + "' has no room for a"
                + " tripwire table (sidecar " + mapping.sidecarSize() + " bytes, " + sidecarBytes(mapping.size(), 1)
                + " needed for one tripwire); export it with TripwireUnit.sidecarBytes(size, n)");
        }
        return new TripwireTable(SharedMemory.sidecarOf(mapping), mapping.size(), capacity, mapping.regionName(),
            HolderIdentity.of(mapping));
    }

    private Tripwire.Entry armOut(final Mapping mapping, final Tripwire.Options o, final int regionId) {
        if (!(mapping instanceof OutboundMapping)) {
            throw new IllegalArgumentException("outbound tripwires watch transfers this endpoint sends:"
                + " arm them on an outbound mapping, not on the inbound mapping of region '"
                + mapping.regionName() + "'");
        }
        final OutboundMapping om = (OutboundMapping) mapping;
        if (!(om.snoopHook() instanceof TripwireSnoop)) {
            throw new IllegalStateException("outbound mapping of region '" + om.regionName()
                + "' has a snoop hook of its own, so outbound tripwires cannot see its transfers");
        }
        final TripwireSnoop snoop = (TripwireSnoop) om.snoopHook();
        final PrivateTable pt = outboundTables.computeIfAbsent(om, m -> {
            final PrivateTable p = new PrivateTable(m.size());
            snoop.outbound(p.table, queue, regionId);
            return p;
        });
        pt.table.lock();
        try {
            final int index = pt.table.arm(o.offset, o.length, o.flags(Tripwire.OUT, 0), o.conditionValue, o.cookie,
                om.regionName());
            final long id = TripwireEntry.id(pt.table.memory, pt.table.entry(index));
            known.add(regionId, id, o.offset, o.length);
            return new Tripwire.Entry(pt.table, index, id);
        } finally {
            pt.table.unlock();
        }
    }

    void disarm(final Tripwire t) {
        if (!armed.remove(t)) {
            return;   // already disarmed (Tripwire.disarm is once; close may race it)
        }
        try {
            if (t.in != null) {
                final Mapping m = registeredIn.get(t.in.table.memory.address());
                // a table in a closed or cut region is gone with it: not touched (one fstat; the lock is an
                // atomic, which on a cut page JDK 17's interpreter turns into a SIGBUS)
                final boolean reachable = m == null || !m.isClosed() && m.isIntact();
                if (reachable) {
                    disarmEntry(t.in);
                }
                final Integer left = armedPerTable.computeIfPresent(t.in.table.memory.address(),
                    (k, n) -> n == 1 ? null : n - 1);
                if (left == null && m != null) {
                    // nothing of ours is armed there any more: give the queue directory slot back
                    registeredIn.remove(t.in.table.memory.address());
                    tables.remove(t.in.table.memory.address());
                    if (reachable) {
                        releaseQueue(t.in.table, m);
                    }
                }
                known.retire(t.regionId(), t.in.id, queue.retirementTail(), queue.ownerHead());
            }
            if (t.out != null) {
                disarmEntry(t.out);
                known.retire(t.regionId(), t.out.id, queue.retirementTail(), queue.ownerHead());
            }
        } finally {
            regionIds.release(t.regionId());
        }
    }

    private void releaseQueue(final TripwireTable table, final Mapping m) {
        table.lock();
        try {
            try {
                table.releaseQueue(queue.regionName());
            } catch (final TripwireTableCorruptException e) {
                ProtocolErrors.record(e);
                table.rebuild();
                table.releaseQueue(queue.regionName());
            }
        } finally {
            table.unlock();
        }
    }

    private static void disarmEntry(final Tripwire.Entry e) {
        e.table.lock();
        try {
            try {
                e.table.disarm(e.index, e.id);
            } catch (final TripwireTableCorruptException c) {
                // rebuild from the valid entries (dropping damaged ones, maybe this one), then retry once
                ProtocolErrors.record(c);
                e.table.rebuild();
                e.table.disarm(e.index, e.id);
            }
        } finally {
            e.table.unlock();
        }
    }

    /** {@return the tripwires this unit has armed and not disarmed} */
    public List<Tripwire> tripwires() {
        return new ArrayList<>(armed);
    }

    /** What {@link #recoverLost} reports: a tripwire that fired while the queue was full. */
    @FunctionalInterface
    public interface LostHandler {
        /**
         * Reports one tripwire that fired without posting an event.
         *
         * @param tripwire the tripwire
         * @param lost     events it could not post since the last recovery
         */
        void onLost(Tripwire tripwire, long lost);
    }

    /**
     * After an overflow, finds which of this unit's tripwires fired without an event, and how often,
     * resetting their lost counts.
     *
     * @param handler called once, on this thread, for each tripwire with lost events
     * @return the number of tripwires reported
     */
    public int recoverLost(final LostHandler handler) {
        int n = 0;
        for (final Tripwire t : armed) {
            final long lost = t.takeLost();
            if (lost > 0) {
                handler.onLost(t, lost);
                n++;
            }
        }
        return n;
    }

    private void checkOpen() {
        if (closed) {
            throw new org.softclan.dsm.ClosedException("tripwire unit of endpoint '" + endpoint.name() + "' is closed");
        }
    }

    /** Disarms every tripwire of this unit and removes its event queue. Idempotent. */
    @Override
    public void close() {
        final boolean first;
        synchronized (this) {
            first = !closed;
            closed = true;
        }
        if (!first) {
            try {   // a concurrent close (the endpoint's, a shutdown hook's) finishes first
                closeDone.await(5, java.util.concurrent.TimeUnit.SECONDS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return;
        }
        gauges.close();
        try {
            if (!queue.isIntact()) {
                // the queue's file was cut from outside: an access to it before this close (a wake, a look at a
                // waiter count) may have faulted, and the JVM holds such a fault back until the thread next
                // enters the VM; take it here, not in the middle of the disarming below
                org.softclan.dsm.RegionFaults.takeHeldBack();
            }
            close0();
        } finally {
            closeDone.countDown();
        }
    }

    private void close0() {
        // a table in a region cut from outside is not touched: an atomic on a cut page is a SIGBUS the JVM
        // does not turn into an exception (one fstat per region, on this slow path)
        for (final Tripwire t : new ArrayList<>(armed)) {
            final Mapping m = t.in != null ? registeredIn.get(t.in.table.memory.address()) : null;
            try {
                if (m != null && (m.isClosed() || !m.isIntact())) {
                    armed.remove(t);
                    continue;
                }
                t.disarm();
            } catch (final RuntimeException | InternalError e) {
                // the region may already be gone with its table
            }
        }
        tables.clear();
        for (final Mapping m : registeredIn.values()) {
            if (m.isClosed() || !m.isIntact()) {
                continue;
            }
            try {
                releaseQueue(sharedTable(m), m);
            } catch (final RuntimeException e) {
                // the region went away meanwhile
            }
        }
        for (final Map.Entry<OutboundMapping, PrivateTable> e : outboundTables.entrySet()) {
            if (e.getKey().snoopHook() instanceof TripwireSnoop) {
                ((TripwireSnoop) e.getKey().snoopHook()).outbound(null, null, 0);
            }
        }
        // wake the threads blocked on the queue and let them leave before it is unmapped; if one stays
        // inside (it cannot: the wait re-checks the flag after every wake), the region is left mapped
        final boolean left = queue.close(2_000);
        if (!queue.isIntact()) {
            // the close's last touches of a cut queue may have faulted: take that here, not in the unmapping
            org.softclan.dsm.RegionFaults.takeHeldBack();
        }
        if (left) {
            queueRegion.close();
        }
        endpoint.forgetDependent(this);
        // private tables are freed only when their mapping is gone: a transfer may still be matching
        for (final Map.Entry<OutboundMapping, PrivateTable> e : outboundTables.entrySet()) {
            if (e.getKey().isClosed()) {
                e.getValue().free();
            }
        }
    }

    /**
     * Off-heap memory for the outbound tripwires of one outbound mapping: allocated here (the window
     * over it offers no allocation), zeroed, and freed by {@link #free()} once the mapping is closed.
     */
    private static final class PrivateTable {
        final long address;
        final long bytes;
        final TripwireTable table;

        PrivateTable(final long dataSize) {
            this.bytes = TripwireTableDescriptor.bytesFor(dataSize, DEFAULT_TRIPWIRES);
            this.address = net.openhft.chronicle.core.OS.memory().allocate(bytes);
            final SharedMemory memory = SharedMemory.wrap(address, bytes, "private table of outbound tripwires");
            memory.setMemory(0, bytes, (byte) 0);
            this.table = new TripwireTable(memory, dataSize, DEFAULT_TRIPWIRES, "(outbound, private)");
        }

        void free() {
            net.openhft.chronicle.core.OS.memory().freeMemory(address, bytes);
        }
    }

    @Override
    public String toString() {
        return "tripwire unit of endpoint '" + endpoint.name() + "' (" + armed.size() + " armed, " + queue + ")";
    }
}
