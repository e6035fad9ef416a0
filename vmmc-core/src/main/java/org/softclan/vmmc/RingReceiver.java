package org.softclan.vmmc;

import static org.softclan.vmmc.ReceiveRegionDescriptor.*;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import net.openhft.chronicle.bytes.BytesStore;
import org.softclan.dsm.InboundMapping;
import org.softclan.dsm.OutboundMapping;
import org.softclan.dsm.SharedMemory;
import org.softclan.tripwire.TripwireUnit;
import org.softclan.tripwire.WaitStrategy;

/**
 * The receiving role of a {@link Connection}: reads records in place from this end's ring, checks every
 * word the peer wrote before an address is computed from it, keeps held records, and publishes the read
 * position back to the sender. Used by the connection's one receiving thread (and, for
 * {@link #release0}, by any thread under the holds' lock); the connection's close gate is around every
 * call, so nothing here runs on unmapped memory.
 *
 * <p><b>Checks</b>: the write pointer is 8-byte aligned and at most a ring ahead of the read position;
 * a record's length lies within the largest payload ({@code capacity / 2 - 8}), the unread bytes and
 * the bytes before the ring's end; a wrap marker skips only written bytes. A word that breaks one is a
 * {@link PeerProtocolException} naming the field and the value (recorded by the connection, which is
 * broken from then on); nothing past it is handed to a handler.
 *
 * <p><b>Publishing the read position</b>: after each poll that consumed something, the bound (the read
 * position, or the oldest record still held) goes to {@link LazyReadPosition}, the receiver's half of the
 * lazy read-position protocol.
 */
final class RingReceiver {
    private final Connection connection;
    /** The connection's liveness checks and the reports of the peer's faults. */
    private final ConnectionHealth health;
    private final InboundMapping rx;
    /** This end's receive region, read and written here without the NIC (it is this end's memory). */
    private final SharedMemory local;
    private final BytesStore<?, Void> rxBytes;
    private final int capacity;
    /** The longest payload a record of this ring may claim: {@code capacity / 2 - 8}. */
    private final int maxRecordPayload;

    /** Bytes of the ring consumed (records handed to handlers, wrap markers skipped). */
    long readPos;
    /** Messages handed out since the connection opened (the receiving thread's; read racily for statistics). */
    long received;
    /** Receives that waited for data (the receiving thread's; read racily for statistics). */
    long dataWaits;
    /** How {@link #receive} waits, and the unit whose queue the data tripwire signals. */
    private final WaitStrategy strategy;
    private final TripwireUnit unit;
    /** What ends a receive's wait: a message or a violation to report, or this end closed. */
    private final BooleanSupplier messageOrClosed;
    /** The receiver's half of the lazy read-position protocol. */
    private final LazyReadPosition position;
    /**
     * Set by the first {@link #hold()} (on the receiving thread, inside a handler): from then on the read
     * pointer is published under the holds' lock, as {@link #release0(long, boolean)} may run on another
     * thread.
     */
    private boolean holdsUsed;
    /** Position of the record being handled, -1 outside a handler. */
    long currentStart = -1;
    private long currentEnd;
    /** Held records, oldest first; guarded by itself. */
    private final HeldRecords holds = new HeldRecords();

    RingReceiver(final Connection connection, final ConnectionHealth health, final InboundMapping rx,
                 final OutboundMapping tx, final int capacity, final WaitStrategy strategy, final TripwireUnit unit) {
        this.connection = connection;
        this.strategy = strategy;
        this.unit = unit;
        this.messageOrClosed = () -> connection.isClosed() || connection.violation != null || hasUnread();
        this.health = health;
        this.rx = rx;
        this.local = SharedMemory.of(rx, 0, rx.size());
        this.rxBytes = rx.localBytes();
        this.capacity = capacity;
        this.maxRecordPayload = capacity / 2 - 8;
        this.position = new LazyReadPosition(local, tx, capacity);
    }

    /** @return whether the peer's write pointer (acquire) is ahead of this end's read position */
    boolean hasUnread() {
        return local.getLongVolatile(WRITE_POINTER_OFFSET) != readPos;
    }

    /**
     * The polling loop, kept under the JIT's inlining limit for hot methods: its cold paths are calls.
     * Hands up to {@code limit} records to {@code handler}, in order, in place.
     *
     * @return the number handled
     * @throws PeerProtocolException if a word the peer wrote breaks the protocol
     * @throws PeerGoneException     if nothing is waiting and the peer has closed or died
     */
    int poll(final MessageHandler handler, final int limit) {
        connection.checkOpen();
        final long written = local.getLongVolatile(WRITE_POINTER_OFFSET);
        // one test for "0 <= written - readPos <= capacity, 8-byte aligned" (unsigned: a pointer behind is huge)
        if (Long.compareUnsigned(written - readPos, capacity) > 0 | (written & 7) != 0) {
            throw badWritePointer(written);
        }
        int n = 0;
        final long ring = local.address() + RING_OFFSET;   // once: the window's address is not reloaded per record
        while (readPos < written && n < limit) {
            final long index = readPos & (capacity - 1);
            final int length = (int) SharedMemory.getLongAt(ring + index);
            final long contiguous = capacity - index;
            final long unread = written - readPos;
            if (length == PAD_LENGTH) {
                if (contiguous > unread) {
                    throw badWrap(contiguous, unread);
                }
                readPos += contiguous;
                continue;
            }
            if (!recordFits(length, contiguous, unread)) {
                throw badLength(length, unread, contiguous);
            }
            currentStart = readPos;
            currentEnd = readPos + recordLength(length);
            handler.onMessage(rxBytes, RING_OFFSET + index + 8, length);
            currentStart = -1;
            readPos = currentEnd;
            n++;
        }
        if (n > 0) {
            received += n;
            publishReadPos(readPos == written);
        } else if (written == readPos) {
            health.checkPeerClosed();
        }
        return n;
    }

    /**
     * Polls, and while nothing came waits with the connection's strategy on its unit's queue, re-checking
     * every {@value Connection#LIVENESS_SLICE_MS} ms that the peer is alive.
     *
     * @param timeoutNanos how long to wait for the first message (ns)
     * @return the number handled, 0 if none came within the timeout
     * @throws PeerGoneException if the peer closed or died while nothing was waiting
     */
    int receive(final MessageHandler handler, final int limit, final long timeoutNanos) {
        final long deadline = System.nanoTime() + timeoutNanos;
        while (true) {
            final int n = poll(handler, limit);
            if (n > 0) {
                return n;
            }
            final long left = deadline - System.nanoTime();
            if (left <= 0) {
                return 0;
            }
            dataWaits++;
            if (!strategy.await(messageOrClosed, unit.events(), Math.min(left,
                TimeUnit.MILLISECONDS.toNanos(Connection.LIVENESS_SLICE_MS)))) {
                health.checkAlive();
            }
        }
    }

    /** @return whether a record of {@code length} bytes is one this ring can hold where it lies */
    private boolean recordFits(final int length, final long contiguous, final long unread) {
        // unsigned: a negative length is larger than any record
        return Integer.compareUnsigned(length, maxRecordPayload) <= 0 && recordLength(length) <= Math.min(contiguous, unread);
    }

    // the protocol errors poll finds, built out of line: the polling loop stays small enough to inline

    private PeerProtocolException badWritePointer(final long written) {
        return health.violation("ring of '" + rx.regionName() + "'", "write pointer (offset " + WRITE_POINTER_OFFSET
            + ")", written, "it must be 8-byte aligned and at most the ring's " + capacity
                + " bytes ahead of the read position " + readPos);
    }

    private PeerProtocolException badWrap(final long contiguous, final long unread) {
        return health.violation("ring of '" + rx.regionName() + "'", "wrap marker at position", readPos,
            "it skips " + contiguous + " bytes but only " + unread + " are written");
    }

    private PeerProtocolException badLength(final int length, final long unread, final long contiguous) {
        return health.violation("ring of '" + rx.regionName() + "'", "record length at position " + readPos, length,
            "a record holds 0 to " + maxRecordPayload + " bytes and lies within the " + unread
                + " written bytes and the " + contiguous + " bytes before the ring's end");
    }

    /** Publishes how far the sender may reuse the ring: up to the oldest held record, else all read. */
    private void publishReadPos(final boolean drained) {
        if (!holdsUsed) {
            position.publish(readPos, drained);   // no record was ever held: only the receiving thread publishes
            return;
        }
        synchronized (holds) {
            position.publish(holds.isEmpty() ? readPos : holds.oldestStart(), drained);
        }
    }

    /** See {@link Connection#hold()}. */
    long hold() {
        if (currentStart < 0) {
            throw new IllegalStateException("connection " + connection.name() + ": hold() outside a message handler");
        }
        holdsUsed = true;
        synchronized (holds) {
            holds.add(currentStart);
        }
        return currentStart;
    }

    /**
     * Releases a held record (any thread); publishes the new bound unless {@code closed}.
     *
     * @throws IllegalArgumentException if the token was never a held record
     */
    void release0(final long token, final boolean closed) {
        synchronized (holds) {
            if (!holds.release(token)) {
                if (token >= 0 && token < readPos) {
                    return;   // released already
                }
                throw new IllegalArgumentException("connection " + connection.name() + ": " + token + " is not a held record");
            }
            if (!closed) {
                publishReadPos(true);
            }
        }
    }

    /** @return records held and not yet released */
    int held() {
        synchronized (holds) {
            return holds.unreleased();
        }
    }
}
