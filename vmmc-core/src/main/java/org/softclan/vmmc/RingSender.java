package org.softclan.vmmc;

import static org.softclan.vmmc.ReceiveRegionDescriptor.*;

import java.util.concurrent.TimeUnit;

import org.softclan.dsm.DmaMode;
import org.softclan.dsm.DmaIssuer;
import org.softclan.dsm.DmaTransfer;
import org.softclan.dsm.InboundMapping;
import org.softclan.dsm.OutboundMapping;
import org.softclan.dsm.SharedMemory;
import org.softclan.dsm.StaleRegionException;
import org.softclan.tripwire.TripwireUnit;
import org.softclan.tripwire.WaitStrategy;

/**
 * The sending role of a {@link Connection}: claims records in the peer's ring, writes their headers (and
 * wrap markers), publishes them by storing the peer's write pointer, and waits for room. Used by the
 * connection's one sending thread. Its {@code enter*} methods enter the connection's close gate in the
 * sending role and the {@code *AndLeave} methods leave it (a claim keeps the role until its commit, its
 * batch's commit or its abandonment); every other method runs inside the gate, so nothing here runs on
 * unmapped memory.
 *
 * <p><b>Knowing the room</b>: the sender keeps a shadow of how far the peer has read, refreshed as the
 * sender's half of {@link LazyReadPosition} says: the peer read pointer in this end's memory first, then
 * the read position in the peer's memory (never for a DMA sender, nor for a peer of another host, whose
 * receiver publishes into this end's memory as it drains), then a request for room and a wait.
 * Every read pointer the peer gives is checked: between 0 and what this end has written.
 */
final class RingSender {
    private final Connection connection;
    /** The connection's liveness checks and the reports of the peer's faults. */
    private final ConnectionHealth health;
    private final InboundMapping rx;
    private final OutboundMapping tx;
    /** This end's receive region, read and written here without the NIC (it is this end's memory). */
    private final SharedMemory local;
    private final int peerCapacity;
    private final WaitStrategy strategy;
    private final TripwireUnit unit;

    /** Bytes written into the peer's ring (records and wrap markers), published or not. */
    private long writePos;
    /** Sends that waited for room (the sending thread's; read racily for statistics). */
    long roomWaits;
    /**
     * Bytes the peer's write pointer says were written (the last publish): less than {@link #writePos} while
     * records committed as a batch ({@link #commitBatched}) wait for {@link #publish}.
     */
    private long publishedPos;
    /** How far the peer has read, as this end last learned it; at most {@link #writePos}. */
    private long shadowPeerRead;
    /** Payload bytes of the open claim, or -1. */
    private int claimed = -1;
    /** Requests for room this end made of its peer. */
    private long roomRequests;
    /** The published read pointer when {@link #roomOrAsk} last asked for room. */
    private long askedAt = -1;
    /** Whether this end has told its peer it sends by DMA. */
    private boolean eagerAsked;
    /**
     * Whether the peer is of another host: its receiver then publishes its read position into this end's
     * memory on every drained poll and every quarter ring ({@link LazyReadPosition}), so this end never
     * reads the peer's position nor asks for room (each would be a network round trip or message).
     */
    private final boolean remotePeer;

    RingSender(final Connection connection, final ConnectionHealth health, final InboundMapping rx,
               final OutboundMapping tx, final int peerCapacity, final WaitStrategy strategy, final TripwireUnit unit) {
        this.connection = connection;
        this.health = health;
        this.rx = rx;
        this.tx = tx;
        this.local = SharedMemory.of(rx, 0, rx.size());
        this.peerCapacity = peerCapacity;
        this.remotePeer = tx.isRemote();
        this.strategy = strategy;
        this.unit = unit;
    }

    // ------------------------------------------------------------- entered through the connection's gate

    /**
     * Enters the connection's sending role, claims (see {@link #claim}) and keeps the role until the claim's
     * commit, or leaves it at once if nothing was claimed.
     *
     * @return the payload's offset, or {@link Connection#BACK_PRESSURED} ({@code timeoutNanos}
     *         {@link Connection#NO_WAIT} only)
     */
    long enterAndClaim(final int length, final long timeoutNanos, final DmaIssuer via) {
        try {
            return enterAndClaimGuarded(length, timeoutNanos, via);
        } catch (final InternalError late) {
            // a fault held back by the JVM, delivered as an earlier one's exception entered the handler below
            throw health.cut(late);
        }
    }

    private long enterAndClaimGuarded(final int length, final long timeoutNanos, final DmaIssuer via) {
        connection.enter(CloseGate.SENDING);
        boolean open = false;
        try {
            final long at = claim(length, timeoutNanos, via);
            open = at != Connection.BACK_PRESSURED;
            return at;
        } catch (final InternalError | org.softclan.dsm.RegionTruncatedException e) {
            throw health.cut(e);
        } finally {
            if (!open) {
                connection.leave(CloseGate.SENDING);
            }
        }
    }

    /** Publishes the claimed record ({@link #commit}) and leaves the sending role its claim entered. */
    DmaTransfer commitAndLeave(final DmaIssuer via) {
        try {
            return commitAndLeaveGuarded(via);
        } catch (final InternalError late) {
            // a fault held back by the JVM, delivered as an earlier one's exception entered the handler below
            throw health.cut(late);
        }
    }

    private DmaTransfer commitAndLeaveGuarded(final DmaIssuer via) {
        checkClaimed();
        try {
            return commit(via);
        } catch (final StaleRegionException e) {
            throw health.peerGone();
        } catch (final InternalError | org.softclan.dsm.RegionTruncatedException e) {
            throw health.cut(e);
        } finally {
            connection.leave(CloseGate.SENDING);   // entered by the claim
        }
    }

    /** Closes the claim filled by PIO without publishing it ({@link #commitBatched}) and leaves the sending role. */
    void commitBatchedAndLeave() {
        checkClaimed();
        commitBatched();
        connection.leave(CloseGate.SENDING);   // entered by the claim
    }

    /** Gives up the open claim after filling it failed (nothing is published) and leaves the sending role. */
    void abandonAndLeave() {
        abandonClaim();
        connection.leave(CloseGate.SENDING);
    }

    /** Enters the sending role and publishes the batch ({@link #publish}); see {@link Connection#flush()}. */
    boolean enterAndPublish() {
        connection.enter(CloseGate.SENDING);
        try {
            return publish();
        } catch (final StaleRegionException e) {
            throw health.peerGone();
        } catch (final InternalError | org.softclan.dsm.RegionTruncatedException e) {
            throw health.cut(e);
        } finally {
            connection.leave(CloseGate.SENDING);
        }
    }

    /** Enters the sending role and answers {@link #roomOrAsk}; see {@link Connection#hasRoomOrAsk}. */
    boolean enterForRoom(final int length, final boolean ask) {
        connection.enter(CloseGate.SENDING);
        try {
            return roomOrAsk(length, ask);
        } catch (final InternalError | org.softclan.dsm.RegionTruncatedException e) {
            throw health.cut(e);
        } finally {
            connection.leave(CloseGate.SENDING);
        }
    }

    // ------------------------------------------------------------------------------ the sending role

    /** @return the largest payload a record in the peer's ring may carry: half the ring, less the header */
    int maxMessage() {
        return peerCapacity / 2 - RECORD_HEADER_LENGTH;
    }

    /** @return whether a record is claimed and not committed */
    boolean hasClaim() {
        return claimed >= 0;
    }

    /** Forgets the open claim (its filling failed; nothing is published). */
    void abandonClaim() {
        claimed = -1;
    }

    /**
     * Claims a record; see {@link Connection#claim}.
     *
     * @param timeoutNanos how long to wait for room, in ns; negative: not at all
     * @return the offset of the payload in the peer's mapping, or {@link Connection#BACK_PRESSURED}
     *         (negative timeout, no room)
     */
    long claim(final int length, final long timeoutNanos, final DmaIssuer via) {
        if (claimed >= 0) {
            throw claimOpen();
        }
        checkLength(length);
        final long need = recordLength(length);
        // a send through a dedicated engine's thread looks only at the pointer published into this end's
        // memory: a PIO access to the peer's mapping (such as reading the peer's own read position) would
        // wait for that thread. An invoker engine ran the commands of earlier frames at their doorbell (on
        // this thread, or on one that held the queue then, which a PIO read waits for): room is found as for PIO
        final boolean engineThread = via != null && via.engine().mode() == DmaMode.DEDICATED;
        if (via != null) {
            publishOrGone();   // a batch written by PIO first: the engine's ordered store of the pointer covers it
            if (engineThread && !eagerAsked) {
                askEagerPublish();
            }
        }
        if (!(engineThread ? hasPublishedRoom(need) : hasRoom(need))) {
            // a batch the peer cannot see yet, it cannot read either: published before giving up or waiting
            publishOrGone();
            if (via != null) {
                via.doorbell();   // the same for DMA commands not yet handed to the engine
            }
            if (timeoutNanos < 0) {
                health.checkPeer();
                return Connection.BACK_PRESSURED;
            }
            awaitRoom(need, timeoutNanos, !engineThread);
        }
        try {
            final long at = placeRecord(need, via);
            if (via == null) {
                tx.putLong(RING_OFFSET + at, length & 0xFFFFFFFFL);
            } else {
                via.writeLongOrdered(tx, RING_OFFSET + at, length & 0xFFFFFFFFL);
            }
            claimed = length;
            return RING_OFFSET + at + RECORD_HEADER_LENGTH;
        } catch (final StaleRegionException e) {
            throw health.peerGone();
        }
    }

    /**
     * Whether a record of {@code length} payload bytes fits now; if not and {@code ask}, asks the peer to
     * publish its read position as it frees room (a publish wakes this end's waits), then looks once more.
     * For the claiming thread (or one excluding it).
     */
    boolean roomOrAsk(final int length, final boolean ask) {
        checkLength(length);
        final long need = recordLength(length);
        if (hasRoom(need)) {
            return true;
        }
        publishOrGone();   // a batch the peer cannot see, it cannot read to make room: a waiter would wait forever
        if (!ask || remotePeer) {
            return false;
        }
        // one request per publish: while the peer has not published since the last request, it is still
        // pending (a selector looking at many full rings on every wake-up asks each peer once, not each time)
        final long published = publishedPeerRead();
        if (published == askedAt && roomRequests > 0) {
            return false;
        }
        try {
            LazyReadPosition.askForRoom(tx, ++roomRequests);
        } catch (final StaleRegionException e) {
            throw health.peerGone();
        }
        askedAt = published;
        return hasRoom(need);
    }

    private IllegalStateException claimOpen() {
        return new IllegalStateException("connection " + connection.name() + ": a record of " + claimed
            + " bytes is claimed and not committed yet");
    }

    /** @throws IllegalStateException if nothing is claimed */
    void checkClaimed() {
        if (claimed < 0) {
            throw noClaim();
        }
    }

    private IllegalStateException noClaim() {
        return new IllegalStateException("connection " + connection.name() + ": commit without a claim");
    }

    /**
     * Publishes the open claim: stores the peer's write pointer (release, after this thread's stores), or
     * queues that store on {@code via}. The claim is closed whatever happens.
     *
     * @return the queued store ({@code via} given), else {@code null}
     * @throws StaleRegionException if the peer's region went away
     */
    DmaTransfer commit(final DmaIssuer via) {
        final long need = recordLength(claimed);
        claimed = -1;
        writePos += need;
        publishedPos = writePos;
        if (via == null) {
            tx.putLongRelease(WRITE_POINTER_OFFSET, writePos);   // the data tripwire of the peer fires here
            return null;
        }
        return via.writeLongOrdered(tx, WRITE_POINTER_OFFSET, writePos);
    }

    /**
     * Closes the open claim (filled by PIO) without publishing it: it joins the batch the next
     * {@link #publish}, {@link #commit} or claim that finds no room publishes, with one store of the write
     * pointer (one data tripwire fired at the peer for the whole batch).
     */
    void commitBatched() {
        final long need = recordLength(claimed);
        claimed = -1;
        writePos += need;
    }

    /**
     * Publishes the records committed as a batch: one release store of the peer's write pointer, after this
     * thread's stores of the records.
     *
     * @return whether there was anything to publish
     * @throws StaleRegionException if the peer's region went away
     */
    boolean publish() {
        if (publishedPos == writePos) {
            return false;
        }
        tx.putLongRelease(WRITE_POINTER_OFFSET, writePos);
        publishedPos = writePos;
        return true;
    }

    /** As {@link #publish}, a region gone being the peer gone. */
    private void publishOrGone() {
        try {
            publish();
        } catch (final StaleRegionException e) {
            throw health.peerGone();
        }
    }

    /** {@return whether records committed as a batch wait for {@link #publish}} */
    boolean hasUnpublished() {
        return publishedPos != writePos;
    }

    /** Pads to the ring's start if the record would wrap; returns the ring index to write at. */
    private long placeRecord(final long need, final DmaIssuer via) {
        final long index = writePos & (peerCapacity - 1);
        final long contiguous = peerCapacity - index;
        if (contiguous < need) {
            if (via == null) {
                tx.putLong(RING_OFFSET + index, PAD_LENGTH & 0xFFFFFFFFL);
            } else {
                via.writeLongOrdered(tx, RING_OFFSET + index, PAD_LENGTH & 0xFFFFFFFFL);
            }
            writePos += contiguous;
            return 0;
        }
        return index;
    }

    private void checkLength(final int length) {
        health.checkSendable();   // the closed flag: checked by the caller's entry into the sending role
        if (length < 0 || length > maxMessage()) {
            throw tooLong(length);
        }
    }

    private IllegalArgumentException tooLong(final int length) {
        return new IllegalArgumentException("connection " + connection.name() + ": message of " + length
            + " bytes; the most this connection carries is " + maxMessage() + " bytes (half the peer's ring)");
    }

    /** Room for a record and, in the worst case, the padding to the ring's start before it. */
    private boolean hasRoom(final long need) {
        final boolean published = hasPublishedRoom(need);
        if (published || remotePeer) {
            return published;
        }
        // the peer leaves a drained ring's position in its own memory until a quarter of the ring is read
        try {
            shadowPeerRead = Math.max(shadowPeerRead, peerLocalReadPos());
        } catch (final StaleRegionException e) {
            throw health.peerGone();
        }
        return writePos + worstCase(need) - shadowPeerRead <= peerCapacity;
    }

    /** Room by the read pointer the peer published into this end's memory (no access to the peer's). */
    boolean hasPublishedRoom(final long need) {
        final long worst = worstCase(need);
        if (writePos + worst - shadowPeerRead <= peerCapacity) {
            return true;
        }
        shadowPeerRead = Math.max(shadowPeerRead, publishedPeerRead());
        return writePos + worst - shadowPeerRead <= peerCapacity;
    }

    /** {@return bytes of the peer's ring written so far (records and padding; read racily for statistics)} */
    long position() {
        return writePos;
    }

    /** {@return bytes published and not yet known read by the peer (read racily for statistics)} */
    long inFlight() {
        return publishedPos - shadowPeerRead;
    }

    /** The read pointer the peer published into this end's memory, checked against what was written. */
    private long publishedPeerRead() {
        final long read = local.getLongVolatile(PEER_READ_POINTER_OFFSET);
        if (read > publishedPos || read < 0) {
            throw health.violation("receive region '" + rx.regionName() + "'", "peer read pointer (offset "
                + PEER_READ_POINTER_OFFSET + ")", read, "it must lie between 0 and the " + publishedPos
                + " bytes this end has published");
        }
        return read;
    }

    /** The read position the peer left in its own memory, checked against what was written. */
    private long peerLocalReadPos() {
        final long read = tx.getLongAcquire(READ_POSITION_OFFSET);
        if (read > publishedPos || read < 0) {
            throw health.violation("receive region '" + tx.regionName() + "'", "read position (offset "
                + READ_POSITION_OFFSET + ")", read, "it must lie between 0 and the " + publishedPos
                + " bytes this end has published");
        }
        return read;
    }

    private long worstCase(final long need) {
        final long index = writePos & (peerCapacity - 1);
        return need + (peerCapacity - index < need ? peerCapacity - index : 0);
    }

    /**
     * Tells the peer, before this end's first DMA send, to publish a drained ring at once (a DMA sender
     * cannot read the peer's position or ask for room without waiting for its engine). Then reads the
     * position the peer may have left in its own memory: after the barrier, every drained poll of the
     * peer either sees the request or left a position this read sees.
     */
    private void askEagerPublish() {
        try {
            LazyReadPosition.askEagerPublish(tx);
            shadowPeerRead = Math.max(shadowPeerRead, peerLocalReadPos());
        } catch (final StaleRegionException e) {
            throw health.peerGone();
        }
        eagerAsked = true;
    }

    /**
     * Waits for room (see the class comment). It asks again whenever the published pointer moves without
     * making room, and checks the peer's liveness every {@value Connection#LIVENESS_SLICE_MS} ms.
     *
     * @throws SendTimeoutException if the ring stayed full for {@code timeoutNanos}
     */
    private void awaitRoom(final long need, final long timeoutNanos, final boolean pio) {
        roomWaits++;
        final long deadline = System.nanoTime() + timeoutNanos;
        while (true) {
            if (pio && !remotePeer) {
                try {
                    LazyReadPosition.askForRoom(tx, ++roomRequests);
                } catch (final StaleRegionException e) {
                    throw health.peerGone();
                }
                if (hasRoom(need)) {
                    return;
                }
            }
            final long seen = publishedPeerRead();
            final long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new SendTimeoutException("connection " + connection.name() + ": the peer's ring stayed full for "
                    + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms (the peer is not reading)");
            }
            final long slice = Math.min(left, TimeUnit.MILLISECONDS.toNanos(Connection.LIVENESS_SLICE_MS));
            final boolean woken = strategy.await(
                () -> connection.isClosed() || hasPublishedRoom(need) || publishedPeerRead() != seen, unit.events(), slice);
            connection.checkOpen();
            if (woken) {
                if (hasPublishedRoom(need)) {
                    return;
                }
                continue;   // published, but not enough: ask again
            }
            health.checkAlive();
        }
    }
}
