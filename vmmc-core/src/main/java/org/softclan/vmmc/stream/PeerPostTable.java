package org.softclan.vmmc.stream;

import static org.softclan.vmmc.stream.StreamControlDescriptor.DEPOSIT_ALIGN;
import static org.softclan.vmmc.stream.StreamControlDescriptor.DEPOSIT_KEY_OFFSET;
import static org.softclan.vmmc.stream.StreamControlDescriptor.DEPOSIT_NAME_BYTES_OFFSET;
import static org.softclan.vmmc.stream.StreamControlDescriptor.DEPOSIT_NAME_OFFSET;
import static org.softclan.vmmc.stream.StreamControlDescriptor.DEPOSIT_READY_OFFSET;
import static org.softclan.vmmc.stream.StreamControlDescriptor.MAX_DEPOSIT_NAME;
import static org.softclan.vmmc.stream.StreamControlDescriptor.MODE_OFFSET;
import static org.softclan.vmmc.stream.StreamControlDescriptor.POSTED;
import static org.softclan.vmmc.stream.StreamControlDescriptor.POST_BUFFER_OFFSET;
import static org.softclan.vmmc.stream.StreamControlDescriptor.POST_CAPACITY_OFFSET;
import static org.softclan.vmmc.stream.StreamControlDescriptor.POST_SLOTS;
import static org.softclan.vmmc.stream.StreamControlDescriptor.POST_STATE_OFFSET;
import static org.softclan.vmmc.stream.StreamControlDescriptor.SENDER_TAKEN;
import static org.softclan.vmmc.stream.StreamControlDescriptor.postSlotOffset;
import static org.softclan.vmmc.stream.StreamControlDescriptor.postState;

import java.io.IOException;
import java.nio.channels.AsynchronousCloseException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.softclan.dsm.NoSuchRegionException;
import org.softclan.dsm.OutboundMapping;
import org.softclan.dsm.RegionAccessException;
import org.softclan.dsm.RegionFormatException;

/**
 * The sender's view of the peer's posts: the control area and post table the peer writes into this
 * end's receive region ({@link StreamControlDescriptor}), and the peer's deposit region. Every word of
 * it is the peer's: the receive mode, the deposit-ready flag, the deposit region's name, each slot's
 * state, offset and capacity are read once and checked before use; a bad word records a protocol
 * violation ({@link StreamEnd#violation}) and fails the write with {@link StreamPeerGoneException}.
 *
 * <p><b>Lock</b>: everything here is the writer's, guarded by the write lock ({@link StreamWriter}).
 *
 * <p><b>Memory order</b>: the mode, the ready flag and each slot's state are volatile (acquire) reads;
 * a slot's offset and capacity are plain reads after the acquire of its state; taking a post and
 * giving it back are CASes of its state.
 */
final class PeerPostTable {
    /** Slots {@link #peek} looks at, at most, before it calls the post table inconsistent. */
    private static final int POST_SCAN_LIMIT = 4 * POST_SLOTS;

    private final StreamEnd end;
    private final StreamWriter writer;
    private OutboundMapping peerDeposit;
    private long nextPeerPost = 1;
    private final AtomicLong depositsSent = new AtomicLong();
    /** Stream bytes sent in DATA frames: the receiver can fill at most that many posts from the ring. */
    private long ringBytesSent;

    // the post last inspected: its sequence, offset in the peer's deposit region and capacity, checked
    private long offeredSeq;
    private long offeredAt;
    private long offeredCapacity;

    /**
     * @param end    the stream's shared state
     * @param writer the writer whose blocked time a wait for a post adds to
     */
    PeerPostTable(final StreamEnd end, final StreamWriter writer) {
        this.end = end;
        this.writer = writer;
    }

    /** {@return the number of sends this end deposited straight into buffers the peer posted} */
    long depositsSent() {
        return depositsSent.get();
    }

    /** Counts a deposit sent (its DEPOSIT notice committed). */
    void countDeposit() {
        depositsSent.incrementAndGet();
    }

    /** Counts stream bytes sent in a DATA frame through the ring. */
    void countRingBytes(final int n) {
        ringBytesSent += n;
    }

    /** @return the peer's receive mode word (0 not set, else {@link ReceiveTechnique#ordinal()} + 1), checked */
    long checkedMode() throws StreamPeerGoneException {
        final long mode = end.rx.getLongAcquire(MODE_OFFSET);
        if (mode < 0 || mode > ReceiveTechnique.values().length) {
            throw end.violation("control area", "receive mode (offset " + MODE_OFFSET + ")", mode,
                "0 (not set) or 1 to " + ReceiveTechnique.values().length + " (a receive technique)");
        }
        return mode;
    }

    /**
     * Reads and checks the offset and capacity of the post whose slot state is {@code state} (plain
     * reads after the state's acquire), importing the peer's deposit region on first use; they are then
     * {@link #offeredSeq()}, {@link #offeredAt()} and {@link #offeredCapacity()}.
     *
     * @param state a state {@link #peek} or {@link #await} returned
     * @return the peer's deposit region
     * @throws StreamPeerGoneException if the peer wrote a capacity or offset outside its deposit region
     */
    OutboundMapping inspect(final long state) throws StreamPeerGoneException {
        final long seq = state >>> 2;
        final long slot = postSlotOffset(seq);
        // the peer's words, each read once and checked before use
        final long capacity = end.rx.getLong(slot + POST_CAPACITY_OFFSET);
        final long at = end.rx.getLong(slot + POST_BUFFER_OFFSET);
        final OutboundMapping dst = peerDeposit();
        if (capacity < 1 || capacity > Math.min(Integer.MAX_VALUE, dst.size())) {
            throw end.violation("post table", "capacity of post #" + seq + " (offset " + (slot + POST_CAPACITY_OFFSET) + ")",
                capacity, "a posted buffer holds 1 to " + Math.min(Integer.MAX_VALUE, dst.size())
                    + " bytes (the deposit region '" + dst.regionName() + "' has " + dst.size() + ")");
        }
        if (at < 0 || (at & (DEPOSIT_ALIGN - 1)) != 0 || at > dst.size() - capacity) {
            throw end.violation("post table", "offset of post #" + seq + " (offset " + (slot + POST_BUFFER_OFFSET) + ")", at,
                "a posted buffer of " + capacity + " bytes starts at a multiple of " + DEPOSIT_ALIGN
                    + " from 0 to " + (dst.size() - capacity) + " in the deposit region '"
                    + dst.regionName() + "' of " + dst.size() + " bytes");
        }
        offeredSeq = seq;
        offeredAt = at;
        offeredCapacity = capacity;
        return dst;
    }

    /** {@return the sequence number of the post last inspected} */
    long offeredSeq() {
        return offeredSeq;
    }

    /** {@return the offset in the peer's deposit region of the post last inspected, checked} */
    long offeredAt() {
        return offeredAt;
    }

    /** {@return the capacity of the post last inspected, checked} */
    long offeredCapacity() {
        return offeredCapacity;
    }

    /**
     * Takes the post last inspected for a deposit: a CAS of its state from {@code state} to SENDER_TAKEN.
     *
     * @param state the state {@link #inspect} was given
     * @return whether this end took it (else the receiver took it back meanwhile)
     */
    boolean tryTake(final long state) {
        final long seq = state >>> 2;
        if (end.rx.compareAndSetLong(postSlotOffset(seq) + POST_STATE_OFFSET, state, postState(seq, SENDER_TAKEN))) {
            nextPeerPost = seq + 1;
            return true;
        }
        return false;
    }

    /** Gives post {@code seq} back (nothing was written into it): a CAS of its state from SENDER_TAKEN to POSTED. */
    void giveBack(final long seq) {
        end.rx.compareAndSetLong(postSlotOffset(seq) + POST_STATE_OFFSET, postState(seq, SENDER_TAKEN),
            postState(seq, POSTED));
        nextPeerPost = seq;
    }

    /**
     * The peer's deposit region, imported on first use from the name and key the peer wrote into the
     * control area: the name must be of bounded length and name the peer's own deposit region (its
     * receive region's name + "-dep"), so a peer cannot point this end's stores at another region.
     */
    OutboundMapping peerDeposit() throws StreamPeerGoneException {
        if (peerDeposit == null) {
            final int len = end.rx.getInt(DEPOSIT_NAME_OFFSET);
            if (len < 1 || len > MAX_DEPOSIT_NAME) {
                throw end.violation("control area", "deposit region name length (offset " + DEPOSIT_NAME_OFFSET + ")", len,
                    "a region name has 1 to " + MAX_DEPOSIT_NAME + " bytes");
            }
            final byte[] bytes = new byte[len];
            end.rx.get(DEPOSIT_NAME_BYTES_OFFSET, bytes, 0, len);
            final String name = new String(bytes, StandardCharsets.UTF_8);
            // the peer's ring as this end imports it: NAME, or NAME@HOST for a peer of another host, whose
            // deposit region is then NAME-dep on that host
            final String ring = end.tx.regionName();
            final int at = ring.lastIndexOf('@');
            final String expected = (at < 0 ? ring : ring.substring(0, at)) + "-dep";
            if (!name.equals(expected)) {
                throw end.violation("control area", "deposit region name (offset " + DEPOSIT_NAME_BYTES_OFFSET + ")",
                    "'" + name + "'", "the peer deposits into its own region '" + expected + "'");
            }
            try {
                peerDeposit = end.endpoint.importRegion(at < 0 ? name : name + ring.substring(at),
                    end.rx.getLong(DEPOSIT_KEY_OFFSET));
            } catch (final NoSuchRegionException | RegionAccessException | RegionFormatException e) {
                if (end.connection.peerClosed() || !end.tx.isValid() || !end.tx.ownerAlive()) {
                    throw new StreamPeerGoneException(end + ": cannot write: the peer is gone (" + e.getMessage()
                        + ")", StreamEnd.gone(e));
                }
                throw end.violation("control area", "deposit region (name '" + name + "', key at offset " + DEPOSIT_KEY_OFFSET
                    + ")", "not importable: " + e.getMessage(), "the peer announces a region it exported");
            }
        }
        return peerDeposit;
    }

    /** {@return the peer's deposit region if it was imported, else {@code null}} */
    OutboundMapping importedDeposit() {
        return peerDeposit;
    }

    /**
     * The slot state of the next post the peer made that the sender may take, or -1. Every state word is
     * checked: a known state, the sequence of the slot it is in, never a post this end took and has not
     * sent past, and no further ahead than the posts the peer can have filled (each filled post took a
     * deposit or at least one byte of a DATA frame). The scan skips posts the receiver filled itself,
     * jumping over whole table generations, so it looks at a bounded number of slots.
     */
    long peek() throws StreamPeerGoneException {
        final long ready = end.rx.getLongAcquire(DEPOSIT_READY_OFFSET);
        if (ready != 0 && ready != 1) {
            throw end.violation("control area", "deposit ready flag (offset " + DEPOSIT_READY_OFFSET + ")", ready, "it is 0 or 1");
        }
        if (ready == 0) {
            return -1;
        }
        // posts numbered 1.., each filled before its slot is reused: at most that many are made
        final long mostPosts = depositsSent.get() + ringBytesSent + POST_SLOTS;
        for (int step = 0; step < POST_SCAN_LIMIT; step++) {
            final long slot = postSlotOffset(nextPeerPost);
            final long state = end.rx.getLongAcquire(slot + POST_STATE_OFFSET);
            if (state == 0) {
                return -1;
            }
            final long seq = state >>> 2;
            final long kind = state & 3;
            if (kind == 0 || seq == 0 || seq % POST_SLOTS != nextPeerPost % POST_SLOTS || seq > mostPosts) {
                throw end.violation("post table", "state of slot " + nextPeerPost % POST_SLOTS + " (offset " + slot + ")",
                    state, "it is seq << 2 | 1, 2 or 3 with seq of the slot (seq % " + POST_SLOTS + " = "
                        + nextPeerPost % POST_SLOTS + ") from 1 to " + mostPosts + " (posts the peer can have made)");
            }
            if (seq < nextPeerPost) {
                return -1;   // an old post: the peer has not posted the next one yet
            }
            if (kind == SENDER_TAKEN) {
                throw end.violation("post table", "state of slot " + nextPeerPost % POST_SLOTS + " (offset " + slot + ")",
                    state, "it marks post #" + seq + " taken by this end, which has taken posts up to #"
                        + (nextPeerPost - 1) + " only");
            }
            if (seq == nextPeerPost) {
                if (kind == POSTED) {
                    return state;
                }
                nextPeerPost++;   // the receiver filled it from the ring
            } else {
                // the slot was reused: post seq - POST_SLOTS was filled, and every post before it (posts are filled
                // in order); the next this end may take is at least seq - POST_SLOTS + 1
                nextPeerPost = Math.max(nextPeerPost + 1, seq - POST_SLOTS + 1);
            }
        }
        throw end.violation("post table", "scan from post #" + nextPeerPost, POST_SCAN_LIMIT + " slots",
            "a consistent table yields the next post within " + POST_SCAN_LIMIT + " slots");
    }

    /**
     * Waits in slices for the peer to post (it receives pre-posted), adding the time waited to the
     * writer's blocked time.
     *
     * @return the state {@link #peek} found
     * @throws StreamTimeoutException     if the timeout passed first (nothing was sent)
     * @throws AsynchronousCloseException if the stream was closed meanwhile
     */
    long await(final long begin, final long timeout) throws IOException {
        long state = peek();
        if (state != -1) {
            return state;
        }
        final long waitStart = System.nanoTime();
        try {
            while ((state = peek()) == -1) {
                if (end.closed) {
                    throw new AsynchronousCloseException();
                }
                long slice = StreamEnd.SLICE_NANOS;
                if (timeout > 0) {
                    final long left = timeout - (System.nanoTime() - begin);
                    if (left <= 0) {
                        throw new StreamTimeoutException(end + ": no buffer was posted by the peer (it receives"
                            + " pre-posted) within the write timeout of " + TimeUnit.NANOSECONDS.toMillis(timeout)
                            + " ms; nothing was sent", 0);
                    }
                    slice = Math.min(slice, left);
                }
                end.connection.await(this::postedOrBroken, slice);
            }
            return state;
        } finally {
            writer.addBlocked(System.nanoTime() - waitStart);
        }
    }

    /** For a wait: whether the peer posted (or broke the post table: the next look reports it). */
    private boolean postedOrBroken() {
        try {
            return peek() != -1;
        } catch (final StreamPeerGoneException broken) {
            return true;
        }
    }

    @Override
    public String toString() {
        return "peer post table of " + end;
    }
}
