package org.softclan.vmmc;

import static org.softclan.vmmc.ReceiveRegionDescriptor.*;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import net.openhft.chronicle.bytes.BytesStore;
import org.softclan.dsm.DmaEngine;
import org.softclan.dsm.DmaIssuer;
import org.softclan.dsm.DmaTransfer;
import org.softclan.dsm.InboundMapping;
import org.softclan.dsm.OutboundMapping;
import org.softclan.tripwire.Tripwire;
import org.softclan.tripwire.TripwireUnit;
import org.softclan.tripwire.WaitStrategy;

/**
 * One end of a connection: two message queues (CLAN's distributed message queues), one each way.
 * Each end exports a receive region; the ring for messages to this end lives there, in this end's own
 * memory, and the peer writes messages into it through its outbound mapping.
 *
 * <p>The receive region holds, before the ring, the pointers each end publishes to the other, the
 * peer's closed flag, the rendezvous answer and a control area of {@value #CONTROL_BYTES} bytes for the
 * layer above ({@link ControlArea}: {@link #controlOffset}, {@link #nudgePeer()}, {@link #await}); its
 * layout, with who writes each word, is in {@code ReceiveRegionDescriptor}.
 *
 * <p><b>Sending</b> ({@link RingSender}) writes the record into the peer's ring, then the peer's write
 * pointer (release): that store fires the peer's data tripwire. <b>Receiving</b> ({@link RingReceiver})
 * reads records in place from this end's own memory (zero-copy). How the sender learns how far the
 * peer has read without a remote store per message is {@link LazyReadPosition}'s protocol; a sender
 * short of room waits on a tripwire over its copy of the peer's read pointer (back-pressure: unread
 * data is never overwritten).
 *
 * <p><b>Zero-copy sending</b>: {@link #claim} reserves a record in the peer's ring and returns where its
 * payload goes in {@link #outbound()}; the caller (or a DMA engine) fills it; {@link #commit} publishes
 * it. With a DMA engine given, the header, any wrap marker and the publishing store go through the
 * engine's FIFO ({@link DmaEngine#writeLongOrdered}), so the sending thread never makes a PIO access to
 * the mapping that would wait for the engine's transfers. The copying sends ({@link #offer},
 * {@link #send}) are claim, copy, commit ({@link MessageCopier}).
 *
 * <p><b>Batching</b>: {@link #offerBatched} writes a message without publishing it; {@link #flush()}
 * publishes every message written since the last publish with one store of the write pointer, so the
 * peer's data tripwire fires (and its event is posted, and a blocked receiver woken) once for the whole
 * batch. Any other send or commit publishes the batch with its own message; a send, a DMA claim or a room
 * check ({@link #hasRoom}, {@link #hasRoomOrAsk}) that finds the ring full publishes it first (the peer cannot
 * read, and so make room for, what it cannot see). Messages not published when the connection closes are
 * not delivered.
 *
 * <p><b>Holding received records</b>: a handler may {@link #hold()} the record it is given; the
 * sender does not reuse that ring space until {@link #release(long)}, in whatever order holds are
 * released.
 *
 * <p><b>Waiting</b>: the data tripwire either posts an event carrying {@link #id()} to the unit's
 * event queue (so one queue watches thousands of connections: {@link Mode#EVENTS}), or only wakes
 * blocked waiters ({@link Mode#WAKE}, the default, for a thread that waits on this connection alone).
 * Waits re-check in slices of {@value #LIVENESS_SLICE_MS} ms whether the peer closed or died
 * ({@link ConnectionHealth} holds the liveness checks and tells how the connection broke).
 *
 * <p><b>Threads</b>: one thread may send while another receives; concurrent senders (or receivers)
 * must synchronise among themselves.
 *
 * <p><b>Closing under waiters</b>: {@link #close()} may be called from any thread while others send,
 * receive or wait; nothing is unmapped under a thread inside a call, which leaves with
 * {@link org.softclan.dsm.ClosedException} ({@link ConnectionCloser} describes the gate and the sequence).
 * If a thread is still inside after {@value #CLOSE_WAIT_MS} ms (a handler still running, a record
 * {@linkplain #claim claimed} and not committed), close returns and the last thread to leave unmaps.
 *
 * <p><b>What the peer writes is input</b>: the write pointer, every record header and the pointers the
 * peer publishes are checked before an address is computed from them (a record lies inside the ring,
 * within the unread bytes and within the largest message; the write pointer is at most a ring ahead of
 * this end's read position; the read pointer the peer publishes never passes what this end wrote).
 * A word that breaks the protocol is a {@link PeerProtocolException} naming the field and the value, and
 * the connection is broken from then on; nothing past the bad word is handed to a handler.
 */
public final class Connection extends CloseGate implements AutoCloseable {
    /** Bytes of the control area that the layer above may use, in both receive regions. */
    public static final int CONTROL_BYTES = ReceiveRegionDescriptor.CONTROL_LENGTH;
    /** How often waits re-check that the peer is alive, in milliseconds. */
    public static final int LIVENESS_SLICE_MS = 100;
    /**
     * What {@link #tryClaim} returns when the peer's ring has no room for the record now (nothing was
     * written); every other outcome but a claim is an exception.
     */
    public static final long BACK_PRESSURED = -1;
    /**
     * The timeout {@link RingSender#enterAndClaim} takes for "do not wait": {@link RingSender#claim} then answers
     * {@link #BACK_PRESSURED}.
     */
    static final long NO_WAIT = -1;
    /** How long {@link #close()} waits for threads inside an operation to leave before returning, in ms. */
    public static final int CLOSE_WAIT_MS = 2_000;

    /** How a connection's arrivals are signalled. */
    public enum Mode {
        /** Arrivals wake threads blocked on this connection (no events). */
        WAKE,
        /** Arrivals also post an event carrying {@link #id()} to the unit's queue, for multiplexing. */
        EVENTS
    }

    private final long id;
    private final TripwireUnit unit;
    private final InboundMapping rx;
    private final OutboundMapping tx;
    /** The sending role: claims and commits in the peer's ring, the room it has, waits for room. */
    private final RingSender sender;
    /** The copying sends: claim, copy the caller's bytes, commit (built on {@link #claim} and {@link #commit}). */
    private final MessageCopier copier;
    /** The control area lent to the layer above: its words, the nudge, the wait. */
    private final ControlArea control;
    /** The receiving role: the ring in this end's memory, holds, the read position's publication. */
    private final RingReceiver receiver;
    /** How the peer's faults, a cut region and the peer's going away are told. */
    private final ConnectionHealth health;
    /** The close sequence and the release of the memory once no thread is inside. */
    private final ConnectionCloser closer;
    /** This connection's counters in its endpoint's statistics file. */
    final ConnectionGauges gauges;
    /**
     * The first protocol violation the peer committed, or {@code null}: the connection is broken. Written once,
     * by {@link ConnectionHealth#broken}.
     */
    volatile String violation;

    Connection(final long id, final String name, final TripwireUnit unit, final boolean ownsUnit, final InboundMapping rx,
               final OutboundMapping tx, final Mode mode, final WaitStrategy strategy) {
        super(name);
        this.id = id;
        this.unit = unit;
        this.rx = rx;
        this.tx = tx;
        this.health = new ConnectionHealth(this, name, rx, tx);
        this.receiver = new RingReceiver(this, health, rx, tx, ReceiveRegionDescriptor.ringCapacity(rx, name, "this end's"),
            strategy, unit);
        this.sender = new RingSender(this, health, rx, tx, ReceiveRegionDescriptor.ringCapacity(tx, name, "the peer's"),
            strategy, unit);
        this.copier = new MessageCopier(this, health, tx);
        this.control = new ControlArea(this, health, tx, strategy, unit);
        final int dataActions = mode == Mode.EVENTS ? Tripwire.EVENT | Tripwire.WAKE : Tripwire.WAKE;
        final Tripwire dataTrip = unit.arm(rx, Tripwire.Options.word(WRITE_POINTER_OFFSET).actions(dataActions).cookie(id));
        final Tripwire spaceTrip = unit.arm(rx, Tripwire.Options.at(PEER_READ_POINTER_OFFSET, NUDGE_OFFSET + 8 - PEER_READ_POINTER_OFFSET).actions(Tripwire.WAKE).cookie(id));
        this.closer = new ConnectionCloser(this, rx, tx, unit, ownsUnit, dataTrip, spaceTrip);
        this.gauges = new ConnectionGauges(this, sender, receiver, rx.endpoint().stats(), name);
        // closing the endpoint closes this connection first: its waiters leave before the memory goes
        try {
            rx.endpoint().closeFirst(this);
        } catch (final RuntimeException endpointClosed) {
            gauges.close();
            closer.releaseHolds();   // the caller closes what it built
            throw endpointClosed;
        }
    }

    /** {@return the sending role (set before the copying sends are built on it)} */
    RingSender sender() {
        return sender;
    }

    /** {@return the id carried as the cookie of this connection's events ({@link Mode#EVENTS})} */
    public long id() {
        return id;
    }

    /** {@return a description: the service and the two regions} */
    public String name() {
        return name;
    }

    /**
     * {@return the unit whose event queue signals this connection} It is the one the context gave, a unit
     * of its own ({@link Mode#EVENTS}), or the endpoint's shared wake-up unit ({@link Mode#WAKE}), which
     * other connections use too: do not close it.
     */
    public TripwireUnit unit() {
        return unit;
    }

    /** {@return the largest message this connection sends: half the peer's ring, less the record header} */
    public int maxMessage() {
        return sender.maxMessage();
    }

    // ------------------------------------------------------------------------------------ sending

    /**
     * Sends a message if the peer's ring has room now.
     *
     * @param src    the message's bytes
     * @param offset the first byte of the message in {@code src}
     * @param length bytes in the message, 0 to {@link #maxMessage()}
     * @return {@code true} if sent, {@code false} if the ring is full (nothing was written)
     * @throws PeerGoneException        if the peer closed or its process died
     * @throws IllegalArgumentException if the message is longer than {@link #maxMessage()}
     */
    public boolean offer(final byte[] src, final int offset, final int length) {
        return copier.offer(src, offset, length);
    }

    /**
     * Sends a whole array; see {@link #send(byte[], int, int, long, TimeUnit)}.
     *
     * @param src     the message, at most {@link #maxMessage()} bytes
     * @param timeout how long to wait for room, in {@code unit}
     * @param unit    the unit of {@code timeout}
     */
    public void send(final byte[] src, final long timeout, final TimeUnit unit) {
        copier.send(src, Math.max(0, unit.toNanos(timeout)));
    }

    /**
     * Sends a message, waiting (with the connection's wait strategy) while the peer's ring is full.
     *
     * @param src     the message's bytes
     * @param offset  the first byte of the message in {@code src}
     * @param length  bytes in the message, 0 to {@link #maxMessage()}
     * @param timeout how long to wait for room, in {@code unit} (a negative timeout waits not at all)
     * @param unit    the unit of {@code timeout}
     * @throws SendTimeoutException if the ring stayed full for the whole timeout (nothing was written)
     * @throws PeerGoneException    if the peer closed or died meanwhile
     */
    public void send(final byte[] src, final int offset, final int length, final long timeout, final TimeUnit unit) {
        copier.send(src, offset, length, Math.max(0, unit.toNanos(timeout)));
    }

    /**
     * Sends the remaining bytes of a buffer, waiting while the ring is full; see
     * {@link #send(byte[], int, int, long, TimeUnit)}. The buffer's position moves past the bytes sent.
     *
     * @param src     the message: its remaining bytes, at most {@link #maxMessage()}
     * @param timeout how long to wait for room, in {@code unit}
     * @param unit    the unit of {@code timeout}
     */
    public void send(final ByteBuffer src, final long timeout, final TimeUnit unit) {
        copier.send(src, Math.max(0, unit.toNanos(timeout)));
    }

    /**
     * Sends {@code length} bytes of a Chronicle store from {@code offset} (native stores are copied
     * directly), waiting while the ring is full; see {@link #send(byte[], int, int, long, TimeUnit)}.
     *
     * @param src     the store holding the message
     * @param offset  the first byte of the message in {@code src}
     * @param length  bytes in the message, 0 to {@link #maxMessage()}
     * @param timeout how long to wait for room, in {@code unit}
     * @param unit    the unit of {@code timeout}
     */
    public void send(final BytesStore<?, ?> src, final long offset, final int length, final long timeout,
                     final TimeUnit unit) {
        copier.send(src, offset, length, Math.max(0, unit.toNanos(timeout)));
    }

    /**
     * Sends {@code length} bytes of a Chronicle store if the peer's ring has room for them now; never
     * waits (see {@link #offer(byte[], int, int)}).
     *
     * @param src    the store holding the message
     * @param offset the first byte of the message in {@code src}
     * @param length bytes in the message, 0 to {@link #maxMessage()}
     * @return whether the message was sent (false: the ring is full, nothing was written)
     */
    public boolean offer(final BytesStore<?, ?> src, final long offset, final int length) {
        return copier.send(src, offset, length, NO_WAIT);
    }

    /**
     * Writes a message into the peer's ring if it has room now, without publishing it: the peer sees it, in
     * order, with the next {@link #flush()}, send, offer or commit, which publish every message written before
     * them with one store of the peer's write pointer (one data tripwire fired for the batch). An offer that
     * finds no room publishes the batch before it returns {@code false}. Messages not published when the
     * connection closes are not delivered. From the sending thread (concurrent senders synchronise among
     * themselves), as every send.
     *
     * @param src    the store holding the message
     * @param offset the first byte of the message in {@code src}
     * @param length bytes in the message, 0 to {@link #maxMessage()}
     * @return whether the message was written (false: the ring is full, nothing was written, and what was
     *         batched before is published)
     * @throws PeerGoneException        if the peer is known to have closed, or, when the ring is full, found
     *                                  closed or dead
     * @throws PeerProtocolException    if the peer broke the protocol (the connection is broken)
     * @throws IllegalArgumentException if the message is longer than {@link #maxMessage()}
     * @throws org.softclan.dsm.ClosedException if this end is closed
     */
    public boolean offerBatched(final BytesStore<?, ?> src, final long offset, final int length) {
        return copier.offerBatched(src, offset, length);
    }

    /**
     * Publishes the messages written by {@link #offerBatched} since the last publish: one release store of
     * the peer's write pointer after this thread's stores of the messages (the peer's data tripwire fires
     * once). Nothing to publish costs a comparison. From the sending thread (concurrent senders synchronise
     * among themselves).
     *
     * @return whether anything was published
     * @throws PeerGoneException if the peer's region went away
     * @throws org.softclan.dsm.ClosedException if this end is closed
     */
    public boolean flush() {
        return sender.hasUnpublished() && sender.enterAndPublish();
    }

    /**
     * Claims a record of {@code length} bytes in the peer's ring (zero-copy send) if there is room for it
     * now: writes the record's header (and a wrap marker before it if needed) and returns where its
     * payload goes in {@link #outbound()}. The caller fills {@code [offset, offset + length)} (stores
     * through the mapping, or DMA), then calls {@link #commit}; nothing is visible to the peer before that.
     * One claim at a time; the caller must not write outside the claimed range.
     *
     * @param length payload bytes, 0 to {@link #maxMessage()}
     * @param via    {@code null} to write the header by PIO now; a DMA engine (of this connection's
     *               endpoint) or a {@link org.softclan.dsm.DmaBatch} of it to queue the header as ordered
     *               stores on it, so this thread makes no PIO access to the mapping (which would wait for
     *               the engine's earlier transfers); a claim that must wait for room rings its doorbell first
     * @return the offset of the payload in {@link #outbound()}, or {@link #BACK_PRESSURED} if the ring
     *         has no room now (nothing was written)
     * @throws PeerGoneException        if the peer closed or died
     * @throws PeerProtocolException    if the peer broke the protocol (the connection is broken)
     * @throws IllegalArgumentException if the length is negative or exceeds {@link #maxMessage()}
     * @throws IllegalStateException    if a claim is already open
     * @throws org.softclan.dsm.ClosedException if this end is closed
     */
    public long tryClaim(final int length, final DmaIssuer via) {
        return sender.enterAndClaim(length, NO_WAIT, via);
    }

    /**
     * Whether {@link #tryClaim} would find room for a record of {@code length} payload bytes now. If
     * not, asks the peer to publish its read position once it frees room: that publish fires this end's
     * space tripwire, so a thread that then waits on this connection's {@linkplain #unit() unit} (an
     * event loop's selector) is woken when room comes. Messages written by {@link #offerBatched} and not
     * yet published are published first when there is no room (the peer could not read them to make room).
     * Call it from the thread that claims, or with claims excluded (it shares the sender's state).
     *
     * @param length payload bytes, 0 to {@link #maxMessage()}
     * @return whether the record fits now
     * @throws PeerGoneException        if the peer's region went away
     * @throws IllegalArgumentException if the length is negative or exceeds {@link #maxMessage()}
     * @throws org.softclan.dsm.ClosedException if this end is closed
     */
    public boolean hasRoomOrAsk(final int length) {
        return sender.enterForRoom(length, true);
    }

    /**
     * Whether {@link #tryClaim} would find room for a record of {@code length} payload bytes now (no
     * request to the peer: see {@link #hasRoomOrAsk}); a batch waiting to be published is published when
     * there is no room. Call it from the thread that claims, or with claims excluded.
     *
     * @param length payload bytes, 0 to {@link #maxMessage()}
     * @return whether the record fits now
     * @throws PeerGoneException        if the peer's region went away
     * @throws IllegalArgumentException if the length is negative or exceeds {@link #maxMessage()}
     * @throws org.softclan.dsm.ClosedException if this end is closed
     */
    public boolean hasRoom(final int length) {
        return sender.enterForRoom(length, false);
    }


    /**
     * Claims a record as {@link #tryClaim} does, waiting up to {@code timeoutNanos} (with the connection's
     * wait strategy) while the peer's ring has no room.
     *
     * @param length       payload bytes, 0 to {@link #maxMessage()}
     * @param timeoutNanos how long to wait for room, in ns; at least 0
     * @param via          as for {@link #tryClaim}
     * @return the offset of the payload in {@link #outbound()}
     * @throws SendTimeoutException     if the ring stayed full for the whole timeout (nothing was written)
     * @throws PeerGoneException        if the peer closed or died
     * @throws PeerProtocolException    if the peer broke the protocol (the connection is broken)
     * @throws IllegalArgumentException if the timeout is negative, or the length is negative or exceeds
     *                                  {@link #maxMessage()}
     * @throws IllegalStateException    if a claim is already open
     * @throws org.softclan.dsm.ClosedException if this end is closed, before or while waiting
     */
    public long claim(final int length, final long timeoutNanos, final DmaIssuer via) {
        if (timeoutNanos < 0) {
            throw new IllegalArgumentException("connection " + name + ": claim timeout " + timeoutNanos
                + " ns is negative; tryClaim claims without waiting");
        }
        return sender.enterAndClaim(length, timeoutNanos, via);
    }

    /**
     * Publishes the record claimed last: the peer's data tripwire fires when the write pointer is stored.
     *
     * @param via {@code null} to store the write pointer now (release, after this thread's stores);
     *            a DMA engine or batch to queue the store behind the transfers issued to it (the record
     *            becomes visible once its DMA'd payload is in place, without this thread waiting; a batch
     *            hands it over at its doorbell)
     * @return the queued store ({@code via} given), else {@code null}
     * @throws IllegalStateException if nothing is claimed
     */
    public DmaTransfer commit(final DmaIssuer via) {
        return sender.commitAndLeave(via);
    }

    /** {@return the mapping of the peer's receive region that {@link #claim} offsets refer to} */
    public OutboundMapping outbound() {
        return tx;
    }

    /** {@return this end's receive region (its control area is written by the peer)} */
    public InboundMapping inbound() {
        return rx;
    }

    /**
     * Where a word of the control area lies in both receive regions.
     *
     * @param offset an offset into the control area, 0 to {@link #CONTROL_BYTES} - 8
     * @return the offset of that control word in {@link #inbound()} and {@link #outbound()}
     * @throws IllegalArgumentException if {@code offset} is outside the control area
     */
    public static long controlOffset(final int offset) {
        return ControlArea.offset(offset);
    }

    /**
     * Wakes the peer's waits on this connection (its space tripwire fires): for a layer above that
     * changed something in the peer's control area the peer may be waiting for. The nudge is a release
     * store, so the caller's earlier stores to the control area are seen by a peer that reads them with
     * acquire once woken ({@link ControlArea} gives the protocol). Nudges from several threads at once
     * may coalesce into one (the nudge counter is bumped without a lock).
     *
     * @throws PeerGoneException if the peer's region went away
     * @throws org.softclan.dsm.ClosedException if this end is closed
     */
    public void nudgePeer() {
        control.nudge();
    }

    /**
     * Waits with the connection's wait strategy until {@code ready} holds, waking when the peer
     * publishes a record, frees ring space or {@linkplain #nudgePeer() nudges}.
     *
     * @param ready        the condition, evaluated on this thread (it must not block)
     * @param timeoutNanos how long to wait, in ns
     * @return whether it held within the timeout
     * @throws PeerGoneException if the peer closed or died meanwhile
     * @throws org.softclan.dsm.ClosedException if this end is closed, before or while waiting
     */
    public boolean await(final BooleanSupplier ready, final long timeoutNanos) {
        return control.await(ready, timeoutNanos);
    }

    /** {@return whether {@link #close()} has begun (volatile read)} */
    boolean isClosed() {
        return closed;
    }

    void checkOpen() {
        if (closed || violation != null) {
            throw health.notOpen(closed);
        }
    }

    /** The last thread out of a closed connection unmaps it (see {@link ConnectionCloser#releaseIfIdle}). */
    @Override
    void releaseIfIdle() {
        closer.releaseIfIdle();
    }

    // ---------------------------------------------------------------------------------- receiving

    /**
     * Hands up to {@code limit} waiting messages to {@code handler}, in order, in place.
     *
     * @param handler given each message in place: the bytes are valid only during the call (unless
     *                {@linkplain #hold() held})
     * @param limit   the most messages to hand over
     * @return the number of messages handled (0 if none)
     * @throws PeerGoneException if none are waiting and the peer has closed or died
     */
    public int poll(final MessageHandler handler, final int limit) {
        try {
            return pollGuarded(handler, limit);
        } catch (final InternalError late) {
            // a fault held back by the JVM, delivered as an earlier one's exception entered the handler below
            throw health.cut(late);
        }
    }

    private int pollGuarded(final MessageHandler handler, final int limit) {
        enter(RECEIVING);
        try {
            return receiver.poll(handler, limit);
        } catch (final InternalError | org.softclan.dsm.RegionTruncatedException e) {
            throw health.cut(e);
        } finally {
            receiver.currentStart = -1;   // also when a handler threw
            leave(RECEIVING);
        }
    }

    /**
     * Keeps the record being handled (call it from a {@link MessageHandler} inside {@link #poll} or
     * {@link #receive}): its bytes stay valid, and the sender does not reuse its ring space, until
     * {@link #release(long)}. Holds may be released in any order; the space is returned up to the
     * oldest record still held. Held records count against the ring: holding a ring's worth stops
     * the sender.
     *
     * @return the token to release it with
     * @throws IllegalStateException if no record is being handled
     */
    public long hold() {
        return receiver.hold();
    }

    /**
     * Releases a record kept by {@link #hold()}; may be called from any thread. Releasing a token
     * twice is harmless.
     *
     * @param token what {@link #hold()} returned
     * @throws IllegalArgumentException if the token was never a held record
     */
    public void release(final long token) {
        enter(OTHER);
        try {
            receiver.release0(token, closed);
        } finally {
            leave(OTHER);
        }
    }

    /** {@return records held and not yet released} */
    public int held() {
        return receiver.held();
    }

    /**
     * Whether {@link #poll} has something to report: a message waiting (acquire read of the write pointer),
     * or a broken connection (a protocol violation, or this end's receive region cut from outside, which
     * this call notices by the fault it takes and records), so that a poller looking for work before it
     * polls reaches the poll that throws instead of looking again forever.
     *
     * A fault of another region cut from outside, which the JVM delivered late inside this call (from an
     * earlier access of this thread: a wait on a cut doorbell), leaves this connection whole: the call
     * answers {@code true}, and a poll then finds what is there.
     *
     * @return whether a message or a failure is waiting; {@code false} once closed
     */
    public boolean hasMessage() {
        try {
            inside.getAndIncrement(OTHER);
            try {
                return hasMessage0();
            } catch (final InternalError | org.softclan.dsm.RegionTruncatedException e) {
                // records the broken connection, or rethrows an error that is not a cut region's, or (this look
                // touches only the connection's regions) takes the late fault of another region
                health.cutOwn(e);
                return true;
            } finally {
                leave(OTHER);
            }
        } catch (final InternalError late) {
            // a fault held back by the JVM, delivered after the guarded read returned
            health.cutOwn(late);
            return true;
        }
    }

    /** For a thread already inside: whether a message (or a protocol violation to report) is waiting. */
    private boolean hasMessage0() {
        return !closed && (violation != null
            || receiver.hasUnread());
    }

    /**
     * Waits for messages and hands up to {@code limit} of them to {@code handler}.
     *
     * @param handler given each message in place, as in {@link #poll}
     * @param limit   the most messages to hand over
     * @param timeout how long to wait for the first message, in {@code unit}
     * @param unit    the unit of {@code timeout}
     * @return the number handled, 0 if none came within the timeout
     * @throws PeerGoneException if the peer closed or died while nothing was waiting
     */
    public int receive(final MessageHandler handler, final int limit, final long timeout, final TimeUnit unit) {
        try {
            return receiveGuarded(handler, limit, timeout, unit);
        } catch (final InternalError late) {
            // a fault held back by the JVM, delivered as an earlier one's exception entered the handler below
            throw health.cut(late);
        }
    }

    private int receiveGuarded(final MessageHandler handler, final int limit, final long timeout, final TimeUnit unit) {
        enter(RECEIVING);
        try {
            return receiver.receive(handler, limit, unit.toNanos(timeout));
        } catch (final InternalError | org.softclan.dsm.RegionTruncatedException e) {
            throw health.cut(e);
        } finally {
            receiver.currentStart = -1;   // also when a handler threw
            leave(RECEIVING);
        }
    }

    // ------------------------------------------------------------------------------------ liveness

    /** {@return whether the peer has closed its end (volatile read of this end's memory)} */
    public boolean peerClosed() {
        enter(OTHER);
        try {
            return health.peerClosed();
        } finally {
            leave(OTHER);
        }
    }

    /**
     * Checks that the peer has not closed, its process is alive (its liveness lock is held) and both
     * receive regions still have their full size (a few microseconds: it asks the OS). Waits do this
     * every {@value #LIVENESS_SLICE_MS} ms; event loops call it now and then.
     *
     * @throws PeerGoneException if it has closed or died
     * @throws PeerGoneException with a {@link org.softclan.dsm.RegionTruncatedException} as its cause if a
     *         receive region's file was cut from outside (the connection is broken from then on)
     */
    public void checkPeer() {
        health.checkPeer();
    }

    /**
     * Closes this end: tells the peer (which sees {@link PeerGoneException} once it has read what was
     * sent), disarms the tripwires, wakes every thread waiting on this connection (each leaves with
     * {@link org.softclan.dsm.ClosedException}) and removes the receive region. Idempotent; may be called
     * from any thread, also while others are inside {@link #send}, {@link #receive}, {@link #poll} or a
     * wait. The mappings are unmapped once no thread is inside: before this returns, unless a thread
     * stays inside for more than {@value #CLOSE_WAIT_MS} ms (a handler still running, a claim never
     * committed), in which case the last thread to leave unmaps them.
     */
    @Override
    public void close() {
        closer.close(markClosed());
    }

    @Override
    public String toString() {
        return "connection " + name;
    }
}
