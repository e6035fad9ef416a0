package org.softclan.vmmc;

import static org.softclan.vmmc.ReceiveRegionDescriptor.PEER_CLOSED_OFFSET;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

import org.softclan.dsm.RegionFaults;
import org.softclan.dsm.InboundMapping;
import org.softclan.dsm.Mapping;
import org.softclan.dsm.OutboundMapping;
import org.softclan.tripwire.Tripwire;
import org.softclan.tripwire.TripwireUnit;

/**
 * The close sequence of a {@link Connection}, and the release of its memory once no thread is inside.
 *
 * <p>The gate every call passes is {@link CloseGate}, the connection's superclass.
 *
 * <p><b>Sequence</b> (the first close; a concurrent second one waits for it, bounded): counted in (by
 * {@code markClosed}, before the flag is set, so no thread that sees the flag finds the gate idle);
 * tell the peer (its closed flag, unless the peer's region was cut); disarm the tripwires (unless this
 * end's region or the unit's queue was cut: an atomic on a cut page is a SIGBUS the JVM does not turn into
 * an exception); wake every waiter, again every millisecond, until the others have left or
 * {@value Connection#CLOSE_WAIT_MS} ms have passed; count itself out; release if no one is inside.
 *
 * <p><b>Release</b> happens once ({@code released}, a compare-and-set): both mappings are unmapped and
 * an owned unit is closed, by close, or by the last thread to leave a closed connection.
 *
 * <p><b>Holds</b>: from its construction to its release, the connection {@linkplain Mapping#retain()
 * holds} both mappings and its unit's event queue. Someone else closing them meanwhile (the endpoint's
 * close, which gives this connection's close a bounded time and then goes on; a shared unit's owner)
 * ends access through them but leaves the memory mapped until the release: a thread still inside, or a
 * close still disarming, never touches unmapped memory.
 */
final class ConnectionCloser {
    private final Connection connection;
    private final AtomicLongArray inside;
    private final InboundMapping rx;
    private final OutboundMapping tx;
    private final TripwireUnit unit;
    private final boolean ownsUnit;
    private final Tripwire dataTrip;
    private final Tripwire spaceTrip;
    /** Set once the mappings (and an owned unit) are released: by close or by the last thread to leave. */
    private final AtomicBoolean released = new AtomicBoolean();
    /** Opened when the first close has finished: a second, concurrent close waits for it. */
    private final CountDownLatch closeDone = new CountDownLatch(1);

    ConnectionCloser(final Connection connection, final InboundMapping rx,
                     final OutboundMapping tx, final TripwireUnit unit, final boolean ownsUnit, final Tripwire dataTrip,
                     final Tripwire spaceTrip) {
        this.connection = connection;
        this.inside = connection.inside;
        this.rx = rx;
        this.tx = tx;
        this.unit = unit;
        this.ownsUnit = ownsUnit;
        this.dataTrip = dataTrip;
        this.spaceTrip = spaceTrip;
        final boolean rxHeld = rx.retain();
        final boolean txHeld = rxHeld && tx.retain();
        final boolean queueHeld = txHeld && unit.events().retain();
        if (!queueHeld) {
            if (txHeld) {
                tx.release();
            }
            if (rxHeld) {
                rx.release();
            }
            throw new org.softclan.dsm.ClosedException("connection " + connection.name()
                + ": a mapping or the tripwire unit's queue was closed while the connection was being set up");
        }
    }

    /** Drops the holds taken at construction (once: by the release, or by a construction that failed). */
    void releaseHolds() {
        tx.release();
        rx.release();
        unit.events().release();
    }

    /**
     * Runs the close sequence (the connection's flag is already set).
     *
     * @param first whether this call set the flag; otherwise it waits for the first close to finish
     */
    void close(final boolean first) {
        if (!first) {
            awaitClosed();   // a concurrent close (a shutdown hook, the endpoint's close) finishes first
            return;
        }
        try {
            // the first close was counted in by markClosed, before the flag: no thread leaving meanwhile
            // unmaps the memory it uses; it counts itself out below
            try {
                tellPeerAndDisarm();
                final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Connection.CLOSE_WAIT_MS);
                long nextWake = System.nanoTime();
                while (inside.get(Connection.SENDING) + inside.get(Connection.RECEIVING) + inside.get(Connection.OTHER) > 1
                    && deadline - System.nanoTime() > 0) {
                    if (System.nanoTime() - nextWake >= 0) {
                        wakeWaiters();   // again now and then: a waiter may have been about to block
                        nextWake = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1);
                    }
                    LockSupport.parkNanos(50_000);
                }
            } finally {
                inside.decrementAndGet(Connection.OTHER);
            }
            if (!rx.isIntact() || !tx.isIntact() || !unit.events().isIntact()) {
                // a region was cut: a fault of an access above may be held back by the JVM; take it here,
                // before the unmapping below (it came out inside the JDK's close of a file descriptor)
                RegionFaults.takeHeldBack();
            }
            releaseIfIdle();
            rx.endpoint().forgetDependent(connection);
        } finally {
            closeDone.countDown();
        }
    }

    /** Sets the peer's closed flag and disarms both tripwires, touching no region cut from outside (one fstat each). */
    private void tellPeerAndDisarm() {
        try {
            if (tx.isIntact()) {
                tx.putLongVolatile(PEER_CLOSED_OFFSET, 1);
            }
        } catch (final RuntimeException | InternalError gone) {
            // the peer is gone already, or its region was cut
        }
        try {
            // disarming writes the table in rx and reads the unit's event queue
            if (rx.isIntact() && unit.events().isIntact()) {
                dataTrip.disarm();
                spaceTrip.disarm();
            }
        } catch (final RuntimeException | InternalError gone) {
            // the region's table went away, is corrupt or was cut: nothing more to disarm
        }
    }

    /** Unmaps both regions (and an owned unit) once the connection is closed and no thread is inside. */
    void releaseIfIdle() {
        if (!connection.isClosed() || !connection.idle() || !released.compareAndSet(false, true)) {
            return;
        }
        connection.gauges.close();
        tx.close();
        rx.close();
        if (ownsUnit) {
            unit.close();
        }
        releaseHolds();
    }

    /** Rings the unit's doorbell: every thread blocked on its event queue wakes and re-checks. */
    private void wakeWaiters() {
        try {
            unit.events().wakeAllWaiters();
        } catch (final RuntimeException unitClosed) {
            // a shared unit closed by its owner: its waiters were woken by that
        }
    }

    /** Waits (boundedly) until the first close has released everything. */
    private void awaitClosed() {
        try {
            closeDone.await(2L * Connection.CLOSE_WAIT_MS, TimeUnit.MILLISECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
