package org.softclan.dsm;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import net.openhft.chronicle.bytes.BytesStore;
import org.agrona.concurrent.status.AtomicCounter;
import org.softclan.dsm.stat.EndpointStats;
import org.softclan.dsm.stat.StatTypes;

/**
 * A process's attachment to a {@link Fabric}: it exports regions (getting their
 * {@link InboundMapping}s), imports regions of other endpoints (getting {@link OutboundMapping}s),
 * registers memory for DMA, and owns a {@link DmaEngine}.
 *
 * <p>An endpoint owns everything it hands out: closing it closes its DMA engine (failing transfers not
 * yet started), its mappings (removing the regions it exported) and its registered memory.
 * It is safe for use by many threads.
 */
public final class Endpoint implements AutoCloseable {
    private static final List<SnoopHookProvider> PROVIDERS = ServiceLoader.load(SnoopHookProvider.class).stream()
        .map(ServiceLoader.Provider::get).toList();
    private final Fabric fabric;
    private final String name;
    private final OwnerId owner;
    private final Liveness liveness;
    private final Set<AutoCloseable> resources = ConcurrentHashMap.newKeySet();
    /**
     * Objects built on this endpoint's memory, closed before it is unmapped ({@link #closeFirst}), newest
     * first: an object built on an older one (a server on its tripwire unit) is closed before it.
     */
    private final java.util.concurrent.ConcurrentLinkedDeque<AutoCloseable> dependents =
        new java.util.concurrent.ConcurrentLinkedDeque<>();
    private volatile SnoopHook defaultSnoop;
    /** Written under this endpoint's lock; volatile for the statistics publisher, which takes no lock. */
    private volatile DmaEngine dma;
    private volatile boolean closed;
    private final EndpointStats stats;
    private final AtomicCounter exportedTotal;
    private final AtomicCounter importedTotal;
    /** PIO bytes and tripwires fired of outbound mappings already closed (their counts outlive them). */
    private final java.util.concurrent.atomic.AtomicLong closedPioBytes = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong closedFired = new java.util.concurrent.atomic.AtomicLong();
    /** Held while a publication sums the mappings' counts and while a closing mapping's move to the totals. */
    private final Object countLock = new Object();

    Endpoint(final Fabric fabric, final String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("an endpoint needs a non-empty name");
        }
        this.fabric = fabric;
        this.name = name;
        this.liveness = Liveness.acquire(fabric.root(), fabric.files());
        this.owner = OwnerId.current(name, liveness);
        this.stats = openStats(fabric, name, owner, liveness);
        final AtomicCounter exported = stats.counter("regions exported, endpoint " + name,
            StatTypes.REGIONS_EXPORTED);
        final AtomicCounter imported = stats.counter("regions imported, endpoint " + name,
            StatTypes.REGIONS_IMPORTED);
        this.exportedTotal = stats.counter("regions exported since opened, endpoint " + name,
            StatTypes.REGIONS_EXPORTED_TOTAL);
        this.importedTotal = stats.counter("regions imported since opened, endpoint " + name,
            StatTypes.REGIONS_IMPORTED_TOTAL);
        // counted only on request: a count per store costs too much on the write path (see Mapping.COUNT_PIO)
        final AtomicCounter pio = Mapping.COUNT_PIO ? stats.counter(
            "bytes written by PIO, endpoint " + name, StatTypes.PIO_BYTES_WRITTEN) : null;
        final AtomicCounter fired = stats.counter(
            "tripwires fired by this endpoint's transfers, endpoint " + name, StatTypes.TRIPWIRES_FIRED);
        final AtomicCounter dmaIssued = stats.counter("DMA transfers issued, endpoint " + name,
            StatTypes.DMA_TRANSFERS_ISSUED);
        final AtomicCounter dmaCompleted = stats.counter(
            "DMA transfers completed, endpoint " + name, StatTypes.DMA_TRANSFERS_COMPLETED);
        final AtomicCounter dmaFailed = stats.counter("DMA transfers failed, endpoint " + name,
            StatTypes.DMA_TRANSFERS_FAILED);
        final AtomicCounter dmaWritten = stats.counter("bytes written by DMA, endpoint " + name,
            StatTypes.DMA_BYTES_WRITTEN);
        final AtomicCounter dmaRead = stats.counter("bytes read by DMA, endpoint " + name,
            StatTypes.DMA_BYTES_READ);
        stats.beforePublish(() -> {
            synchronized (countLock) {
                publishCounts(exported, imported, pio, fired);
            }
            final DmaEngine engine = dma;
            if (engine != null) {
                // ended ones first: a command counted as issued before it ends, so issued >= completed + failed
                dmaCompleted.setRelease(engine.transfersCompleted());
                dmaFailed.setRelease(engine.transfersFailed());
                dmaIssued.setRelease(engine.transfersIssued());
                dmaWritten.setRelease(engine.bytesWritten());
                dmaRead.setRelease(engine.bytesRead());
            }
        });
    }

    /**
     * The endpoint's statistics file in the fabric's statistics directory; statistics that are counted but
     * not published if the file cannot be made (the directory is not one, the name is taken): the endpoint
     * works without them, and says why in their error log.
     */
    private static EndpointStats openStats(final Fabric fabric, final String name,
                                                                 final OwnerId owner, final Liveness liveness) {
        final java.nio.file.Path dir = fabric.root().resolve(org.softclan.dsm.stat.StatFileDescriptor.DIR);
        try {
            fabric.files().createDirectory(dir);
            if (!java.nio.file.Files.isDirectory(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                throw new java.io.IOException(dir + " is not a directory (a link?)");
            }
            return EndpointStats.create(dir, name, owner.pid(), owner.startMillis(),
                liveness.id, EndpointStats.DEFAULT_COUNTERS,
                f -> fabric.files().createNew(f, java.nio.file.StandardOpenOption.WRITE));
        } catch (final java.io.IOException | RuntimeException e) {
            return EndpointStats.unpublished(name, new DsmException("endpoint '" + name
                + "': no statistics file in " + dir + " (vmmc stat does not show this endpoint): " + e, e));
        }
    }

    /**
     * {@return this endpoint's statistics}: counters and an error log that any process can read from the
     * fabric's statistics directory while the endpoint is open (and after its process was killed), with
     * {@code vmmc stat}; the layers built on the endpoint add theirs
     */
    public EndpointStats stats() {
        return stats;
    }

    /** {@return the fabric this endpoint is attached to} */
    public Fabric fabric() {
        return fabric;
    }

    /** {@return this endpoint's name} */
    public String name() {
        return name;
    }

    /**
     * This endpoint's identity as an owner.
     *
     * @return this endpoint's identity, recorded as the owner of regions it exports; its liveness id
     *         names the lock this endpoint holds in the fabric until it closes (or its process dies),
     *         which is how other processes tell that it is alive
     */
    public OwnerId owner() {
        return owner;
    }

    /**
     * Exports a region with no access key (key 0): anyone who knows the name may import it.
     *
     * @param region a name: 1 to 100 of {@code A-Z a-z 0-9 . _ -}
     * @param size   bytes in the data area
     * @return the owner's mapping; closing it removes the region
     * @throws RegionExistsException    if a live owner exports the name
     * @throws IllegalArgumentException if the name is invalid or reserved, or the size out of range
     * @see #export(String, long, long)
     */
    public InboundMapping export(final String region, final long size) {
        return export(region, size, 0L);
    }

    /**
     * Creates a region of {@code size} bytes (fixed for its life, zero-filled) and maps it as this
     * endpoint's inbound memory. If the name was exported before by an owner that is gone (or was
     * closed), the old generation is revoked and the new one gets the next generation number.
     *
     * @param region a name: 1 to 100 of {@code A-Z a-z 0-9 . _ -}
     * @param size   bytes in the data area
     * @param key    the key importers must present
     * @return the owner's mapping; closing it removes the region
     * @throws RegionExistsException if a live owner exports the name
     */
    public InboundMapping export(final String region, final long size, final long key) {
        long sidecar = 0;
        for (final SnoopHookProvider p : PROVIDERS) {
            sidecar = Math.max(sidecar, p.sidecarBytes(size));
        }
        return export(region, size, key, sidecar);
    }

    /**
     * Exports a region with an explicit sidecar: {@code sidecarBytes} of zeroed memory after the data
     * area, for layers above the NIC (the Tripwire unit sizes its table from it).
     *
     * <p>Names reserved for the project's layers (starting with {@code evq-}, {@code sx-} or
     * {@code cx-}, or ending in {@code .listen}) are refused here; those layers use
     * {@link #exportInternal}.
     *
     * @param region       a name: 1 to 100 of {@code A-Z a-z 0-9 . _ -}
     * @param size         bytes in the data area
     * @param key          the key importers must present
     * @param sidecarBytes bytes of zeroed memory after the data area, for layers above the NIC (0 for none)
     * @return the owner's mapping; closing it removes the region
     * @throws RegionExistsException    if a live owner exports the name
     * @throws IllegalArgumentException if the name is invalid or reserved, or a size out of range
     * @throws ResourceLimitException   if this process is near its limit of memory mappings or open
     *                                  files (nothing is created)
     * @throws ClosedException          if this endpoint is closed
     * @see #export(String, long, long)
     */
    public InboundMapping export(final String region, final long size, final long key, final long sidecarBytes) {
        checkOpen();
        if (region != null && NameService.isReserved(region)) {
            throw new IllegalArgumentException("region name '" + region + "' is reserved for softclan's own"
                + " regions (names starting with " + String.join(", ", NameService.RESERVED_PREFIXES)
                + " or ending in " + String.join(", ", NameService.RESERVED_SUFFIXES) + "); pick another name");
        }
        return exportAs(region, size, key, sidecarBytes, false);
    }

    private final java.util.concurrent.atomic.AtomicLong internalSerial = new java.util.concurrent.atomic.AtomicLong();

    /**
     * A name for an internal region of this endpoint ({@link #exportInternal}) that no other endpoint
     * of the fabric makes: {@code prefix-ID-N}, where ID is this endpoint's liveness id (random, 64
     * bits, in base 36) and N counts up. Not the pid: processes in different PID namespaces sharing a
     * fabric (containers sharing {@code /dev/shm}) have the same pids.
     *
     * @param prefix a reserved prefix without its dash ({@code evq}, {@code cx}, ...)
     * @return the name
     */
    public String internalRegionName(final String prefix) {
        final long id = liveness.id;
        return prefix + "-" + Long.toUnsignedString(id, 36) + "-" + internalSerial.incrementAndGet();
    }

    /**
     * Exports a region for a layer of the project itself (an event queue, a connection's receive ring,
     * a listener's rendezvous region): like {@link #export(String, long, long, long)}, and it may use
     * the reserved names, but the region is marked internal in its header
     * ({@link RegionLayout#FLAG_INTERNAL}), so {@link RegionInfo#internal()} is true and
     * {@link Fabric#regions(boolean) Fabric.regions(false)} does not list it. Not meant for
     * applications: their regions are what users list.
     *
     * @param region       a name: 1 to 100 of {@code A-Z a-z 0-9 . _ -}; by convention a reserved one
     * @param size         bytes in the data area
     * @param key          the key importers must present
     * @param sidecarBytes bytes of zeroed memory after the data area, for layers above the NIC
     * @return the owner's mapping; closing it removes the region
     * @throws RegionExistsException    if a live owner exports the name
     * @throws IllegalArgumentException if the name is invalid or a size out of range
     * @throws ResourceLimitException   if this process is near its limit of memory mappings or open
     *                                  files (nothing is created)
     */
    public InboundMapping exportInternal(final String region, final long size, final long key,
                                         final long sidecarBytes) {
        checkOpen();
        return exportAs(region, size, key, sidecarBytes, true);
    }

    private InboundMapping exportAs(final String region, final long size, final long key, final long sidecarBytes,
                                    final boolean internal) {
        final InboundMapping m = fabric.names().export(this, region, size, key, sidecarBytes, internal);
        resources.add(m);
        exportedTotal.increment();
        return m;
    }

    /**
     * Imports a region exported with no access key (key 0).
     *
     * @param region the region's name
     * @return the mapping; closing it leaves the region untouched
     * @throws NoSuchRegionException if the fabric has no such region, or no live owner exports it
     * @throws RegionAccessException if the region was exported with a key
     * @see #importRegion(String, long)
     */
    public OutboundMapping importRegion(final String region) {
        return importRegion(region, 0L);
    }

    /**
     * Maps another endpoint's region as this endpoint's outbound memory.
     *
     * @param region the region's name
     * @param key    the key its owner exported it with
     * @return the mapping; closing it leaves the region untouched
     * @throws NoSuchRegionException  if the fabric has no such region
     * @throws RegionAccessException  if the key is wrong
     * @throws RegionFormatException  if the file is not a region this version reads
     * @throws ResourceLimitException if this process is near its limit of memory mappings or open files
     */
    public OutboundMapping importRegion(final String region, final long key) {
        checkOpen();
        final OutboundMapping m = fabric.names().importRegion(this, region, key);
        resources.add(m);
        importedTotal.increment();
        return m;
    }

    /**
     * Sets the snoop hook given to outbound mappings this endpoint imports from now on, and installs
     * it on those it already holds. {@code null} removes it.
     *
     * @param hook the hook, or {@code null} for none (then a new mapping gets the hook of an installed
     *             {@link SnoopHookProvider}, if one offers it)
     */
    public void defaultSnoopHook(final SnoopHook hook) {
        this.defaultSnoop = hook;
        for (final AutoCloseable r : resources) {
            if (r instanceof OutboundMapping) {
                ((OutboundMapping) r).snoopHook(hook);
            }
        }
    }

    /** The hook a new outbound mapping starts with: this endpoint's default, else a provider's. */
    SnoopHook initialSnoopHook(final OutboundMapping mapping) {
        final SnoopHook own = defaultSnoop;
        if (own != null) {
            return own;
        }
        for (final SnoopHookProvider p : PROVIDERS) {
            final SnoopHook h = p.hookFor(mapping);
            if (h != null) {
                return h;
            }
        }
        return null;
    }

    /** Runs this endpoint's DMA queue on the calling thread if its engine is an invoker; see {@link DmaEngine#runQueue}. */
    boolean runDmaQueue() {
        final DmaEngine e = dma;
        return e != null && e.runQueue();
    }

    /** {@return this endpoint's DMA engine, started on first use with default settings} */
    public synchronized DmaEngine dma() {
        checkOpen();
        if (dma == null) {
            dma = new DmaEngine(this, new DmaEngine.Context());
        }
        return dma;
    }

    /**
     * Starts this endpoint's DMA engine with the given settings.
     *
     * @param ctx the engine's settings (mode, burst size, queue capacity, idle spin)
     * @return the engine, which {@link #dma()} returns from now on
     * @throws IllegalStateException if it was already started
     * @throws ClosedException       if this endpoint is closed
     */
    public synchronized DmaEngine dma(final DmaEngine.Context ctx) {
        checkOpen();
        if (dma != null) {
            throw new IllegalStateException("endpoint '" + name + "' already has a DMA engine");
        }
        dma = new DmaEngine(this, ctx);
        return dma;
    }

    // ------------------------------------------------------------------------------ registration

    /**
     * Allocates and registers {@code size} bytes of zeroed off-heap memory, freed when the
     * registration closes.
     *
     * @param size bytes to allocate
     * @return the registration, closed with this endpoint if not before
     * @throws IllegalArgumentException if {@code size} is not positive
     * @throws ClosedException          if this endpoint is closed
     */
    public RegisteredMemory allocate(final long size) {
        checkOpen();
        return track(RegisteredMemory.allocate(this, size));
    }

    /**
     * Registers a direct buffer's memory (all of its capacity). The buffer must stay reachable while
     * registered; heap buffers must be registered explicitly with {@link #registerHeap(byte[])}.
     *
     * @param direct a direct buffer; its offset 0 is the registration's (position and limit are ignored)
     * @return the registration, closed with this endpoint if not before; the buffer's memory stays
     *         with the buffer
     * @throws IllegalArgumentException if {@code direct} is a heap buffer
     * @throws ClosedException          if this endpoint is closed
     */
    public RegisteredMemory register(final ByteBuffer direct) {
        checkOpen();
        if (!direct.isDirect()) {
            throw new IllegalArgumentException("a heap ByteBuffer cannot be registered as native memory;"
                + " register its array explicitly with registerHeap(buffer.array())");
        }
        return track(RegisteredMemory.wrap(this, direct, UnsafeAccess.address(direct), direct.capacity(),
            "direct buffer"));
    }

    /**
     * Registers a native Chronicle store's memory (offsets 0 .. capacity).
     *
     * @param store a native store; the registration's offset 0 is the store's {@code start()}
     * @return the registration, closed with this endpoint if not before; the memory stays with the
     *         store
     * @throws IllegalArgumentException if {@code store} is on the heap
     * @throws ClosedException          if this endpoint is closed
     */
    public RegisteredMemory register(final BytesStore<?, ?> store) {
        checkOpen();
        if (!store.isDirectMemory()) {
            throw new IllegalArgumentException("a heap BytesStore cannot be registered as native memory;"
                + " register its array explicitly with registerHeap");
        }
        return track(RegisteredMemory.wrap(this, store, store.addressForRead(store.start()), store.capacity(),
            "Chronicle store"));
    }

    /**
     * Registers a heap array: the explicit opt-in for DMA from the Java heap. The engine copies from
     * the array wherever the garbage collector has put it, so the array needs no pinning, but the
     * caller must not write it while a transfer from it is in flight.
     *
     * @param array the array; its index 0 is the registration's offset 0
     * @return the registration, closed with this endpoint if not before
     * @throws ClosedException if this endpoint is closed
     */
    public RegisteredMemory registerHeap(final byte[] array) {
        checkOpen();
        return track(RegisteredMemory.heap(this, array));
    }

    private RegisteredMemory track(final RegisteredMemory m) {
        resources.add(m);
        return m;
    }

    void forget(final AutoCloseable resource) {
        if (!(resource instanceof OutboundMapping m)) {
            resources.remove(resource);
            return;
        }
        synchronized (countLock) {   // a publication sees the mapping's counts once: in the sum or in the totals
            if (resources.remove(m)) {
                closedPioBytes.addAndGet(m.pioBytes());
                closedFired.addAndGet(m.snoopActions());
            }
        }
    }

    /**
     * Installs {@code hook} on {@code m}, keeping what the old hook counted there ({@link SnoopHook#actions()}
     * since it was installed) in the endpoint's totals, so replacing a hook neither makes the published count
     * go back nor, reinstalled, counts its earlier actions twice.
     */
    void snoopHookReplaced(final OutboundMapping m, final SnoopHook hook) {
        synchronized (countLock) {
            if (m.snoopHook() != hook) {
                if (resources.contains(m)) {
                    closedFired.addAndGet(m.snoopActions());
                }
                m.installSnoop(hook);
            }
        }
    }

    /** Sets the gauges summed over the mappings (under {@link #countLock}). */
    private void publishCounts(final AtomicCounter exported,
                               final AtomicCounter imported,
                               final AtomicCounter pio,
                               final AtomicCounter fired) {
        long in = 0;
        long out = 0;
        long pioBytes = closedPioBytes.get();
        long firedCount = closedFired.get();
        for (final AutoCloseable r : resources) {
            if (r instanceof InboundMapping m && !m.isClosed()) {
                in++;
            } else if (r instanceof OutboundMapping m) {
                // counted while in the set, closed or not: forget moves it to the totals under the lock
                out += m.isClosed() ? 0 : 1;
                pioBytes += m.pioBytes();
                firedCount += m.snoopActions();
            }
        }
        exported.setRelease(in);
        imported.setRelease(out);
        if (pio != null) {
            pio.setRelease(pioBytes);
        }
        fired.setRelease(firedCount);
    }

    /**
     * Registers an object built on this endpoint's mappings (a connection, a tripwire unit, a stream) to
     * be closed when the endpoint closes, before the endpoint's DMA engine and mappings: its close can
     * wake the threads waiting in it and let them leave before any memory they use is unmapped. Objects are
     * closed newest first, so one that uses another registered before it (an RPC server its tripwire
     * unit) is closed while the other still works. The object should {@linkplain #forgetDependent forget}
     * itself when closed on its own.
     *
     * @param dependent the object to close before this endpoint's DMA engine and mappings
     * @throws ClosedException if this endpoint is closed (the caller should close what it built)
     */
    public void closeFirst(final AutoCloseable dependent) {
        dependents.addFirst(dependent);
        if (closed) {
            dependents.remove(dependent);
            throw new ClosedException("endpoint '" + name + "' is closed");
        }
    }

    /**
     * Undoes {@link #closeFirst}; harmless if {@code dependent} was not registered.
     *
     * @param dependent the object registered with {@link #closeFirst}
     */
    public void forgetDependent(final AutoCloseable dependent) {
        dependents.remove(dependent);
    }

    private void checkOpen() {
        if (closed) {
            throw new ClosedException("endpoint '" + name + "' is closed");
        }
    }

    /**
     * Closes what was registered with {@link #closeFirst}, then the DMA engine, then every mapping and
     * registration this endpoint holds, then releases its liveness lock (from then on other processes
     * see it as gone). Idempotent.
     */
    @Override
    public void close() {
        final DmaEngine engine;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            engine = dma;
        }
        RuntimeException failure = null;
        for (final AutoCloseable d : new ArrayList<>(dependents)) {
            try {
                d.close();
            } catch (final Exception e) {
                if (failure == null) {
                    failure = new DsmException("endpoint '" + name + "': closing " + d + " failed", e);
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        dependents.clear();
        if (engine != null) {
            engine.close();
        }
        for (final AutoCloseable r : new ArrayList<>(resources)) {
            try {
                r.close();
            } catch (final Exception e) {
                if (failure == null) {
                    failure = new DsmException("endpoint '" + name + "': closing " + r + " failed", e);
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        stats.close();   // an endpoint closed in order leaves no statistics file
        liveness.close();   // last: until its regions are revoked, the endpoint counts as alive
        fabric.forget(this);
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public String toString() {
        return "endpoint '" + name + "' (" + owner + ") in " + fabric;
    }
}
