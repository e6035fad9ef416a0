package org.softclan.dsm;

import java.util.concurrent.TimeUnit;

/**
 * An endpoint's DMA engine: moves bulk data between {@link RegisteredMemory} and an
 * {@link OutboundMapping}, on a thread of its own while the caller goes on ({@link DmaMode#DEDICATED}),
 * or on the threads that need its commands run ({@link DmaMode#INVOKER}; see <b>Modes</b>).
 *
 * <p><b>Ordering guarantees</b>:
 * <ul>
 *   <li>Commands (transfers and ordered stores) issued to one engine run one at a time, in the order
 *       they entered its queue: the order their issuing calls returned in, for one issuing thread.</li>
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
 * <p><b>Commands and the queue</b>: each call queues one command, a {@link DmaTransfer} of a type
 * (write, read, ordered store) with its own fields for memory, region, length and the stored value.
 * The queue is bounded ({@link Context#queueCapacity(int)}, default {@value Context#DEFAULT_QUEUE_CAPACITY}):
 * at most that many commands are queued or in progress (the one in progress keeps its slot until it
 * has ended). An issuer that finds the queue full waits for room, in the calling thread, until the
 * engine ends a command; the wait ends with a {@link ClosedException} if the engine is closed meanwhile,
 * and with a {@link DsmException} (interrupt status kept) if the issuing thread is interrupted; in both
 * cases nothing was queued. The engine's own thread (a snoop hook) never waits for room: it gets a
 * {@link DsmException} instead of waiting for itself.
 *
 * <p><b>Close protocol</b>: closing sets the engine's closing flag (volatile, once, by CAS), wakes its
 * thread (invoker: takes the running flag), waits for the command in progress to end, fails every command not yet started with a
 * {@link ClosedException}, and stops the thread. Each command is ended by exactly one side, whichever
 * takes it first by a CAS on the command (the engine's thread, close, or its issuer):
 * <pre>
 *   issuer                                  engine thread (close: the same, once it stopped)
 *   check, count the command as pending     peek at the queue's head
 *   queue.offer(command)     -- lock -->    took it ? run it (fail it if closing) : skip it
 *   closing ? take it back                  remove it (by identity) from the queue
 *      took it:  undo the count, remove     closing and the queue empty: stop
 *                it, throw ClosedException
 *      else:     return it (ended by the engine or close)
 * </pre>
 * The closing flag is set before the engine's (and close's) last look at the queue, and the queue's
 * lock orders that look and an issuer's offer: a command the last look did not see was offered later,
 * so its issuer, reading the flag after its offer, sees it set and takes the command back. So no
 * command is left untaken (lost) and none is taken twice (run twice, or run and failed).
 *
 * <p><b>Modes</b> ({@link DmaMode}; Aeron's media driver offers the same choice of threading): a
 * {@link DmaMode#DEDICATED} engine runs commands on a thread of its own, for machines with a core to
 * spare; an {@link DmaMode#INVOKER} engine has no thread, and its queue is run by the threads that need it
 * run: an issuer at its hand-off ({@link #doorbell()}, which every call of the engine itself rings), a
 * thread that waits for a command ({@link DmaTransfer#await}), a PIO access that waits for the DMA
 * pending on its mapping, a close of the memory or mapping a command uses, and an issuer that finds the
 * queue full. One thread at a time runs the queue (a CAS on the engine's running flag); a thread that
 * finds it taken leaves its commands to the runner, which runs the queue until it is empty and looks once
 * more after letting the flag go, so no command is left without a runner. Commands so run in the same
 * FIFO order, with the same guarantees, on whichever thread. The default ({@link DmaMode#forProcessors})
 * fits the machine: dedicated with {@value DmaMode#DEDICATED_MIN_CPUS} or more CPUs, where sender, receiver
 * and engine each have one, invoker below; the system property {@value DmaMode#PROPERTY} overrides it.
 *
 * <p><b>Idle</b> (dedicated): the engine thread spins for {@link Context#idleSpinNanos(long)} looking
 * for work (competitive waiting: about what blocking and being woken costs), then blocks, untimed,
 * after publishing that it does; a hand-off that finds it blocked wakes it. The flag is volatile and the
 * queue locked, so either the engine sees the command before blocking or the issuer sees the flag.
 *
 * <p><b>Batches</b>: a {@link DmaBatch} ({@link #newBatch()}) queues its commands without the hand-off
 * and hands them over at its {@link DmaBatch#doorbell()}: a frame's header, data and publishing store
 * for one wake-up or one run.
 *
 * <p><b>Allocation</b>: issuing allocates the {@link DmaTransfer}; the queue (a
 * {@link java.util.concurrent.ArrayBlockingQueue}) is an array allocated once. Waiting for room
 * allocates the queue's wait node (dedicated; an invoker runs the queue instead).
 *
 * <p><b>Helping</b> (invoker): a thread that runs the queue runs all of it, other issuers' commands
 * included, until it is empty: a doorbell, a wait or a PIO access may so take as long as the commands
 * queued before it. A thread running the queue (a snoop hook called by a command) that would wait for
 * the queue itself (a full queue, a PIO access to a mapping with DMA pending) gets a {@link DsmException}
 * instead of waiting for itself.
 */
public final class DmaEngine implements DmaIssuer, AutoCloseable {
    private static final java.lang.invoke.VarHandle RUNNING;

    static {
        try {
            RUNNING = java.lang.invoke.MethodHandles.lookup().findVarHandle(DmaEngine.class, "running", int.class);
        } catch (final ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Endpoint endpoint;
    private final int burstSize;
    private final long idleSpinNanos;
    private final DmaQueue queue;
    private final DmaMode mode;
    /** The dedicated thread, or {@code null} in invoker mode. */
    private final Thread thread;
    /** The command in progress, for {@link #queued()}; written by the thread running the queue only. */
    private volatile DmaTransfer current;
    /** Invoker mode: 1 while a thread runs the queue (set by CAS, cleared by that thread). */
    private volatile int running;
    /** The thread that holds {@link #running}, or the dedicated thread; for re-entry checks. */
    private volatile Thread runner;
    /** Commands issued (every one ends once, as completed or failed), and what they moved: for statistics. */
    private final DmaCounts counts = new DmaCounts();

    /** Fluent configuration of a DMA engine; defaults work out of the box. */
    public static final class Context {
        /** Commands queued or in progress at most, unless set otherwise. */
        public static final int DEFAULT_QUEUE_CAPACITY = 1024;

        private int burstSize = 64 * 1024;
        private long idleSpinNanos = TimeUnit.MICROSECONDS.toNanos(20);
        private int queueCapacity = DEFAULT_QUEUE_CAPACITY;
        private DmaMode mode;

        /**
         * A context with the defaults: bursts of 64 KiB, a queue of {@value #DEFAULT_QUEUE_CAPACITY}
         * commands, the {@linkplain DmaMode#defaultMode() default mode}, and (dedicated) an engine thread
         * that spins 20 us for new work before it blocks.
         */
        public Context() {
        }

        /**
         * Sets where the engine runs its commands.
         *
         * @param mode {@link DmaMode#DEDICATED} or {@link DmaMode#INVOKER}; {@code null} for the
         *             {@linkplain DmaMode#defaultMode() default}, read when the engine starts
         * @return this
         */
        public Context mode(final DmaMode mode) {
            this.mode = mode;
            return this;
        }

        /**
         * Sets the size of the bursts a transfer is moved in.
         *
         * @param burstSize bytes stored (and snooped) per burst; default 64 KiB
         * @return this
         * @throws IllegalArgumentException if {@code burstSize} is not positive
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

        /**
         * Sets how many commands may be queued or in progress at once; an issuer that finds the queue
         * full waits for room (see {@link DmaEngine}).
         *
         * @param capacity commands queued or in progress at most, the one in progress included; default
         *                 {@value #DEFAULT_QUEUE_CAPACITY}
         * @return this
         * @throws IllegalArgumentException if {@code capacity} is not positive
         */
        public Context queueCapacity(final int capacity) {
            if (capacity <= 0) {
                throw new IllegalArgumentException("DMA queue capacity " + capacity + " must be positive");
            }
            this.queueCapacity = capacity;
            return this;
        }
    }

    DmaEngine(final Endpoint endpoint, final Context ctx) {
        this.endpoint = endpoint;
        this.burstSize = ctx.burstSize;
        this.idleSpinNanos = ctx.idleSpinNanos;
        this.mode = ctx.mode != null ? ctx.mode : DmaMode.defaultMode();
        if (mode == DmaMode.DEDICATED) {
            this.thread = new Thread(this::run, "softclan-dma-" + endpoint.name());
            this.runner = thread;
        } else {
            this.thread = null;
        }
        this.queue = new DmaQueue(ctx.queueCapacity, thread, this);
        if (thread != null) {
            thread.setDaemon(true);
            thread.start();
        }
    }

    /** {@return this engine} */
    @Override
    public DmaEngine engine() {
        return this;
    }

    /** {@return where this engine runs its commands} */
    public DmaMode mode() {
        return mode;
    }

    /**
     * {@return a batch issuing to this engine: its commands are handed over together at its doorbell}
     * A batch holds no state and needs no closing; one per issuer is enough.
     */
    public DmaBatch newBatch() {
        return new DmaBatch(this);
    }

    /**
     * Starts a transfer of {@code length} bytes from registered memory to a region. Waits for room if
     * the queue is full. Memory order: what this thread stored before the call happens-before the
     * engine reads the source (the queue's lock); a PIO access through {@code dst} after the call
     * returned waits for the transfer's end.
     *
     * @param src       registered memory of this engine's endpoint, read from
     * @param srcOffset first byte to send, from the start of {@code src}
     * @param dst       the outbound mapping of the region written into
     * @param dstOffset where the first byte lands, from the start of the region's data area
     * @param length    bytes to move
     * @return the transfer's completion, to poll or wait on
     * @throws IllegalArgumentException if {@code src} is registered with another endpoint
     * @throws DsmException             if {@code dst} belongs to another fabric than this engine's; if the
     *                                  thread is interrupted while it waits for room (nothing is queued);
     *                                  or if the queue is full and the caller is the engine's own thread
     * @throws RegionBoundsException    if either range is out of bounds (nothing is started)
     * @throws StaleRegionException     if the region was removed or re-created
     * @throws ClosedException          if the engine, memory or mapping is closed
     */
    @Override
    public DmaTransfer write(final RegisteredMemory src, final long srcOffset, final OutboundMapping dst,
                             final long dstOffset, final long length) {
        return write(src, srcOffset, dst, dstOffset, length, true);
    }

    DmaTransfer write(final RegisteredMemory src, final long srcOffset, final OutboundMapping dst,
                      final long dstOffset, final long length, final boolean ring) {
        checkSameFabric(dst);
        checkMemory(src);
        dst.checkBounds(dstOffset, length);
        src.checkBounds(srcOffset, length);
        return submit(DmaTransfer.write(src, srcOffset, dst, dstOffset, length), ring);
    }

    /**
     * Starts a transfer of {@code length} bytes from a region (a remote read) into registered memory.
     * Waits for room if the queue is full. Memory order: the bytes are visible in {@code dst} to a
     * thread that saw {@link DmaTransfer#isDone()} (volatile) return {@code true} on a success.
     *
     * @param src       the outbound mapping of the region read from
     * @param srcOffset first byte to read, from the start of the region's data area
     * @param dst       registered memory of this engine's endpoint, written into
     * @param dstOffset where the first byte lands, from the start of {@code dst}
     * @param length    bytes to move
     * @return the transfer's completion, to poll or wait on
     * @throws IllegalArgumentException if {@code dst} is registered with another endpoint
     * @throws DsmException             if {@code src} belongs to another fabric than this engine's; if the
     *                                  thread is interrupted while it waits for room (nothing is queued);
     *                                  or if the queue is full and the caller is the engine's own thread
     * @throws RegionBoundsException    if either range is out of bounds (nothing is started)
     * @throws StaleRegionException     if the region was removed or re-created
     * @throws ClosedException          if the engine, memory or mapping is closed
     */
    @Override
    public DmaTransfer read(final OutboundMapping src, final long srcOffset, final RegisteredMemory dst,
                            final long dstOffset, final long length) {
        return read(src, srcOffset, dst, dstOffset, length, true);
    }

    DmaTransfer read(final OutboundMapping src, final long srcOffset, final RegisteredMemory dst,
                     final long dstOffset, final long length, final boolean ring) {
        checkSameFabric(src);
        checkMemory(dst);
        src.checkBounds(srcOffset, length);
        dst.checkBounds(dstOffset, length);
        return submit(DmaTransfer.read(src, srcOffset, dst, dstOffset, length), ring);
    }

    /**
     * Queues a release store of {@code value} at the 8-byte-aligned {@code offset} of {@code dst}: the
     * engine executes it in FIFO order with transfers, after every transfer issued to this engine
     * before it completed (whatever their mappings), through the mapping's write path, so a tripwire
     * on the word fires as for a PIO store. Counts as a DMA operation on the mapping: a PIO access
     * through it issued after this call waits until the store was made. Waits for room if the queue is
     * full. Memory order: a release store, made by the thread running the queue after every earlier command of
     * this engine ended.
     *
     * @param dst    the outbound mapping of the region written into
     * @param offset the word's first byte, from the start of the region's data area; a multiple of 8
     * @param value  the long to store, in native byte order
     * @return the operation's completion ({@link DmaTransfer#length()} 8)
     * @throws RegionBoundsException if the word is out of bounds or misaligned (nothing is queued)
     * @throws StaleRegionException  if the region was removed or re-created
     * @throws ClosedException       if the engine or mapping is closed
     * @throws DsmException          if {@code dst} belongs to another fabric than this engine's; if the
     *                               thread is interrupted while it waits for room (nothing is queued); or
     *                               if the queue is full and the caller is the engine's own thread
     */
    @Override
    public DmaTransfer writeLongOrdered(final OutboundMapping dst, final long offset, final long value) {
        return writeLongOrdered(dst, offset, value, true);
    }

    DmaTransfer writeLongOrdered(final OutboundMapping dst, final long offset, final long value, final boolean ring) {
        if ((offset & 7) != 0) {
            throw RegionBoundsException.misaligned(dst.describe(), offset, 8);
        }
        checkSameFabric(dst);
        dst.checkBounds(offset, 8);
        return submit(DmaTransfer.orderedStore(dst, offset, value), ring);
    }

    /**
     * Hands every queued command to the engine: wakes the dedicated thread if it blocks, or (invoker)
     * runs the queue on this thread until it is empty, unless another thread runs it (which then runs
     * these commands too). Every call of {@link #write}, {@link #read} and {@link #writeLongOrdered}
     * rings it; a {@link DmaBatch} rings it once for many commands. Memory order: as the queue's (a
     * lock): what this thread stored before happens-before the engine runs the commands it queued.
     */
    @Override
    public void doorbell() {
        if (thread != null) {
            queue.wake();
        } else {
            runQueue();
        }
    }

    private void checkSameFabric(final OutboundMapping m) {
        final Fabric theirs = m.endpoint().fabric();
        if (!theirs.sameDirectory(endpoint.fabric())) {
            throw new DsmException(m.describe() + " belongs to " + theirs + " (imported by endpoint '"
                + m.endpoint().name() + "'), but this is the DMA engine of endpoint '" + endpoint.name()
                + "' of " + endpoint.fabric() + "; a DMA engine moves data only within its own fabric");
        }
    }

    private void checkMemory(final RegisteredMemory m) {
        if (m.endpoint() != endpoint) {
            throw new IllegalArgumentException(m + " is not registered with endpoint '" + endpoint.name()
                + "', whose DMA engine this is");
        }
    }

    /**
     * Queues a checked command: counts it as pending on its memory and mapping (so a later PIO waits for
     * it), puts it in the queue (waiting for room), then takes it back if close raced with the issue.
     */
    private DmaTransfer submit(final DmaTransfer t, final boolean ring) {
        if (!t.mapping.isValid()) {
            throw t.mapping.staleFailure();
        }
        if (queue.isClosing()) {
            throw closedFailure(t, "before it was queued");
        }
        if (t.memory != null) {
            t.memory.transferStarted();
        }
        t.mapping.dmaIssued(this);
        t.engine = this;
        counts.issued.incrementAndGet();   // from here on every path retires it once: completed or failed
        try {
            if (thread != null) {
                queue.offer(t);
            } else {
                offerRunning(t);
            }
        } catch (final RuntimeException | Error e) {
            // not queued: nobody else can see the command, so this thread undoes its counts. (A fault
            // delivered late, from commands this thread ran while the queue was full, may arrive after
            // the command was queued: then whoever took it retires it, and the issuer only reports)
            if (t.take(DmaTransfer.BY_ISSUER)) {
                queue.remove(t);
                retire(t, e);
            }
            throw e;
        }
        if (queue.isClosing() && t.take(DmaTransfer.BY_ISSUER)) {
            // close raced with this issue and neither the engine nor close saw the command: take it back
            queue.remove(t);
            final ClosedException e = closedFailure(t, "while it was being queued");
            retire(t, e);
            throw e;
        }
        if (ring) {
            doorbell();
        }
        return t;
    }

    /**
     * Invoker mode: queues {@code t}, running the queue on this thread while it is full (or, if another
     * thread runs it, waiting for that thread to make room, in slices checking for close).
     */
    private void offerRunning(final DmaTransfer t) {
        int idle = 0;
        while (!queue.tryOffer(t)) {
            if (queue.isClosing()) {
                throw new ClosedException(t + ": " + this + " was closed while it waited for room in the queue of "
                    + queue.capacity() + " commands");
            }
            if (runner == Thread.currentThread()) {
                throw new DsmException(t + " was issued while this thread runs the queue of " + this + " (by a"
                    + " snoop hook?) and the queue of " + queue.capacity() + " commands is full: the thread would"
                    + " wait for itself; nothing was queued. Issue from another thread, or give the engine a"
                    + " larger queueCapacity");
            }
            if (runQueue()) {
                idle = 0;
            } else if (Thread.interrupted()) {
                Thread.currentThread().interrupt();
                throw new DsmException(t + ": interrupted while waiting for room in the queue of " + queue.capacity()
                    + " commands of " + this + "; nothing was queued");
            } else {
                idle = DmaQueue.backOff(idle);
            }
        }
    }

    /**
     * Invoker mode: runs the queue on this thread until it is empty, if no other thread runs it; looks
     * once more after letting the running flag go (a command queued meanwhile whose issuer found the flag
     * taken is run then). In dedicated mode only the engine's thread runs commands: this wakes it, for
     * a waiter whose command is queued in a batch not yet rung.
     *
     * @return whether this thread ran the queue (took the flag at least once)
     */
    boolean runQueue() {
        if (thread != null) {
            queue.wake();
            return false;
        }
        boolean ran = false;
        while (queue.peek() != null) {
            if (!RUNNING.compareAndSet(this, 0, 1)) {
                return ran;   // the thread that holds it runs what is queued, ours included
            }
            ran = true;
            runner = Thread.currentThread();
            try {
                runAll();
            } finally {
                runner = null;
                running = 0;   // volatile: ordered before the next peek, as an issuer's offer before its CAS
            }
        }
        return ran;
    }

    /** {@return whether the calling thread is running this engine's queue (its thread, or an invoker now)} */
    boolean isRunner() {
        return runner == Thread.currentThread();
    }

    /**
     * For a thread about to wait for {@code t}: invoker mode runs the queue until {@code t} ended,
     * returning early if another thread runs it (and so will end {@code t}) or the caller runs it already
     * (a snoop hook); dedicated mode wakes the engine's thread (the command may wait in a batch not yet rung).
     */
    void runFor(final DmaTransfer t) {
        if (thread != null) {
            queue.wake();
        } else if (!isRunner()) {
            while (!t.isDone() && runQueue()) {
                Thread.onSpinWait();
            }
        }
    }

    private ClosedException closedFailure(final DmaTransfer t, final String when) {
        return new ClosedException(t + ": " + this + " was closed " + when);
    }

    /** The dedicated thread: runs the head of the queue, or spins and then blocks for work. */
    private void run() {
        DmaTransfer t = null;
        while (true) {
            try {
                t = queue.peek();
                if (t == null) {
                    if (queue.isClosing()) {
                        return;
                    }
                    t = queue.awaitHead(idleSpinNanos);
                    if (t == null) {
                        continue;
                    }
                }
                runOne(t);
            } catch (final InternalError late) {
                lateFault(t, late);   // delivered in the queue's code or an idle spin: the engine goes on
            }
        }
    }

    /** Invoker: runs commands at the head until the queue is empty, a late fault costing only its command. */
    private void runAll() {
        DmaTransfer t = null;
        while (true) {
            try {
                t = queue.peek();
                if (t == null) {
                    return;
                }
                runOne(t);
            } catch (final InternalError late) {
                lateFault(t, late);
            }
        }
    }

    /**
     * Runs the command at the head of the queue if this thread takes it (fails it if closing), then
     * removes it. A fault on a region cut from outside that the JVM delivers late (at this thread's next
     * safepoint poll: in the command's retirement, or in the queue's code) retires the command it
     * interrupted as failed if this thread took it and it is not yet retired; the command stays at the
     * head until removed, so none is lost, and the engine goes on.
     */
    private void runOne(final DmaTransfer t) {
        try {
            if (t.take(DmaTransfer.BY_ENGINE)) {
                current = t;
                execute(t);
                current = null;
            }
            queue.remove(t);
        } catch (final InternalError late) {
            lateFault(t, late);
        }
    }

    /**
     * A fault delivered late while this thread ran {@code t} (or just after): retires {@code t} as failed
     * if this side took it and it is not yet retired (retirement's steps are each done once), and
     * removes it from the queue if it is still there.
     */
    private void lateFault(final DmaTransfer t, final InternalError late) {
        current = null;
        if (t == null) {
            return;
        }
        if (t.taker() == DmaTransfer.BY_ENGINE) {
            final RegionTruncatedException why = RegionFaults.explain(late);
            retire(t, why != null ? why : late);
        }
        queue.remove(t);
    }

    private void execute(final DmaTransfer t) {
        Throwable failure = null;
        try {
            if (queue.isClosing()) {
                throw closedFailure(t, "before it started");
            }
            switch (t.type) {
                case WRITE:
                case READ:
                    t.move(burstSize);
                    break;
                case ORDERED_STORE:
                    t.storeOrdered();
                    break;
                default:
                    throw new IllegalStateException(t + ": unknown DMA command type " + t.type);
            }
        } catch (final Throwable e) {
            failure = e;
        } finally {
            retire(t, failure);
        }
    }

    /** Ends a command (see {@link DmaTransfer#retire}); called only by the side that took it. */
    private void retire(final DmaTransfer t, final Throwable failure) {
        t.retire(failure, counts);
    }

    /** {@return commands issued since the engine started (transfers and ordered stores; each ends completed or failed)} */
    public long transfersIssued() {
        return counts.issued.get();
    }

    /** {@return commands that completed successfully} */
    public long transfersCompleted() {
        return counts.completed.get();
    }

    /** {@return commands that ended with a failure (a stale or cut region, the engine closed)} */
    public long transfersFailed() {
        return counts.failed.get();
    }

    /** {@return bytes written into regions by completed writes and ordered stores (8 bytes each)} */
    public long bytesWritten() {
        return counts.bytesWritten.get();
    }

    /** {@return bytes read from regions by completed reads} */
    public long bytesRead() {
        return counts.bytesRead.get();
    }

    /** {@return commands issued and not yet started (a snapshot: other threads may change it)} */
    public int queued() {
        final int n = queue.size() - (current != null ? 1 : 0);
        return Math.max(n, 0);
    }

    /** {@return how many commands may be queued or in progress at once ({@link Context#queueCapacity})} */
    public int queueCapacity() {
        return queue.capacity();
    }

    /**
     * Fails commands not yet started with a {@link ClosedException}, waits for the one in progress to
     * end, and stops the thread. Idempotent; a second call returns at once. If the calling thread is
     * interrupted while it waits, it stops waiting and returns with its interrupt status set; the
     * command in progress still ends, and the thread stops after it. Called on the engine's own thread
     * (from a snoop hook), it does not wait: the thread stops once the command in progress ended.
     */
    @Override
    public void close() {
        if (!queue.markClosing()) {
            return;
        }
        if (thread == null) {
            if (isRunner()) {
                return;   // a snoop hook on the thread running the queue: it fails the rest (closing) itself
            }
            // wait for a thread running the queue to let it go (its command in progress ends; the rest fail,
            // closing), then hold the flag while failing what is left, so no invoker starts one meanwhile
            int idle = 0;
            while (!RUNNING.compareAndSet(this, 0, 1)) {
                if (Thread.currentThread().isInterrupted()) {
                    return;   // the thread running the queue fails what is left (closing), as above
                }
                idle = DmaQueue.backOff(idle);
            }
            try {
                failQueued();
            } finally {
                running = 0;
            }
            return;
        }
        if (Thread.currentThread() != thread) {
            try {
                thread.join();
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        failQueued();
    }

    private void failQueued() {
        // fail what the thread left: commands queued since it last found the queue empty (their issuers
        // take back those they reach first), or all not yet started if it is still running (its own
        // command in progress is taken by it, so only removed here)
        DmaTransfer t;
        while ((t = queue.peek()) != null) {
            if (t.take(DmaTransfer.BY_CLOSE)) {
                retire(t, closedFailure(t, "before it started"));
            }
            queue.remove(t);
        }
    }

    @Override
    public String toString() {
        return "DMA engine of endpoint '" + endpoint.name() + "'";
    }
}
