package org.softclan.dsm;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * An endpoint's DMA engine: moves bulk data between {@link RegisteredMemory} and an
 * {@link OutboundMapping} on its own thread, while the caller goes on.
 *
 * <p><b>Ordering guarantees</b>:
 * <ul>
 *   <li>Transfers issued to one engine run one at a time, in the order issued.</li>
 *   <li>Each transfer moves its data in bursts of {@link Context#burstSize(int)} bytes, in address
 *       order; each burst goes through the NIC write path (link, then snoop), so a tripwire on the last
 *       word of a transfer fires only after every byte of it is visible.</li>
 *   <li>A PIO access through the same {@link OutboundMapping} that starts after {@link #write} or
 *       {@link #read} returned takes effect after the transfer completed (the PIO waits for it).</li>
 *   <li>PIO stores made before {@code write} was called are visible before any of the transfer's.</li>
 *   <li>An ordered store ({@link #writeLongOrdered}) runs in the same FIFO order as transfers: after
 *       every transfer issued before it completed, as a release store through the mapping's write
 *       path (link, then snoop). A layer can so publish a record (a write pointer) behind its DMA'd
 *       data without its own thread waiting for the data to move.</li>
 * </ul>
 * Changing the source memory while a write transfer is in flight gives undefined (but memory-safe)
 * contents at the destination; wait for completion before reusing it.
 *
 * <p>Closing the engine fails transfers not yet started with a {@link ClosedException}, lets the one
 * in progress finish, and stops the thread.
 */
public final class DmaEngine implements AutoCloseable {
    private final Endpoint endpoint;
    private final int burstSize;
    private final long idleSpinNanos;
    private final LinkedBlockingQueue<DmaTransfer> queue = new LinkedBlockingQueue<>();
    private final Thread thread;
    private volatile boolean closing;

    /** Fluent configuration of a DMA engine; defaults work out of the box. */
    public static final class Context {
        private int burstSize = 64 * 1024;
        private long idleSpinNanos = TimeUnit.MICROSECONDS.toNanos(20);

        /**
         * A context with the defaults: bursts of 64 KiB, and an engine thread that spins 20 us for new
         * work before it blocks.
         */
        public Context() {
        }

        /**
         * Sets the size of the bursts a transfer is moved in.
         *
         * @param burstSize bytes stored (and snooped) per burst; default 64 KiB
         * @return this
         */
        public Context burstSize(final int burstSize) {
            if (burstSize <= 0) {
                throw new IllegalArgumentException("burst size " + burstSize + " must be positive");
            }
            this.burstSize = burstSize;
            return this;
        }

        /**
         * Sets how long the idle engine thread spins before it blocks.
         *
         * @param nanos how long the engine thread spins for new work before it blocks; default 20 us
         * @return this
         */
        public Context idleSpinNanos(final long nanos) {
            this.idleSpinNanos = nanos;
            return this;
        }
    }

    DmaEngine(final Endpoint endpoint, final Context ctx) {
        this.endpoint = endpoint;
        this.burstSize = ctx.burstSize;
        this.idleSpinNanos = ctx.idleSpinNanos;
        this.thread = new Thread(this::run, "softclan-dma-" + endpoint.name());
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Starts a transfer of {@code length} bytes from registered memory to a region.
     *
     * @param src       registered memory of this engine's endpoint, read from
     * @param srcOffset first byte to send, from the start of {@code src}
     * @param dst       the outbound mapping of the region written into
     * @param dstOffset where the first byte lands, from the start of the region's data area
     * @param length    bytes to move
     * @return the transfer's completion, to poll or wait on
     * @throws IllegalArgumentException if {@code src} is registered with another endpoint
     * @throws DsmException             if {@code dst} belongs to another fabric than this engine's
     * @throws RegionBoundsException    if either range is out of bounds (nothing is started)
     * @throws StaleRegionException     if the region was removed or re-created
     * @throws ClosedException          if the engine, memory or mapping is closed
     */
    public DmaTransfer write(final RegisteredMemory src, final long srcOffset, final OutboundMapping dst,
                             final long dstOffset, final long length) {
        return submit(new DmaTransfer(true, src, srcOffset, dst, dstOffset, length));
    }

    /**
     * Starts a transfer of {@code length} bytes from a region (a remote read) into registered memory.
     *
     * @param src       the outbound mapping of the region read from
     * @param srcOffset first byte to read, from the start of the region's data area
     * @param dst       registered memory of this engine's endpoint, written into
     * @param dstOffset where the first byte lands, from the start of {@code dst}
     * @param length    bytes to move
     * @return the transfer's completion, to poll or wait on
     * @throws IllegalArgumentException if {@code dst} is registered with another endpoint
     * @throws DsmException             if {@code src} belongs to another fabric than this engine's
     * @throws RegionBoundsException    if either range is out of bounds (nothing is started)
     * @throws StaleRegionException     if the region was removed or re-created
     * @throws ClosedException          if the engine, memory or mapping is closed
     */
    public DmaTransfer read(final OutboundMapping src, final long srcOffset, final RegisteredMemory dst,
                            final long dstOffset, final long length) {
        return submit(new DmaTransfer(false, dst, dstOffset, src, srcOffset, length));
    }

    /**
     * Queues a release store of {@code value} at the 8-byte-aligned {@code offset} of {@code dst}: the
     * engine executes it in FIFO order with transfers, after every transfer issued to this engine
     * before it completed (whatever their mappings), through the mapping's write path, so a tripwire
     * on the word fires as for a PIO store. Counts as a DMA operation on the mapping: a PIO access
     * through it issued after this call waits until the store was made.
     *
     * @param dst    the outbound mapping of the region written into
     * @param offset the word's first byte, from the start of the region's data area; a multiple of 8
     * @param value  the long to store, in native byte order
     * @return the operation's completion ({@link DmaTransfer#length()} 8)
     * @throws RegionBoundsException if the word is out of bounds or misaligned (nothing is queued)
     * @throws StaleRegionException  if the region was removed or re-created
     * @throws ClosedException       if the engine or mapping is closed
     */
    public DmaTransfer writeLongOrdered(final OutboundMapping dst, final long offset, final long value) {
        if ((offset & 7) != 0) {
            throw RegionBoundsException.misaligned(dst.describe(), offset, 8);
        }
        // an ordered store is a transfer without memory; its value travels in the memory-offset field
        return submit(new DmaTransfer(true, null, value, dst, offset, 8));
    }

    private DmaTransfer submit(final DmaTransfer t) {
        final Fabric theirs = t.mapping.endpoint().fabric();
        if (!theirs.sameDirectory(endpoint.fabric())) {
            throw new DsmException(t.mapping.describe() + " belongs to " + theirs + " (imported by endpoint '"
                + t.mapping.endpoint().name() + "'), but this is the DMA engine of endpoint '" + endpoint.name()
                + "' of " + endpoint.fabric() + "; a DMA engine moves data only within its own fabric");
        }
        if (t.memory == null) {
            t.mapping.checkBounds(t.mappingOffset, 8);
            if (!t.mapping.isValid()) {
                throw t.mapping.staleFailure();
            }
            synchronized (queue) {
                if (closing) {
                    throw new ClosedException("DMA engine of endpoint '" + endpoint.name() + "' is closed");
                }
                t.mapping.dmaIssued();
                queue.add(t);
            }
            return t;
        }
        if (t.memory.endpoint() != endpoint) {
            throw new IllegalArgumentException(t.memory + " is not registered with endpoint '" + endpoint.name()
                + "', whose DMA engine this is");
        }
        t.mapping.checkBounds(t.mappingOffset, t.length);
        t.memory.checkBounds(t.memoryOffset, t.length);
        if (!t.mapping.isValid()) {
            throw t.mapping.staleFailure();
        }
        synchronized (queue) {
            if (closing) {
                throw new ClosedException("DMA engine of endpoint '" + endpoint.name() + "' is closed");
            }
            t.memory.transferStarted();
            t.mapping.dmaIssued();
            queue.add(t);
        }
        return t;
    }

    private void run() {
        DmaTransfer current = null;
        while (true) {
            try {
                current = null;
                DmaTransfer t = queue.poll();
                if (t == null) {
                    if (closing) {
                        return;
                    }
                    t = idle();
                    if (t == null) {
                        continue;
                    }
                }
                current = t;
                execute(t);
            } catch (final InternalError late) {
                // a fault on a region cut from outside that the JVM delivered late (at this thread's next
                // safepoint poll: in the transfer's retirement, or in the queue's code): the transfer it
                // interrupted is retired as failed if it was not yet, and the engine goes on
                if (current != null) {
                    final RegionTruncatedException why = Mapping.explainFault(late);
                    retire(current, why != null ? why : late);
                }
            }
        }
    }

    private DmaTransfer idle() {
        final long end = System.nanoTime() + idleSpinNanos;
        do {
            final DmaTransfer t = queue.poll();
            if (t != null) {
                return t;
            }
            Thread.onSpinWait();
        } while (System.nanoTime() < end);
        try {
            return queue.poll(100, TimeUnit.MILLISECONDS);
        } catch (final InterruptedException e) {
            return null;
        }
    }

    private void execute(final DmaTransfer t) {
        Throwable failure = null;
        try {
            if (closing) {
                throw new ClosedException(t + ": DMA engine of endpoint '" + endpoint.name()
                    + "' closed before the transfer started");
            }
            if (t.memory == null) {
                storeOrdered(t);
                return;
            }
            long done = 0;
            while (done < t.length) {
                final long n = Math.min(burstSize, t.length - done);
                final long memOffset = t.memory.baseOffset + t.memoryOffset + done;
                if (t.write) {
                    t.mapping.dmaBurstWrite(t.mappingOffset + done, t.memory.base, memOffset, n);
                } else {
                    t.mapping.dmaBurstRead(t.mappingOffset + done, t.memory.base, memOffset, n);
                }
                done += n;
                t.progress(done);
            }
        } catch (final Throwable e) {
            failure = e;
        } finally {
            retire(t, failure);
        }
    }

    /**
     * Ends a transfer: its memory's in-flight count, its completion, its mapping's pending count, each
     * once (a fault delivered late may interrupt this and have the engine call it again). Completion is
     * published before the mapping's PIO gate opens: a PIO store that was waiting for this transfer
     * proceeds only once the transfer reads as done.
     */
    private static void retire(final DmaTransfer t, final Throwable failure) {
        if (!t.memoryReleased) {
            t.memoryReleased = true;   // set before the call: no safepoint poll lies between the two
            if (t.memory != null) {
                t.memory.transferEnded();
            }
        }
        if (!t.completed) {
            t.completed = true;
            t.complete(failure);
        }
        if (!t.retired) {
            t.retired = true;
            t.mapping.dmaRetired();
        }
    }

    /** The ordered store of {@link #writeLongOrdered}: checked, stored (release) through the link, snooped. */
    private static void storeOrdered(final DmaTransfer t) {
        final OutboundMapping m = t.mapping;
        m.checkBounds(t.mappingOffset, 8);
        if (m.headerState() != RegionLayout.STATE_ACTIVE) {
            throw m.staleFailure();
        }
        m.link.putLongOrdered(m, t.mappingOffset, t.memoryOffset);
        m.afterWrite(t.mappingOffset, 8);
        t.progress(8);
    }

    /** {@return transfers issued and not yet started} */
    public int queued() {
        return queue.size();
    }

    /**
     * Fails transfers not yet started, waits for the one in progress, stops the thread. Idempotent.
     */
    @Override
    public void close() {
        synchronized (queue) {
            if (closing) {
                return;
            }
            closing = true;
        }
        thread.interrupt();
        try {
            thread.join();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        DmaTransfer t;
        while ((t = queue.poll()) != null) {
            execute(t);
        }
    }

    @Override
    public String toString() {
        return "DMA engine of endpoint '" + endpoint.name() + "'";
    }
}
