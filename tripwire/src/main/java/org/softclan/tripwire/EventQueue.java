package org.softclan.tripwire;

import static org.softclan.tripwire.EventQueueDescriptor.*;

import org.softclan.dsm.RegionFaults;
import org.softclan.dsm.Mapping;
import org.softclan.dsm.SharedMemory;
import org.softclan.tripwire.os.Futex;

/**
 * An endpoint's event queue: a ring of 64-byte events in shared memory (a region of its own) that
 * writers in any process post to when their transfers fire a tripwire, and one owner thread polls.
 *
 * <p>The region's layout, with who writes each word, is in {@code EventQueueDescriptor}: a header of
 * counters and positions, each on its own cache line, then 64-byte slots.
 *
 * <p><b>Posting</b> claims a position with a compare-and-set on the tail (never past head + capacity),
 * writes the slot, then publishes it with a volatile store of its sequence (a release store that
 * also keeps the poster's next load, of the waiter count, after it). A full queue never drops
 * silently: the post is counted in {@code overflow} and in the tripwire's own lost counter, so the
 * owner can find which tripwires fired ({@link TripwireUnit#recoverLost}). <b>Polling</b> reads a slot
 * once its published sequence matches (acquire), so an event's data is always visible with it.
 * <b>Waking</b>: a poster that sees a waiter bumps the doorbell and wakes it with a futex; the CAS
 * on the tail and the waiter's increment are both full barriers, so a waiter never sleeps through
 * an event posted after it checked.
 *
 * <p><b>Trust.</b> Every word here can be written by any process that imports the queue's region.
 * The capacity is read once, when the queue is mapped; slot addresses are always {@code position &
 * mask}, so no head, tail or sequence value can leave the ring. The owner keeps its own head and
 * never reads the shared one back. An event whose tripwire this queue's unit never armed (a forged
 * slot, or a garbled one) is dropped and counted ({@link #droppedCount()}), not handed out. A slot
 * claimed and never published (its poster died between the claim and the publish, or a peer moved
 * the tail) is skipped once the tail has been ahead of it for a bound (1 s by default, system property
 * {@code softclan.tripwire.queueStallMillis}) with no progress, together with the unpublished slots
 * that follow it up to the next published one (so a garbage tail within the capacity costs one bound,
 * not one per slot), and counted ({@link #skippedCount()}); a tail more than a capacity ahead of the head
 * is taken as garbage and the head resynchronised to it, and a tail behind the head is moved up to it
 * (never the head back: the slots in between would be handed out twice). Posting gives up, counted as an overflow,
 * after 2^20 lost compare-and-sets. Residual risk: a poster stalled (not dead)
 * for longer than the bound may later publish into a slot that has been reused; the bound is long
 * (1 s by default) to make that unlikely.
 */
public final class EventQueue {
    /**
     * The longest a blocked waiter sleeps before re-checking, in ns: a process on the parking fallback
     * that opens the queue while a waiter already sleeps is noticed within this time.
     */
    static final long MAX_BLOCK_SLICE_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(100);
    /** How long a claimed slot may stay unpublished before the owner skips it: 1 s (softclan.tripwire.queueStallMillis). */
    static final long STALL_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(
        Long.getLong("softclan.tripwire.queueStallMillis", 1_000));
    /**
     * The most events a queue holds (a 1 GiB region): a writer refuses to import a "queue" larger than
     * a queue of this capacity, which a peer could name in a table's directory to fill its address space.
     */
    static final int MAX_CAPACITY = 1 << 24;

    /** Compare-and-sets of the tail a post tries before giving up (counted as an overflow). */
    static final int MAX_CLAIM_ATTEMPTS = 1 << 20;

    private final Mapping mapping;
    /** The queue's region, header and slots (its data area from offset 0). */
    private final SharedMemory memory;
    /** This process's threads blocked on the queue: the shared waiter count and the wait slices. */
    private final QueueWaiters waiters;
    private final java.util.function.BooleanSupplier hasEvent = this::hasEvent;
    /** The owner's extra reason to stop waiting for its own events: a stalled slot due to be skipped. */
    private final java.util.function.BooleanSupplier stallDue = this::stallSuspected;
    /**
     * This poster's last view of the head: the head only grows, so a stale value is safe and the
     * real one (a line the owner writes at every poll) is read only when the queue looks full.
     */
    private long cachedHead;
    private final int mask;
    private final int capacity;
    /**
     * Written by the owner only: the next position to consume (the shared head is written from it, never
     * read back). Other threads read it opaquely ({@link #ownerHead}).
     */
    private long head;
    private static final java.lang.invoke.VarHandle HEAD;

    static {
        try {
            HEAD = java.lang.invoke.MethodHandles.lookup().findVarHandle(EventQueue.class, "head", long.class);
        } catch (final ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
    private long stalledHead = -1;
    /** Empty polls and checks by the owner; a plain counter (a lost increment only delays a check). */
    private int emptyPolls;
    /** Set when a check outside poll found a stall past its bound: the next empty poll recovers it. */
    private boolean stallRecoveryDue;
    /** The stall check runs once per this many empty polls, plus one (a power of two, minus one). */
    private static final int STALL_CHECK_STRIDE = 1023;
    private long stalledSince;
    private long skipped;
    private long dropped;
    /** The owner's check of polled events; a concrete class, not an interface: no type check per event. */
    private volatile KnownTripwires filter;

    /**
     * Maps the queue in a region already {@link #format formatted}.
     *
     * @throws IllegalStateException if the region's capacity word or size is not a queue's
     * @throws org.softclan.dsm.RegionBoundsException if the region is smaller than the queue's header
     */
    EventQueue(final Mapping mapping) {
        // at least the header (as before the capacity is known): a smaller region fails the bounds check
        this(mapping, SharedMemory.of(mapping, 0, Math.max(mapping.size(), SLOTS_OFFSET)));
    }

    /**
     * Maps the queue through a given window on its region (tests pass a mock to pin the order of accesses).
     *
     * @param mapping the queue's region: its name and size
     * @param memory  the window through which the queue's words are read and written, from the region's start
     */
    EventQueue(final Mapping mapping, final SharedMemory memory) {
        this.mapping = mapping;
        this.memory = memory;
        this.waiters = new QueueWaiters(memory, STALL_NANOS);
        this.capacity = memory.getIntVolatile(CAPACITY_OFFSET);
        if (capacity < 2 || Integer.bitCount(capacity) != 1 || mapping.size() < queueLength(capacity)) {
            throw new IllegalStateException("region '" + mapping.regionName() + "' is not an event queue"
                + " (capacity word " + capacity + ", size " + mapping.size() + ")");
        }
        this.mask = capacity - 1;
        if (!Futex.isAvailable()) {
            // this process cannot wake futex waiters: tell them to re-check in short slices instead
            memory.putIntVolatile(FALLBACK_SEEN_OFFSET, 1);
        }
        this.head = memory.getLongVolatile(HEAD_OFFSET);
    }

    /** Installs the owner's check of polled events (the unit's armed tripwires). */
    void filter(final KnownTripwires filter) {
        this.filter = filter;
    }

    /**
     * Counts the events this queue's polls dropped.
     *
     * @return events polled and dropped because no tripwire of the owning unit could have posted them
     *         (forged or garbled slots); a plain read of a field the polling thread writes: call it from
     *         that thread
     */
    public long droppedCount() {
        return dropped;
    }

    /**
     * Counts the slots this queue's polls skipped.
     *
     * @return slots claimed and never published within the bound, skipped, plus resynchronisations to a
     *         garbage tail; a plain read of a field the polling thread writes: call it from that thread
     */
    public long skippedCount() {
        return skipped;
    }

    /** @return bytes a queue region of {@code capacity} events needs */
    static long bytesFor(final int capacity) {
        return queueLength(capacity);
    }

    /** Writes the capacity word of a fresh (zeroed) queue region. */
    static void format(final Mapping mapping, final int capacity) {
        if (Integer.bitCount(capacity) != 1) {
            throw new IllegalArgumentException("event queue capacity " + capacity + " must be a power of two");
        }
        SharedMemory.of(mapping, 0, 4).putIntVolatile(CAPACITY_OFFSET, capacity);
    }

    /** {@return the name of the region the queue lives in} */
    public String regionName() {
        return mapping.regionName();
    }

    /** {@return events the queue holds at most} */
    public int capacity() {
        return capacity;
    }

    /** @return the shared head word (volatile read): the owner's last consumed position, as published */
    long sharedHead() {
        return memory.getLongVolatile(HEAD_OFFSET);
    }

    /** {@return the shared waiter count (volatile read; threads of this process blocked on the queue)} */
    int sharedWaiters() {
        return memory.getIntVolatile(WAITERS_OFFSET);
    }

    /**
     * The owner's next position to consume, as its polling thread last stored it: unlike the shared head
     * word, no other process can write it. An opaque read from any thread (never torn; possibly a
     * little behind the owner, never ahead).
     *
     * @return the owner's head
     */
    long ownerHead() {
        return (long) HEAD.getOpaque(this);
    }

    /**
     * The position a disarmed tripwire's last events lie before, for {@link KnownTripwires#retire}: the
     * shared tail (read first) if it lies within {@code [owner head, owner head + capacity]} (the owner's
     * head read after it), as every tail posters wrote does, and the slot at it is not published (a
     * published slot at the tail means the tail was set back); else the end of that range, the latest
     * any real event can lie before. Garbage can only delay forgetting the tripwire (until the owner has
     * consumed a queue's worth of events), not make its queued events be dropped as forged. A queue whose
     * file is {@linkplain Mapping#isKnownCut() known cut} is not read: the end of the range.
     *
     * @return the position to retire at
     */
    long retirementTail() {
        if (mapping.isKnownCut()) {
            return ownerHead() + capacity;   // its words are not read: a fault there would surface later, elsewhere
        }
        final long tail = sharedTail();
        final long h = ownerHead();
        if (tail - h >= 0 && tail - h <= capacity
            && memory.getLongVolatile(slotOffset(tail, mask) + SLOT_SEQUENCE_OFFSET) != tail + 1) {
            return tail;
        }
        return h + capacity;
    }

    /** @return the shared tail word (volatile read): positions claimed so far */
    long sharedTail() {
        return memory.getLongVolatile(TAIL_OFFSET);
    }

    /** {@return events posted and not yet polled} */
    public long size() {
        return memory.getLongVolatile(TAIL_OFFSET) - memory.getLongVolatile(HEAD_OFFSET);
    }

    /** {@return threads of this process blocked on this queue now} */
    public int blockedThreads() {
        return waiters.blockedThreads();
    }

    /** {@return times a thread of this process blocked on the queue (entered a blocking wait)} */
    public long blockCount() {
        return waiters.blockCount();
    }

    /**
     * {@return times a blocked thread of this process was woken by the doorbell (a post's or a ring's futex
     * wake, or a ring just as it went to sleep); timed-out slices are not counted}
     */
    public long wakeUpCount() {
        return waiters.wakeUpCount();
    }

    /** {@return ns the threads of this process spent blocked on the queue, summed (finished blocks only)} */
    public long blockedNanos() {
        return waiters.blockedNanos();
    }

    /**
     * {@return events posted to the queue since it was created: positions claimed by posters, the shared
     * tail (volatile read; any process can write it, so a figure for people, not for decisions)}
     */
    public long postedCount() {
        return sharedTail();
    }

    /** {@return events this queue's owner consumed (handed out, dropped or skipped): its own head, opaque read} */
    public long polledCount() {
        return ownerHead();
    }

    /** {@return posts that found the queue full since the queue was created (volatile read)} */
    public long overflowCount() {
        return memory.getLongVolatile(OVERFLOW_OFFSET);
    }

    // ------------------------------------------------------------------------------------ posting

    /**
     * Posts of this JVM still to be preceded by a check of the queue's file ({@link #post}): past the
     * invocation counts at which the JIT compiles a hot method (C2's tiered threshold is about 15 000).
     */
    private static int interpretedPosts = 20_000;

    /**
     * Posts an event; any process may call this concurrently. Claims a position with a CAS on the tail
     * (at most 2^20 attempts), writes the slot with plain stores, publishes its sequence
     * with a volatile store. Allocation-free.
     *
     * @return {@code true} if posted, {@code false} if the queue was full or the claim kept failing
     *         (counted as overflow), or the queue's file is {@linkplain org.softclan.dsm.Mapping#isKnownCut()
     *         known cut} (not touched: the caller counts the event lost)
     */
    boolean post(final long tripwireId, final long cookie, final int regionId, final long offset, final long length,
                 final long value) {
        if (mapping.isKnownCut()) {
            return false;   // its file was found cut: touching it again would fault again (counted as lost)
        }
        if (interpretedPosts > 0) {
            // this JVM's first posts: the interpreter's compare-and-set on a page cut from outside kills the
            // JVM with SIGBUS (compiled code gets an InternalError instead), so until post is compiled, one
            // fstat first (a syscall beside an interpreted post's own cost). A cut between the two still kills:
            // the window shrinks from the whole warm-up to the microsecond after the check
            interpretedPosts--;   // racy across threads: a count, not an exact bound
            if (!mapping.isIntact()) {
                return false;
            }
        }
        final long base = memory.address();   // one load for the whole post, kept in a register
        for (int attempt = 0; attempt < MAX_CLAIM_ATTEMPTS; attempt++) {
            final long tail = SharedMemory.getLongVolatileAt(base + TAIL_OFFSET);
            long head = cachedHead;
            if (tail - head >= capacity) {
                head = SharedMemory.getLongVolatileAt(base + HEAD_OFFSET);
                cachedHead = head;
            }
            if (tail - head >= capacity) {
                memory.getAndAddLong(OVERFLOW_OFFSET, 1);
                ring();
                return false;
            }
            if (SharedMemory.compareAndSetLongAt(base + TAIL_OFFSET, tail, tail + 1)) {
                final long slot = base + slotOffset(tail, mask);
                SharedMemory.putLongAt(slot + SLOT_TRIPWIRE_ID_OFFSET, tripwireId);
                SharedMemory.putLongAt(slot + SLOT_COOKIE_OFFSET, cookie);
                SharedMemory.putLongAt(slot + SLOT_REGION_ID_OFFSET, regionId);
                SharedMemory.putLongAt(slot + SLOT_TRANSFER_OFFSET_OFFSET, offset);
                SharedMemory.putLongAt(slot + SLOT_TRANSFER_LENGTH_OFFSET, length);
                SharedMemory.putLongAt(slot + SLOT_VALUE_OFFSET, value);
                // volatile, not release: the load of the waiter count in ring() must not pass it
                SharedMemory.putLongVolatileAt(slot + SLOT_SEQUENCE_OFFSET, tail + 1);
                if (SharedMemory.getIntVolatileAt(base + WAITERS_OFFSET) != 0) {
                    ring();
                }
                return true;
            }
        }
        // the tail kept moving under us (a peer writing it?): counted as an overflow, never a hang
        memory.getAndAddLong(OVERFLOW_OFFSET, 1);
        return false;
    }

    /**
     * Wakes blocked waiters, if any: bumps the doorbell and issues a futex wake. Costs one load when
     * nobody waits. Callers have just made a full barrier (a CAS or atomic add). A queue whose file is
     * {@linkplain org.softclan.dsm.Mapping#isKnownCut() known cut} is not touched (its owner, whose waits
     * fail on the cut file, looks for work without it).
     */
    void ring() {
        if (!mapping.isKnownCut() && memory.getIntVolatile(WAITERS_OFFSET) != 0) {
            // the add made by the kernel: a queue whose file was cut is an answer, not a SIGBUS (see Futex)
            Futex.incrementAndWakeAll(memory.address() + DOORBELL_OFFSET);
        }
    }

    // ------------------------------------------------------------------------------------ polling

    /**
     * Hands up to {@code limit} events to {@code handler}, oldest first. Owner thread only. Each slot
     * is read after an acquire load of its published sequence; the head is released (ordered store)
     * after the handler returns. Events that fail the owner's check are dropped and counted
     * ({@link #droppedCount()}); a slot left unpublished past the bound is skipped and counted
     * ({@link #skippedCount()}). Allocation-free.
     *
     * @param handler called once per event, on this thread, before the head moves past it
     * @param limit   the most events to hand out in this call; dropped events and skipped stalls count
     *                against it too
     * @return the number of events handled (0 if none: a work count for idle strategies)
     */
    public int poll(final EventHandler handler, final int limit) {
        final long base = memory.address();   // one load for the whole poll, kept in a register
        long head = this.head;
        final KnownTripwires f = filter;   // set once by the unit: one read per poll, not per event
        int n = 0;
        for (int work = 0; work < limit; work++) {
            final long slot = base + slotOffset(head, mask);
            if (SharedMemory.getLongAcquireAt(slot + SLOT_SEQUENCE_OFFSET) != head + 1) {
                // the stall check reads the tail, a line every poster writes: a spinning owner looks at it
                // only once per STALL_CHECK_STRIDE empty polls (the bound it enforces is a second)
                if (!stallRecoveryDue && (++emptyPolls & STALL_CHECK_STRIDE) != 0) {
                    break;
                }
                stallRecoveryDue = false;
                if (!stalled(head, true)) {
                    break;
                }
                head = this.head;
                continue;
            }
            final long id = SharedMemory.getLongAt(slot + SLOT_TRIPWIRE_ID_OFFSET);
            final long cookie = SharedMemory.getLongAt(slot + SLOT_COOKIE_OFFSET);
            final int regionId = (int) SharedMemory.getLongAt(slot + SLOT_REGION_ID_OFFSET);
            final long offset = SharedMemory.getLongAt(slot + SLOT_TRANSFER_OFFSET_OFFSET);
            final long length = SharedMemory.getLongAt(slot + SLOT_TRANSFER_LENGTH_OFFSET);
            final long value = SharedMemory.getLongAt(slot + SLOT_VALUE_OFFSET);
            if (f == null || f.accepts(regionId, id, offset, length)) {
                handler.onEvent(head, id, cookie, regionId, offset, length, value);
                n++;
            } else {
                dropForged(head, id, regionId, offset, length);
            }
            head++;
            this.head = head;
            SharedMemory.putLongReleaseAt(base + HEAD_OFFSET, head);
        }
        return n;
    }

    /** Owner only: whether a claimed slot has stayed unpublished past the bound (poll then skips it). */
    private boolean stallSuspected() {
        if (stalled(head, false)) {
            stallRecoveryDue = true;
            return true;
        }
        return false;
    }

    /**
     * The slot at {@code head} is not published: is that a stall past the bound? Starts the clock the
     * first time it sees one; with {@code recover}, skips the slot (or resyncs to a garbage tail).
     * Reads the tail (volatile) only when the head's slot is not ready.
     *
     * @return whether the head moved (recover) or would move (not recover)
     */
    private boolean stalled(final long head, final boolean recover) {
        final long tail = memory.getLongVolatile(TAIL_OFFSET);
        if (tail == head) {
            stalledHead = -1;
            if (memory.getLongVolatile(HEAD_OFFSET) != head) {
                repairHead(head);
            }
            return false;   // empty: the common case
        }
        final long now = System.nanoTime();
        if (stalledHead != head) {
            stalledHead = head;
            stalledSince = now;
            return false;
        }
        if (now - stalledSince < STALL_NANOS) {
            return false;
        }
        if (!recover) {
            return true;
        }
        final long ahead = tail - head;
        if (ahead < 0) {
            resyncTailBehind(head, tail);
            return false;
        }
        final long to = ahead > capacity ? tail : nextPublished(head, tail);
        ProtocolErrors.record(new TripwireTableCorruptException(mapping.regionName(), "event queue",
            to == tail ? "tail" : "slot " + (head & mask) + " sequence", to == tail ? tail
            : memory.getLongVolatile(slotOffset(head, mask) + SLOT_SEQUENCE_OFFSET),
            to == tail ? "head is " + head + ", capacity " + capacity + "; head resynchronised to the tail"
            : "position " + head + " was claimed and not published for " + STALL_NANOS / 1_000_000 + " ms; "
                + (to - head) + " unpublished position(s) skipped"));
        skipped += ahead > capacity ? 1 : to - head;   // a resynchronised tail counts once
        stalledHead = -1;
        this.head = to;
        memory.putLongRelease(HEAD_OFFSET, to);
        return true;
    }

    /**
     * The tail is behind the owner's head: no poster can have published there (the head passes only
     * published slots), so another process wrote it. Moving the head back to it would hand out again the
     * events already consumed from the slots in between (their sequences still match); the owner instead
     * moves the tail up to its head (compare-and-set, so a poster's claim meanwhile wins and the owner
     * tries again at its next check). Posts that claimed positions behind the head are lost; the
     * resynchronisation counts once in {@link #skippedCount()}.
     */
    private void resyncTailBehind(final long head, final long tail) {
        ProtocolErrors.record(new TripwireTableCorruptException(mapping.regionName(), "event queue", "tail", tail,
            "behind the owner's head " + head + "; tail moved up to the head"));
        skipped++;
        stalledHead = -1;
        memory.compareAndSetLong(TAIL_OFFSET, tail, head);
    }

    /**
     * The shared head word differs from the owner's head while the queue is empty: another process wrote
     * it. Posters judge room by that word, so a garbage head would make every post fail as "full" (or
     * pass a full queue) until the owner consumed an event, which none could post: the owner writes its
     * own head back and records the violation.
     */
    private void repairHead(final long head) {
        final long found = memory.getLongVolatile(HEAD_OFFSET);
        ProtocolErrors.record(new TripwireTableCorruptException(mapping.regionName(), "event queue", "head", found,
            "the owner's head is " + head + " and the queue is empty; head rewritten"));
        memory.putLongRelease(HEAD_OFFSET, head);
    }

    /** Counts and records an event no tripwire of this unit posted (out of line: poll stays inlinable). */
    private void dropForged(final long head, final long id, final int regionId, final long offset, final long length) {
        dropped++;
        ProtocolErrors.record(new TripwireTableCorruptException(mapping.regionName(), "event queue",
            "slot " + (head & mask) + " tripwire id", id, "region id " + regionId + ", offset " + offset
            + ", length " + length + ": no tripwire of this unit; dropped"));
    }

    /**
     * The first position after {@code head} whose slot is published, or {@code tail} if none: where
     * polling resumes once the slot at {@code head} stayed unpublished past the bound. Skipping only that
     * one slot would let a garbage tail within the capacity (a peer's, or many dead posters') hold the
     * queue for a second per slot; slots after it that are still unpublished then are very likely
     * garbage too (a live poster publishes within microseconds). At most one pass over the ring.
     */
    private long nextPublished(final long head, final long tail) {
        for (long p = head + 1; p - tail < 0; p++) {
            if (memory.getLongVolatile(slotOffset(p, mask) + SLOT_SEQUENCE_OFFSET) == p + 1) {
                return p;
            }
        }
        return tail;
    }

    /**
     * Owner thread only (it may start the clock of a stalled slot).
     *
     * @return whether an event is ready to poll (volatile read of its sequence), or a stalled slot is due to be skipped
     */
    public boolean hasEvent() {
        final long head = this.head;
        // volatile, not acquire: a blocking waiter's registration (an atomic add) and this load pair with a
        // poster's volatile store of the sequence and its load of the waiter count
        return memory.getLongVolatile(slotOffset(head, mask) + SLOT_SEQUENCE_OFFSET) == head + 1
            || (++emptyPolls & STALL_CHECK_STRIDE) == 0 && stallSuspected();
    }

    // ------------------------------------------------------------------------------------ waiting

    /**
     * Waits for an event to be ready to poll. Owner thread only, as {@link #hasEvent()}.
     *
     * @param strategy how to wait (spin, yield, park, or block on this queue's doorbell)
     * @param timeout  how long to wait at most, in {@code unit}s
     * @param unit     the unit of {@code timeout}
     * @return whether one is (a stalled slot due to be skipped counts: the next poll skips it)
     * @throws org.softclan.dsm.ClosedException if the strategy blocks while this queue is closed, or it
     *         is closed during the block (its unit closed)
     * @throws org.softclan.dsm.RegionTruncatedException if the strategy blocks and the queue's file was
     *         cut from outside
     */
    public boolean await(final WaitStrategy strategy, final long timeout, final java.util.concurrent.TimeUnit unit) {
        return strategy.await(hasEvent, this, unit.toNanos(timeout));
    }

    /**
     * Blocks (futex) until {@code ready} holds, the doorbell rings, or the timeout passes. Registers
     * as a waiter first (a full barrier), then re-checks {@code ready}, so a post or ring that comes
     * after the check always wakes it.
     *
     * @return whether {@code ready} held when it returned
     * @throws org.softclan.dsm.RegionTruncatedException if the queue's file was cut from outside
     */
    boolean block(final java.util.function.BooleanSupplier ready, final long timeoutNanos) {
        return waiters.block(this, ready, ready == hasEvent ? stallDue : null, mapping, timeoutNanos);
    }

    /**
     * Closes the queue for waiting: threads blocked in it are woken and leave with
     * {@link org.softclan.dsm.ClosedException}; returns once none is inside (after {@code waitMillis} at
     * most), so the owner may unmap the queue. Idempotent.
     *
     * @return whether no thread was left inside
     */
    boolean close(final long waitMillis) {
        return waiters.close(waitMillis, this::wakeAllWaiters);
    }

    /**
     * Keeps the queue's memory mapped until {@link #release()}, even if its unit closes meanwhile (see
     * {@link Mapping#retain()}): for a layer that may still disarm or wake through this queue while the
     * unit is closed under it.
     *
     * @return {@code true} if the hold was taken; {@code false} if the queue's mapping is already closed
     */
    public boolean retain() {
        return mapping.retain();
    }

    /**
     * Drops a hold taken by {@link #retain()}; the last one unmaps a queue closed meanwhile.
     *
     * @throws IllegalStateException if no hold is taken
     */
    public void release() {
        mapping.release();
    }

    /**
     * {@return whether the queue's file still holds every byte mapped (one {@code stat}; for slow paths)}
     */
    public boolean isIntact() {
        return mapping.isIntact();
    }

    /**
     * Wakes the threads blocked on this queue, if any, so they re-check their conditions: one load when none
     * is blocked, else a futex wake on the doorbell (as a post does). For a hot path that has just published
     * what the waiters' conditions read with a volatile store (which orders the load of the waiter count after
     * it); any thread. A queue whose file is known cut is not touched.
     */
    public void wakeBlockedWaiters() {
        ring();
    }

    /**
     * Wakes every thread of this process blocked on this queue now, without touching the queue's memory:
     * one {@code FUTEX_WAKE} system call on the doorbell's address (safe on a queue whose file was cut,
     * so no {@code stat} around it, unlike {@link #wakeAllWaiters()}). The woken threads re-check their
     * conditions; a thread about to block that has not re-checked yet is not woken, so the caller must
     * have published what the condition reads first (a volatile store) and the waiter must re-check it
     * after registering (as the blocking strategies do). For a local wake-up: a selector's
     * {@code wakeup()}.
     */
    public void wakeLocalWaiters() {
        if (!Futex.isAvailable()) {
            wakeAllWaiters();   // the parking fallback: its waiters look at the doorbell's count
            return;
        }
        Futex.wake(memory.address() + DOORBELL_OFFSET, Futex.WAKE_ALL);
    }

    /**
     * Wakes every thread blocked on this queue now (they re-check their conditions). Does nothing to a
     * queue whose file was cut from outside (one {@code stat} before and after: for slow paths, such as
     * closing): a fault there would be held back by the JVM and thrown later in unrelated code.
     */
    public void wakeAllWaiters() {
        if (!mapping.isIntact()) {
            return;
        }
        Futex.incrementAndWakeAll(memory.address() + DOORBELL_OFFSET);
        if (!mapping.isIntact()) {
            RegionFaults.takeHeldBack();   // cut meanwhile: take the fault the JVM may hold back now
        }
    }

    @Override
    public String toString() {
        // no read of the queue's memory once it is closed (it may be unmapped: this names it in the
        // ClosedException a late waiter gets) or cut from outside (a fault the JVM would hold back)
        if (waiters.isClosed() || mapping.isClosed() || !mapping.isIntact()) {
            return "event queue '" + mapping.regionName() + "' (" + capacity + " events, closed or cut)";
        }
        return "event queue '" + mapping.regionName() + "' (" + capacity + " events, " + size() + " pending, "
            + overflowCount() + " overflowed)";
    }
}
