package org.softclan.vmmc;

import static net.openhft.chronicle.core.UnsafeMemory.UNSAFE;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

import net.openhft.chronicle.bytes.BytesStore;
import org.softclan.dsm.InboundMapping;
import org.softclan.dsm.OutboundMapping;
import org.softclan.dsm.StaleRegionException;
import org.softclan.tripwire.Tripwire;
import org.softclan.tripwire.TripwireUnit;
import org.softclan.tripwire.WaitStrategy;

/**
 * One end of a connection: two message queues (CLAN's distributed message queues), one each way.
 * Each end exports a receive region; the ring for messages to this end lives there, in this end's own
 * memory, and the peer writes messages into it through its outbound mapping.
 *
 * <pre>
 *  receive region (owned by this end, written by the peer)
 *     0 write pointer: bytes the peer has written into my ring          own cache line
 *    64 peer read pointer: bytes the peer has consumed of MY outgoing ring (in its memory)
 *   128 peer closed: non-zero once the peer has closed (a poll that finds the ring empty then fails)
 *   192 ring capacity (bytes, a power of two), written by the owner before the peer connects
 *   256 answer (long), for a connecting client's region: the server writes accepted (4) or refused
 *       (5) here, after its receive region's key (320, long), name (328, int length + bytes) or the
 *       refusal reason (440, int): the server's write fires the client's tripwire
 *  4096 ring: records {length (int), reserved (int), payload, padding to 8 bytes}; a length of -1
 *       means "skip to the start of the ring"
 * </pre>
 *
 * <p><b>Sending</b> writes the record into the peer's ring, then the peer's write pointer (release):
 * that write fires the peer's data tripwire. The sender knows how far the peer has read from a shadow
 * of the peer's read pointer, refreshed lazily from its own memory (where the peer writes it), so a
 * send normally makes no remote read. <b>Receiving</b> reads records in place from this end's own
 * memory (zero-copy) and writes the read pointer back into the sender's memory lazily: once a quarter
 * of the ring has been consumed, or the ring is empty. A sender that finds the ring full waits on a
 * tripwire over its copy of that read pointer (back-pressure: unread data is never overwritten).
 *
 * <p><b>Waiting</b>: the data tripwire either posts an event carrying {@link #id()} to the unit's
 * event queue (so one queue watches thousands of connections: {@link Mode#EVENTS}), or only wakes
 * blocked waiters ({@link Mode#WAKE}, the default, for a thread that waits on this connection alone).
 * Waits re-check in slices of {@value #LIVENESS_SLICE_MS} ms whether the peer closed or died.
 *
 * <p><b>Threads</b>: one thread may send while another receives; concurrent senders (or receivers)
 * must synchronise among themselves.
 */
public final class Connection implements AutoCloseable {
    static final int WRITE_PTR = 0;
    static final int PEER_READ_PTR = 64;
    static final int PEER_CLOSED = 128;
    static final int CAPACITY = 192;
    static final int ANSWER = 256;
    static final int ANSWER_KEY = 320;
    static final int ANSWER_NAME = 328;
    static final int ANSWER_REASON = 440;
    static final int RING = 4096;
    static final int PAD = -1;
    /** How often waits re-check that the peer is alive, in milliseconds. */
    public static final int LIVENESS_SLICE_MS = 100;

    /** How a connection's arrivals are signalled. */
    public enum Mode {
        /** Arrivals wake threads blocked on this connection (no events). */
        WAKE,
        /** Arrivals also post an event carrying {@link #id()} to the unit's queue, for multiplexing. */
        EVENTS
    }

    private final long id;
    private final String name;
    private final TripwireUnit unit;
    private final boolean ownsUnit;
    private final InboundMapping rx;
    private final OutboundMapping tx;
    private final long rxBase;
    private final BytesStore<?, Void> rxBytes;
    private final int capacity;
    private final int peerCapacity;
    private final Tripwire dataTrip;
    private final Tripwire spaceTrip;
    private final WaitStrategy strategy;
    // sender state
    private long writePos;
    private long shadowPeerRead;
    // receiver state
    private long readPos;
    private long publishedReadPos;
    private volatile boolean closed;

    Connection(final long id, final String name, final TripwireUnit unit, final boolean ownsUnit, final InboundMapping rx,
               final OutboundMapping tx, final Mode mode, final WaitStrategy strategy) {
        this.id = id;
        this.name = name;
        this.unit = unit;
        this.ownsUnit = ownsUnit;
        this.rx = rx;
        this.tx = tx;
        this.strategy = strategy;
        this.rxBase = rx.address(0, RING);
        this.rxBytes = rx.localBytes();
        this.capacity = (int) rx.getLong(CAPACITY);
        this.peerCapacity = (int) tx.getLong(CAPACITY);
        final int dataActions = mode == Mode.EVENTS ? Tripwire.EVENT | Tripwire.WAKE : Tripwire.WAKE;
        this.dataTrip = unit.arm(rx, Tripwire.Options.word(WRITE_PTR).actions(dataActions).cookie(id));
        this.spaceTrip = unit.arm(rx, Tripwire.Options.at(PEER_READ_PTR, 128).actions(Tripwire.WAKE).cookie(id));
    }

    /** @return bytes a receive region with a ring of {@code ringCapacity} bytes needs */
    static long regionBytes(final int ringCapacity) {
        return RING + (long) ringCapacity;
    }

    /** @return the id carried as the cookie of this connection's events ({@link Mode#EVENTS}) */
    public long id() {
        return id;
    }

    /** @return a description: the service and the two regions */
    public String name() {
        return name;
    }

    /** @return the unit whose event queue signals this connection */
    public TripwireUnit unit() {
        return unit;
    }

    /** @return the largest message this connection sends: half the peer's ring, less the record header */
    public int maxMessage() {
        return peerCapacity / 2 - 8;
    }

    // ------------------------------------------------------------------------------------ sending

    /**
     * Sends a message if the peer's ring has room now.
     *
     * @return {@code true} if sent, {@code false} if the ring is full (nothing was written)
     * @throws PeerGoneException        if the peer closed or its process died
     * @throws IllegalArgumentException if the message is longer than {@link #maxMessage()}
     */
    public boolean offer(final byte[] src, final int offset, final int length) {
        final long at = reserve(length, -1);
        if (at < 0) {
            return false;
        }
        try {
            tx.put(RING + at + 8, src, offset, length);
        } catch (final StaleRegionException e) {
            throw peerGone();
        }
        commit(length);
        return true;
    }

    /** Sends a whole array; see {@link #send(byte[], int, int, long, TimeUnit)}. */
    public void send(final byte[] src, final long timeout, final TimeUnit unit) {
        send(src, 0, src.length, timeout, unit);
    }

    /**
     * Sends a message, waiting (with the connection's wait strategy) while the peer's ring is full.
     *
     * @throws SendTimeoutException if the ring stayed full for the whole timeout (nothing was written)
     * @throws PeerGoneException    if the peer closed or died meanwhile
     */
    public void send(final byte[] src, final int offset, final int length, final long timeout, final TimeUnit unit) {
        final long at = reserve(length, unit.toNanos(timeout));
        try {
            tx.put(RING + at + 8, src, offset, length);
        } catch (final StaleRegionException e) {
            throw peerGone();
        }
        commit(length);
    }

    /** Sends the remaining bytes of a buffer, waiting while the ring is full; see {@link #send(byte[], int, int, long, TimeUnit)}. */
    public void send(final ByteBuffer src, final long timeout, final TimeUnit unit) {
        final int length = src.remaining();
        final long at = reserve(length, unit.toNanos(timeout));
        try {
            tx.put(RING + at + 8, src);
        } catch (final StaleRegionException e) {
            throw peerGone();
        }
        commit(length);
    }

    /**
     * Sends {@code length} bytes of a Chronicle store from {@code offset} (native stores are copied
     * directly), waiting while the ring is full; see {@link #send(byte[], int, int, long, TimeUnit)}.
     */
    public void send(final BytesStore<?, ?> src, final long offset, final int length, final long timeout,
                     final TimeUnit unit) {
        final long at = reserve(length, unit.toNanos(timeout));
        try {
            tx.put(RING + at + 8, src, offset, length);
        } catch (final StaleRegionException e) {
            throw peerGone();
        }
        commit(length);
    }

    /**
     * Makes room for a record and writes its header: waits up to {@code timeoutNanos} for room, or
     * with a negative timeout returns -1 at once if there is none.
     *
     * @return the ring index of the record
     */
    private long reserve(final int length, final long timeoutNanos) {
        checkLength(length);
        final long need = recordBytes(length);
        if (!hasRoom(need)) {
            if (timeoutNanos < 0) {
                checkPeer();
                return -1;
            }
            awaitRoom(need, timeoutNanos);
        }
        try {
            final long at = placeRecord(need);
            tx.putLong(RING + at, length & 0xFFFFFFFFL);
            return at;
        } catch (final StaleRegionException e) {
            throw peerGone();
        }
    }

    /** Publishes the record written after {@link #reserve}: the peer's data tripwire fires here. */
    private void commit(final int length) {
        try {
            publish(recordBytes(length));
        } catch (final StaleRegionException e) {
            throw peerGone();
        }
    }

    /** Pads to the ring's start if the record would wrap; returns the ring index to write at. */
    private long placeRecord(final long need) {
        final long index = writePos & (peerCapacity - 1);
        final long contiguous = peerCapacity - index;
        if (contiguous < need) {
            tx.putLong(RING + index, PAD & 0xFFFFFFFFL);
            writePos += contiguous;
            return 0;
        }
        return index;
    }

    private void publish(final long need) {
        writePos += need;
        tx.putLongOrdered(WRITE_PTR, writePos);   // the data tripwire of the peer fires here
    }

    private static long recordBytes(final int length) {
        return (8L + length + 7) & ~7L;
    }

    private void checkOpen() {
        if (closed) {
            throw new org.softclan.dsm.ClosedException("connection " + name + " is closed");
        }
    }

    private void checkLength(final int length) {
        checkOpen();
        if (peerClosed()) {
            throw peerGone();
        }
        if (length < 0 || length > maxMessage()) {
            throw new IllegalArgumentException("connection " + name + ": message of " + length
                + " bytes; the most this connection carries is " + maxMessage() + " bytes (half the peer's ring)");
        }
    }

    /** Room for a record and, in the worst case, the padding to the ring's start before it. */
    private boolean hasRoom(final long need) {
        final long index = writePos & (peerCapacity - 1);
        final long worst = need + (peerCapacity - index < need ? peerCapacity - index : 0);
        if (writePos + worst - shadowPeerRead <= peerCapacity) {
            return true;
        }
        shadowPeerRead = UNSAFE.getLongVolatile(null, rxBase + PEER_READ_PTR);
        return writePos + worst - shadowPeerRead <= peerCapacity;
    }

    private void awaitRoom(final long need, final long timeoutNanos) {
        final long deadline = System.nanoTime() + timeoutNanos;
        while (true) {
            final long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new SendTimeoutException("connection " + name + ": the peer's ring stayed full for "
                    + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms (the peer is not reading)");
            }
            final long slice = Math.min(left, TimeUnit.MILLISECONDS.toNanos(LIVENESS_SLICE_MS));
            if (strategy.await(() -> hasRoom(need), unit.events(), slice)) {
                return;
            }
            checkPeer();
        }
    }

    // ---------------------------------------------------------------------------------- receiving

    /**
     * Hands up to {@code limit} waiting messages to {@code handler}, in order, in place.
     *
     * @return the number of messages handled (0 if none)
     * @throws PeerGoneException if none are waiting and the peer has closed or died
     */
    public int poll(final MessageHandler handler, final int limit) {
        checkOpen();
        final long written = UNSAFE.getLongVolatile(null, rxBase + WRITE_PTR);
        int n = 0;
        while (readPos < written && n < limit) {
            final long index = readPos & (capacity - 1);
            final int length = (int) UNSAFE.getLong(rxBase + RING + index);
            if (length == PAD) {
                readPos += capacity - index;
                continue;
            }
            handler.onMessage(rxBytes, RING + index + 8, length);
            readPos += recordBytes(length);
            n++;
        }
        if (n > 0) {
            if (readPos - publishedReadPos >= capacity / 4 || readPos == written) {
                publishedReadPos = readPos;
                try {
                    tx.putLongOrdered(PEER_READ_PTR, readPos);   // the sender's space tripwire fires here
                } catch (final StaleRegionException peerGone) {
                    // the sender closed after sending: what it sent is still delivered
                }
            }
        } else if (written == readPos && peerClosed()) {
            throw peerGone();
        }
        return n;
    }

    /** @return whether a message is waiting (acquire) */
    public boolean hasMessage() {
        return !closed && UNSAFE.getLongVolatile(null, rxBase + WRITE_PTR) > readPos;
    }

    /**
     * Waits for messages and hands up to {@code limit} of them to {@code handler}.
     *
     * @return the number handled, 0 if none came within the timeout
     * @throws PeerGoneException if the peer closed or died while nothing was waiting
     */
    public int receive(final MessageHandler handler, final int limit, final long timeout, final TimeUnit unit) {
        final long deadline = System.nanoTime() + unit.toNanos(timeout);
        while (true) {
            final int n = poll(handler, limit);
            if (n > 0) {
                return n;
            }
            final long left = deadline - System.nanoTime();
            if (left <= 0) {
                return 0;
            }
            if (!strategy.await(this::hasMessage, this.unit.events(), Math.min(left,
                TimeUnit.MILLISECONDS.toNanos(LIVENESS_SLICE_MS)))) {
                checkPeer();
            }
        }
    }

    // ------------------------------------------------------------------------------------ liveness

    /** @return whether the peer has closed its end (volatile read of this end's memory) */
    public boolean peerClosed() {
        checkOpen();
        return UNSAFE.getLongVolatile(null, rxBase + PEER_CLOSED) != 0;
    }

    /**
     * Checks that the peer has not closed and its process is alive (a few microseconds: it asks the
     * OS). Waits do this every {@value #LIVENESS_SLICE_MS} ms; event loops call it now and then.
     *
     * @throws PeerGoneException if it has closed or died
     */
    public void checkPeer() {
        if (peerClosed() || !tx.isValid() || !tx.ownerAlive()) {
            throw peerGone();
        }
    }

    private PeerGoneException peerGone() {
        final String what = peerClosed() ? "closed the connection"
            : !tx.isValid() ? "removed its receive region" : "died (process " + tx.owner().pid() + " is gone)";
        return new PeerGoneException("connection " + name + ": the peer " + tx.owner() + " " + what);
    }

    /**
     * Closes this end: tells the peer (which sees {@link PeerGoneException} once it has read what was
     * sent), disarms the tripwires, removes the receive region. Idempotent. Synchronized on this
     * connection, so a sender that holds its monitor finishes first; threads must not use the
     * connection after this returns (they get {@link org.softclan.dsm.ClosedException}).
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            tx.putLongVolatile(PEER_CLOSED, 1);
        } catch (final StaleRegionException | org.softclan.dsm.ClosedException gone) {
            // the peer is gone already
        }
        dataTrip.disarm();
        spaceTrip.disarm();
        tx.close();
        rx.close();
        if (ownsUnit) {
            unit.close();
        }
    }

    @Override
    public String toString() {
        return "connection " + name;
    }
}
