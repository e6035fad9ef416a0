package org.softclan.vmmc.stream;

import static org.softclan.vmmc.stream.StreamControlDescriptor.DEPOSIT_KEY_OFFSET;
import static org.softclan.vmmc.stream.StreamControlDescriptor.DEPOSIT_NAME_BYTES_OFFSET;
import static org.softclan.vmmc.stream.StreamControlDescriptor.DEPOSIT_NAME_OFFSET;
import static org.softclan.vmmc.stream.StreamControlDescriptor.DEPOSIT_READY_OFFSET;
import static org.softclan.vmmc.stream.StreamControlDescriptor.MODE_OFFSET;
import static org.softclan.vmmc.stream.StreamControlDescriptor.POSTED;
import static org.softclan.vmmc.stream.StreamControlDescriptor.POST_BUFFER_OFFSET;
import static org.softclan.vmmc.stream.StreamControlDescriptor.POST_CAPACITY_OFFSET;
import static org.softclan.vmmc.stream.StreamControlDescriptor.POST_SLOTS;
import static org.softclan.vmmc.stream.StreamControlDescriptor.POST_STATE_OFFSET;
import static org.softclan.vmmc.stream.StreamControlDescriptor.RECEIVER_TAKEN;
import static org.softclan.vmmc.stream.StreamControlDescriptor.postSlotOffset;
import static org.softclan.vmmc.stream.StreamControlDescriptor.postState;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

import net.openhft.chronicle.bytes.BytesStore;
import org.softclan.dsm.ClosedException;
import org.softclan.dsm.DsmException;
import org.softclan.dsm.InboundMapping;

/**
 * The receive side of posting: this end's receive technique, its deposit region (exported on first
 * use) with its {@link DepositAllocator}, and the buffers it posted, which it publishes in the post
 * table of the peer's control area ({@link StreamControlDescriptor}) and which the peer's sends fill in
 * the order posted. It also checks the peer's DEPOSIT notices against those posts (the notice is the
 * peer's word) and, for {@link ReceiveTechnique#REDIRECTION}, copies ring bytes into posts the sender
 * did not take.
 *
 * <p><b>Lock</b>: the post lock guards every field but the receive technique and the counters. It is
 * taken by the reading thread (inside the stream's read lock: read lock, then post lock), by callers of
 * {@link ByteStream#post}, by {@link PostedBuffer#release()} on any thread, and by close's last step;
 * nothing is called under it that takes another of the stream's locks.
 *
 * <p><b>Memory order</b>: a post's buffer offset and capacity are plain stores into the peer's
 * control area, then its state is an ordered (release) store, so the peer that reads the state with
 * acquire sees the buffer it describes. Taking a post back for the ring path is a CAS on its state
 * (the sender competes for it with its own CAS). The receive mode and the deposit-ready flag are
 * ordered stores after the words they publish.
 */
final class PostTable {
    /** Posts {@link ByteStream#read} keeps outstanding in {@link ReceiveTechnique#PRE_POSTED} mode. */
    static final int INTERNAL_POSTS = 2;
    private static final SecureRandom KEYS = new SecureRandom();

    private final StreamEnd end;
    private final ByteStream stream;
    private final Object postLock = new Object();
    private volatile ReceiveTechnique receiveTechnique = ReceiveTechnique.BUFFERED;

    /** Size of the deposit region, in bytes ({@link ByteStreamContext#depositCapacity}). */
    private final int depositCapacity;
    /** Size of the buffers {@link ByteStream#read} posts itself ({@link ByteStreamContext#internalPostSize}). */
    private final int internalPostSize;

    // guarded by postLock
    private InboundMapping deposit;
    private BytesStore<?, Void> depositBytes;
    /** Whether this table holds the deposit region's memory ({@link org.softclan.dsm.Mapping#retain()}). */
    private boolean depositHeld;
    private DepositAllocator allocator;
    private long postSeq = 1;
    private final PostedBuffer[] posts = new PostedBuffer[POST_SLOTS];
    private final ArrayDeque<PostedBuffer> unfilled = new ArrayDeque<>();
    private int internalOutstanding;

    private final AtomicLong deliveredDirect = new AtomicLong();
    private final AtomicLong deliveredCopied = new AtomicLong();

    /**
     * @param end    the stream's shared state
     * @param stream the stream the posted buffers belong to
     * @param ctx    the stream's settings (the deposit capacity and internal post size are taken from it)
     */
    PostTable(final StreamEnd end, final ByteStream stream, final ByteStreamContext ctx) {
        this.end = end;
        this.stream = stream;
        this.depositCapacity = ctx.depositCapacity;
        this.internalPostSize = ctx.internalPostSize;
    }

    /** {@return this end's receive technique (volatile read)} */
    ReceiveTechnique receiveTechnique() {
        return receiveTechnique;
    }

    /**
     * Sets how this end receives ({@link ByteStreamContext#receiveTechnique}; once, when the stream is
     * made), exporting the deposit region first for the posting modes, then publishes the mode word to
     * the peer (ordered store) and nudges it. Holds the post lock.
     *
     * @param technique how this end receives from now on
     * @throws NullPointerException if {@code technique} is {@code null}
     */
    void receiveTechnique(final ReceiveTechnique technique) {
        Objects.requireNonNull(technique, "technique");
        synchronized (postLock) {
            if (technique != ReceiveTechnique.BUFFERED) {
                ensureDeposit();
            }
            this.receiveTechnique = technique;
            try {
                end.tx.putLongRelease(MODE_OFFSET, technique.ordinal() + 1L);
                end.connection.nudgePeer();
            } catch (final DsmException gone) {
                // the peer is gone: nothing will be sent to adapt
            }
        }
    }

    /** {@return the number of posted buffers filled by the sender's deposit} */
    long deliveredDirect() {
        return deliveredDirect.get();
    }

    /** {@return the number of posted buffers filled from the ring by a copy on delivery} */
    long deliveredCopied() {
        return deliveredCopied.get();
    }

    /**
     * Posts a buffer of {@code capacity} bytes: allocates it in the deposit region, then writes its slot
     * of the post table (offset and capacity plain, state ordered) and nudges the peer. Holds the post
     * lock.
     *
     * @param capacity bytes of the buffer
     * @param internal whether {@link ByteStream#read} posts it for itself
     * @return the posted buffer
     * @throws IllegalStateException    if the table or the deposit region is full
     * @throws IllegalArgumentException if {@code capacity} is not positive
     * @throws ClosedException          if the stream is closed
     */
    PostedBuffer post(final int capacity, final boolean internal) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("posted buffer capacity " + capacity + " must be positive");
        }
        synchronized (postLock) {
            if (end.closed) {
                throw new ClosedException(end + " is closed");
            }
            ensureDeposit();
            final long seq = postSeq;
            final PostedBuffer old = posts[(int) (seq % POST_SLOTS)];
            if (old != null && !old.isFilled()) {
                throw new IllegalStateException(end + ": " + POST_SLOTS + " posted buffers are unfilled;"
                    + " wait for one before posting more");
            }
            if (DepositAllocator.aligned(capacity) > depositCapacity) {
                throw new IllegalArgumentException(end + ": posted buffer capacity " + capacity + " bytes exceeds the"
                    + " deposit region's " + depositCapacity + " bytes; post smaller buffers or raise depositCapacity");
            }
            final long at = allocator.allocate(capacity);
            if (at < 0) {
                throw new IllegalStateException(end + ": the deposit region (" + depositCapacity
                    + " bytes) has no free range of " + capacity + " bytes; release filled buffers");
            }
            final PostedBuffer p = new PostedBuffer(stream, seq, at, capacity, internal, depositBytes);
            posts[(int) (seq % POST_SLOTS)] = p;
            unfilled.addLast(p);
            if (internal) {
                internalOutstanding++;
            }
            postSeq++;
            final long slot = postSlotOffset(seq);
            try {
                end.tx.putLong(slot + POST_BUFFER_OFFSET, at);
                end.tx.putLong(slot + POST_CAPACITY_OFFSET, capacity);
                end.tx.putLongRelease(slot + POST_STATE_OFFSET, postState(seq, POSTED));
                end.connection.nudgePeer();
            } catch (final DsmException peerGone) {
                // nobody will fill it: awaitFilled reports the end of the stream or the peer's departure
            }
            return p;
        }
    }

    /**
     * Tops the posts {@link ByteStream#read} makes for itself up to {@value #INTERNAL_POSTS}
     * while the table and the deposit region have room; the reading thread calls it (holding the read
     * lock, before the end of the stream), and it holds the post lock.
     */
    void ensureInternalPosts() {
        synchronized (postLock) {
            while (internalOutstanding < INTERNAL_POSTS) {
                final PostedBuffer old = posts[(int) (postSeq % POST_SLOTS)];
                if (old != null && !old.isFilled()) {
                    return;
                }
                if (allocatorProbe(internalPostSize) < 0) {
                    return;
                }
                post(internalPostSize, true);
            }
        }
    }

    /** {@link DepositAllocator#probe}, or -1 before the export (no range is free); called holding the post lock. */
    private long allocatorProbe(final int size) {
        return allocator == null ? -1 : allocator.probe(size);
    }

    /**
     * Exports the deposit region and tells the peer where it is: key and name plain, then the ready flag
     * ordered; called holding the post lock.
     */
    private void ensureDeposit() {
        if (deposit != null) {
            return;
        }
        final long key = KEYS.nextLong();
        deposit = end.endpoint.exportInternal(end.rx.regionName() + "-dep", depositCapacity, key, 0);
        depositHeld = deposit.retain();   // posted buffers read it raw: mapped until closeDeposit, whoever closes it
        depositBytes = deposit.localBytes();
        allocator = new DepositAllocator(depositCapacity);
        final byte[] name = deposit.regionName().getBytes(StandardCharsets.UTF_8);
        try {
            end.tx.putLong(DEPOSIT_KEY_OFFSET, key);
            end.tx.putInt(DEPOSIT_NAME_OFFSET, name.length);
            end.tx.put(DEPOSIT_NAME_BYTES_OFFSET, name);
            end.tx.putLongRelease(DEPOSIT_READY_OFFSET, 1);
        } catch (final DsmException peerGone) {
            // nothing will be deposited; reads report the end of the stream or the peer's departure
        }
    }

    /**
     * Returns a released buffer's range to the deposit region (nothing once the stream is closed).
     * Holds the post lock.
     *
     * @param p the released buffer
     */
    void freeDeposit(final PostedBuffer p) {
        synchronized (postLock) {
            if (deposit == null || end.closed) {
                return;
            }
            allocator.free(p.offset, p.capacity);
        }
    }

    /**
     * {@link ReceiveTechnique#REDIRECTION}: copies ring bytes into the oldest posts the sender did not
     * take, taking each from the sender first by a CAS of its state (POSTED to RECEIVER_TAKEN); a post
     * the sender took ends the copy (its deposit comes later in the stream). The reading thread calls it;
     * holds the post lock.
     *
     * @return the bytes used
     */
    int copyIntoPosts(final BytesStore<?, ?> store, final long offset, final int n, final boolean last) {
        int used = 0;
        synchronized (postLock) {
            while (used < n) {
                final PostedBuffer p = unfilled.peekFirst();
                if (p == null || p.internal) {
                    break;
                }
                if (!p.receiverTaken) {
                    final long slot = postSlotOffset(p.seq);
                    try {
                        p.receiverTaken = end.tx.compareAndSetLong(slot + POST_STATE_OFFSET, postState(p.seq, POSTED),
                            postState(p.seq, RECEIVER_TAKEN));
                    } catch (final DsmException gone) {
                        break;
                    }
                    if (!p.receiverTaken) {
                        break;   // the sender took it: its deposit comes later in the stream, so these bytes go to read
                    }
                }
                final int k = Math.min(n - used, p.capacity - p.length);
                depositBytes.write(p.offset + p.length, store, offset + used, k);
                p.length += k;
                used += k;
                if (p.length == p.capacity || (last && used == n)) {
                    unfilled.pollFirst();
                    p.fill(p.length, false);
                    deliveredCopied.incrementAndGet();
                }
            }
        }
        return used;
    }

    /**
     * A DEPOSIT notice: the peer says it deposited {@code bytes} into post {@code seq}. Both are the
     * peer's words: the post must be the one a sender deposits into next (the oldest unfilled post this
     * end did not take itself: posts are filled in the order posted) and the bytes must fit it; else the
     * violation is recorded and nothing is filled. Holds the post lock.
     *
     * @return the post filled, or {@code null} if the notice broke the protocol
     */
    PostedBuffer onDeposit(final long seq, final long bytes) {
        synchronized (postLock) {
            PostedBuffer next = null;
            for (final PostedBuffer u : unfilled) {
                if (!u.receiverTaken) {
                    next = u;
                    break;
                }
            }
            if (next == null) {
                end.violation("DEPOSIT frame", "post sequence", seq, "no posted buffer awaits a deposit (posts made so far: "
                    + (postSeq - 1) + ")");
                return null;
            }
            if (seq != next.seq) {
                end.violation("DEPOSIT frame", "post sequence", seq, "the next post a deposit may fill is #" + next.seq
                    + " (posts are filled in the order posted)");
                return null;
            }
            if (bytes < 1 || bytes > next.capacity) {
                end.violation("DEPOSIT frame", "byte count for post #" + seq, bytes, "a deposit fills 1 to "
                    + next.capacity + " bytes, the posted buffer's capacity");
                return null;
            }
            final PostedBuffer p = next;
            unfilled.remove(p);
            p.fill((int) bytes, true);
            if (p.internal) {
                internalOutstanding--;
            }
            deliveredDirect.incrementAndGet();
            return p;
        }
    }

    /** Closes the deposit region if it was exported; close's last step. Holds the post lock. */
    void closeDeposit() {
        synchronized (postLock) {
            if (deposit != null) {
                deposit.close();
                if (depositHeld) {
                    depositHeld = false;
                    deposit.release();
                }
            }
        }
    }

    @Override
    public String toString() {
        return "post table of " + end;
    }
}
