package org.softclan.vmmc;

import static org.softclan.vmmc.ReceiveRegionDescriptor.EAGER_PUBLISH_OFFSET;
import static org.softclan.vmmc.ReceiveRegionDescriptor.PEER_READ_POINTER_OFFSET;
import static org.softclan.vmmc.ReceiveRegionDescriptor.READ_POSITION_OFFSET;
import static org.softclan.vmmc.ReceiveRegionDescriptor.ROOM_WANTED_OFFSET;

import org.softclan.dsm.ClosedException;
import org.softclan.dsm.OutboundMapping;
import org.softclan.dsm.SharedMemory;
import org.softclan.dsm.StaleRegionException;
import org.softclan.tripwire.os.Membarrier;

/**
 * The lazy read-position protocol of a connection's ring: how a sender learns how far its peer has read
 * without the receiver storing into the sender's memory after every message.
 *
 * <p><b>Why.</b> A receiver that stored its read position into the sender's memory (a remote store,
 * which fires the sender's space tripwire) on every drained poll would add a store, and with waiting
 * senders a wake-up, to every message's round trip. Instead the receiver publishes remotely only every
 * quarter of the ring, and otherwise leaves a drained ring's position in its own memory, where a
 * sender that runs short of room goes to read it.
 *
 * <p><b>Protocol.</b> The words are in the receive region of the receiving end ({@link ReceiveRegionDescriptor}):
 * <pre>
 *  word (offset)                 written by            read by
 *  peer read pointer (64)        the receiver, into    the sender, in its own memory: its first look
 *                                the SENDER's region
 *  read position (448)           the receiver, in its  the sender, remotely: its second look
 *                                own region
 *  room wanted (456)             the sender, bumped    the receiver, after each drained poll's store
 *  eager publish (464)           a DMA sender, once    the receiver, on each drained poll
 * </pre>
 * <ol>
 *   <li>The receiver, after a poll, publishes the bound (its read position, or the oldest held record):
 *       remotely (peer read pointer, and the read position too) once a quarter of the ring was consumed
 *       since the last remote publication; else, when the ring is drained, into the read position only,
 *       then reads room wanted, and if it changed since it last answered, publishes remotely after all.
 *       A receiver publishes remotely on every drained poll when eager publish is set or when this process
 *       could not register for {@link Membarrier} (see Fallback).</li>
 *   <li>The sender looks at the peer read pointer in its own memory; short of room, reads the read
 *       position in the receiver's memory; still short, bumps room wanted, issues
 *       {@link Membarrier#globalBarrier()}, and reads the read position again; still short, it waits on its
 *       space tripwire (over the peer read pointer) and asks again whenever the pointer moves without
 *       making room.</li>
 * </ol>
 *
 * <p><b>The race that matters</b> is a drained receiver and a sender short of room:
 * <pre>
 *   receiver                               sender
 *   store read position (release)          store room wanted (release)
 *   load room wanted                       membarrier (a full barrier on every CPU running this process
 *                                          and every other registered one: the receiver's thread too)
 *                                          load read position
 * </pre>
 * Without a store-load barrier on both sides each could miss the other's store (the receiver sees no
 * request, the sender sees the old position) and the sender would wait for a publication nobody makes.
 * The receiver pays no fence: the sender's global barrier orders the receiver's store before its load
 * wherever the receiver runs, so either the receiver's load sees the request (and it publishes remotely,
 * waking the sender) or the sender's load sees the position.
 *
 * <p><b>Memory order.</b> Every store of the protocol is a release store (a position is published after
 * the handlers that consumed the records have returned, so the sender never overwrites bytes still being
 * read); every load is a volatile load. The remote store of the peer read pointer fires the sender's
 * space tripwire, which wakes a waiting sender.
 *
 * <p><b>Fallback.</b> Where {@link Membarrier#registerGlobalExpedited()} fails (not Linux, an old
 * kernel, a seccomp filter), a receiver cannot rely on its senders' barriers and publishes remotely on
 * every drained poll: correct, one remote store per drained poll slower.
 *
 * <p><b>Across hosts.</b> A sender of another host ({@link OutboundMapping#isRemote()}) reaches this host's
 * memory through its agent, whose stores and loads the sender's barrier does not order against this
 * receiver's CPU (the barrier runs on the sender's host), and its second look would be a round trip over the
 * network: a receiver whose peer is of another host publishes remotely on every drained poll, as in the
 * fallback (one one-way message per drained poll).
 *
 * <p><b>DMA senders.</b> A sender whose stores go through a DMA engine cannot read the receiver's memory
 * without waiting for the engine's earlier transfers; before its first DMA send it sets eager publish
 * (then barrier, then one read of the read position) and from then on looks only at the peer read pointer
 * the receiver publishes on every drained poll.
 *
 * <p><b>Trust.</b> Every position the receiver gives is checked by the sender: between 0 and what it has
 * written ({@link RingSender}); a receiver that lies can only stall its own sender or break the connection
 * with a {@link PeerProtocolException}.
 *
 * <p>This class holds the receiver's half (one instance per {@link RingReceiver}, used by its receiving
 * thread or under its holds' lock) and the sender's two requests; the sender's room arithmetic is in
 * {@link RingSender}. No method allocates.
 */
final class LazyReadPosition {
    /** Whether a drained ring's position may stay in the receiver's memory: this process registered for membarrier. */
    static final boolean LAZY = Membarrier.registerGlobalExpedited();

    private final SharedMemory local;
    private final OutboundMapping tx;
    /** Bytes published remotely at least every this many consumed: a quarter of the ring. */
    private final int quarter;
    /** The bound last stored into the sender's memory. */
    private long publishedRemote;
    /** The room-wanted count this receiver last answered. */
    private long roomSeen;
    /** Whether the sender is of another host: then every drained poll publishes remotely (see Across hosts). */
    private final boolean remotePeer;

    /**
     * @param local    this end's receive region (the read position, room wanted and eager publish words)
     * @param tx       the outbound mapping of the sender's receive region (the peer read pointer word)
     * @param capacity this end's ring capacity, in bytes
     */
    LazyReadPosition(final SharedMemory local, final OutboundMapping tx, final int capacity) {
        this.local = local;
        this.tx = tx;
        this.quarter = capacity / 4;
        this.remotePeer = tx.isRemote();
    }

    /**
     * The receiver's step: publishes {@code bound} (bytes of the ring the sender may reuse) as the protocol
     * says. Called after every poll that consumed something, and after a release of a held record.
     *
     * @param bound   the read position, or the start of the oldest held record
     * @param drained whether the ring had nothing more to read
     */
    void publish(final long bound, final boolean drained) {
        if (bound <= publishedRemote) {
            return;
        }
        if (bound - publishedRemote >= quarter
            || drained && (!LAZY || remotePeer || local.getLongVolatile(EAGER_PUBLISH_OFFSET) != 0)) {
            publishRemote(bound);
        } else if (drained) {
            local.putLongRelease(READ_POSITION_OFFSET, bound);
            final long wanted = local.getLongVolatile(ROOM_WANTED_OFFSET);
            if (wanted != roomSeen) {
                roomSeen = wanted;
                publishRemote(bound);
            }
        }
    }

    private void publishRemote(final long bound) {
        publishedRemote = bound;
        local.putLongRelease(READ_POSITION_OFFSET, bound);
        try {
            tx.putLongRelease(PEER_READ_POINTER_OFFSET, bound);   // the sender's space tripwire fires here
        } catch (final StaleRegionException | ClosedException peerGone) {
            // the sender closed after sending: what it sent is still delivered
        }
    }

    /**
     * The sender's request for room: bumps room wanted in the receiver's memory (release), then a global
     * barrier. The caller then reads the read position again.
     *
     * @param tx      the outbound mapping of the receiver's region
     * @param request the new count (one more than the last)
     * @throws StaleRegionException if the receiver's region went away
     */
    static void askForRoom(final OutboundMapping tx, final long request) {
        tx.putLongRelease(ROOM_WANTED_OFFSET, request);
        Membarrier.globalBarrier();
    }

    /**
     * A DMA sender's request, before its first send, that every drained poll publish remotely: sets eager
     * publish (release), then a global barrier. The caller then reads the read position once.
     *
     * @param tx the outbound mapping of the receiver's region
     * @throws StaleRegionException if the receiver's region went away
     */
    static void askEagerPublish(final OutboundMapping tx) {
        tx.putLongRelease(EAGER_PUBLISH_OFFSET, 1);
        Membarrier.globalBarrier();
    }
}
