package org.softclan.vmmc;

import static org.softclan.vmmc.ReceiveRegionDescriptor.PEER_CLOSED_OFFSET;

import org.softclan.dsm.RegionFaults;
import org.softclan.dsm.InboundMapping;
import org.softclan.dsm.Mapping;
import org.softclan.dsm.OutboundMapping;
import org.softclan.dsm.RegionTruncatedException;
import org.softclan.dsm.SharedMemory;

/**
 * How a {@link Connection} breaks, and how the break is told to its caller: a protocol violation by the
 * peer ({@link PeerProtocolException}), a receive region cut from outside ({@link PeerGoneException}
 * with a {@link RegionTruncatedException} as its cause), or the peer's going away (closed, died, or
 * removed its region: {@link PeerGoneException} saying which). The first violation or cut is recorded on
 * the connection ({@link #broken}); every later call fails with it.
 *
 * <p><b>Liveness</b>: whether the peer is still there: its closed flag in this end's memory (a volatile
 * read, on the sending and the empty-poll paths: {@link #checkSendable()}, {@link #checkPeerClosed()}),
 * and, every {@value Connection#LIVENESS_SLICE_MS} ms of a wait or when asked
 * ({@link Connection#checkPeer()}), whether its process is alive and both regions are intact
 * ({@link #checkAlive()}: it asks the OS). Apart from the two flag reads, cold paths only: nothing here
 * runs per message.
 */
final class ConnectionHealth {
    /** Translations of faults that keep coming (each delivered inside the previous one's) before giving up. */
    private static final int MAX_LATE_FAULTS = 3;

    private final Connection connection;
    private final String name;
    private final InboundMapping rx;
    private final OutboundMapping tx;
    /** This end's receive region, read here without the NIC (it is this end's memory). */
    private final SharedMemory local;

    /**
     * @param connection the connection whose breaks are recorded ({@link #broken})
     * @param name       the connection's name, for messages
     * @param rx         this end's receive region (the peer's closed flag is there)
     * @param tx         the mapping of the peer's receive region
     */
    ConnectionHealth(final Connection connection, final String name, final InboundMapping rx, final OutboundMapping tx) {
        this.connection = connection;
        this.name = name;
        this.rx = rx;
        this.tx = tx;
        this.local = SharedMemory.of(rx, 0, rx.size());
    }

    /**
     * Records the peer's protocol violation (the connection is broken from now on) and returns it.
     *
     * @param structure what was read ("ring of 'r'")
     * @param field     the word, with its offset
     * @param value     what it held
     * @param rule      what it must be
     * @return the exception to throw
     */
    PeerProtocolException violation(final String structure, final String field, final long value, final String rule) {
        final String message = "connection " + name + ": the peer " + (tx.isRemote() ? "on host '" + tx.remoteHost()
            + "'" : tx.owner()) + " broke the protocol: "
            + structure + " " + field + " is " + value + "; " + rule;
        broken(message);
        final PeerProtocolException e = new PeerProtocolException(message);
        rx.endpoint().stats().recordError(e);   // vmmc stat errors: the first time and the count of each kind
        return e;
    }

    /**
     * Turns a fault on a region cut from outside (an {@link InternalError} the JVM delivers late, or a
     * {@link RegionTruncatedException}) into a broken connection: every later call fails too, and this
     * call throws {@link PeerGoneException} with the region's name and sizes as its cause. Any other error
     * is rethrown as it is.
     *
     * @param e the fault
     * @return the exception to throw
     */
    PeerGoneException cut(final Throwable e) {
        return cut(e, false);
    }

    /**
     * {@link #cut(Throwable)} for a call that touches only this connection's two regions (a look for
     * messages). A fault of another region, when both of this connection's still have their full size (one
     * {@code stat} each), was delivered late from an earlier access of this thread (a wait on a cut
     * doorbell): it is taken here (the region it names is marked known cut, so its user sees the cut at its
     * next access), the connection stays whole, and this returns {@code null}.
     *
     * @param e the fault
     * @return the exception to throw, or {@code null} if the fault was another region's
     */
    PeerGoneException cutOwn(final Throwable e) {
        try {
            return cut(e, true);
        } catch (final ForeignFault foreign) {
            return null;
        }
    }

    /** A fault of a region that is not this connection's (only thrown by {@link #cutOwn}'s translation). */
    private static final class ForeignFault extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ForeignFault() {
            super(null, null, false, false);
        }
    }

    private PeerGoneException cut(final Throwable e, final boolean onlyOwnRegions) {
        Throwable cause = e;
        for (int tries = 0; ; tries++) {
            try {
                return cut0(cause, onlyOwnRegions);
            } catch (final InternalError late) {
                // another fault the JVM held back, delivered inside the translation: explain that one
                if (late == cause || tries == MAX_LATE_FAULTS) {
                    throw late;   // not a cut region's (cut0 rethrew it), or faults keep coming
                }
                cause = late;
            }
        }
    }

    private PeerGoneException cut0(final Throwable e, final boolean onlyOwnRegions) {
        final RegionTruncatedException t = e instanceof RegionTruncatedException r ? drained(r)
            : e instanceof InternalError ie ? RegionFaults.explain(ie) : null;
        if (t == null) {
            if (e instanceof Error err) {
                throw err;
            }
            throw (RuntimeException) e;
        }
        if (onlyOwnRegions && rx.isIntact() && tx.isIntact()) {
            // another region's fault (a doorbell this thread touched before, which the JVM delivered late inside
            // this connection's code), now marked known cut by its translation: this connection is whole
            throw new ForeignFault();
        }
        final String message = "connection " + name + " is broken: " + t.getMessage();
        broken(message);
        final PeerGoneException gone = new PeerGoneException(message);
        gone.initCause(t);
        return gone;
    }

    /** A translated fault may leave another one held back (the access went on past the cut page): take it. */
    private static RegionTruncatedException drained(final RegionTruncatedException r) {
        final InternalError late = RegionFaults.takeHeldBack();
        if (late != null) {
            r.addSuppressed(late);
        }
        return r;
    }

    /** Records the first reason the connection broke (later calls fail with it); keeps an earlier one. */
    void broken(final String message) {
        synchronized (this) {
            if (connection.violation == null) {
                connection.violation = message;
            }
        }
    }

    /**
     * {@return why a call on a closed or broken connection fails}
     *
     * @param closed whether this end is closed (that is said first)
     */
    RuntimeException notOpen(final boolean closed) {
        if (closed) {
            return new org.softclan.dsm.ClosedException("connection " + name + " is closed");
        }
        return new PeerProtocolException(connection.violation);
    }

    // ------------------------------------------------------------------------------------ liveness

    /**
     * For a thread inside the connection: whether the peer has closed its end (volatile read of this
     * end's memory).
     *
     * @throws org.softclan.dsm.ClosedException if this end is closed
     * @throws PeerProtocolException            if the connection is broken
     */
    boolean peerClosed() {
        connection.checkOpen();
        return local.getLongVolatile(PEER_CLOSED_OFFSET) != 0;
    }

    /**
     * Nothing to read: a closed peer is reported now (by the receiver, on an empty poll).
     *
     * @throws PeerGoneException if the peer closed its end
     */
    void checkPeerClosed() {
        if (peerClosed()) {
            throw peerGone();
        }
    }

    /**
     * For a thread that has entered the sending role (which checked the closed flag): throws if the peer
     * broke the protocol or closed its end (two volatile reads).
     *
     * @throws PeerProtocolException if the connection is broken
     * @throws PeerGoneException     if the peer closed its end
     */
    void checkSendable() {
        final String violation = connection.violation;
        if (violation != null) {
            throw new PeerProtocolException(violation);
        }
        if (local.getLongVolatile(PEER_CLOSED_OFFSET) != 0) {
            throw peerGone();
        }
    }

    /** {@return why the peer is gone, for a thread inside the connection; see {@link #peerGone(boolean)}} */
    PeerGoneException peerGone() {
        return peerGone(peerClosed());
    }

    /**
     * As {@link Connection#checkPeer()}: {@link #checkAlive()} for a caller outside the connection,
     * passing its close gate, with a fault on a cut region told as the broken connection.
     */
    void checkPeer() {
        for (int tries = 0; ; tries++) {
            try {
                connection.enter(CloseGate.OTHER);
                try {
                    checkAlive();
                } finally {
                    connection.leave(CloseGate.OTHER);
                }
                return;
            } catch (final InternalError fault) {
                // a page that is gone: this end's region, or a fault of another region (a doorbell this thread
                // waited on, another connection's ring) that the JVM held back and delivered in this check;
                // the check only reads, so with both receive regions whole it is made again
                if (tries < MAX_LATE_FAULTS && rx.isIntact() && tx.isIntact()) {
                    RegionFaults.explain(fault);   // marks the region that was cut
                    continue;
                }
                throw cut(fault);
            }
        }
    }

    /**
     * For a thread inside the connection: checks that the peer has not closed, its process is alive and
     * both receive regions still have their full size; see {@link #checkAlive(boolean)}.
     */
    void checkAlive() {
        checkAlive(peerClosed());
    }

    /**
     * Says why the peer is gone. A dead owner's region is revoked by the importers' watchdog too, so its
     * death is asked about before the region's removal.
     *
     * @param peerClosed whether the peer's closed flag is set in this end's memory
     * @return the exception to throw
     */
    PeerGoneException peerGone(final boolean peerClosed) {
        if (tx.isRemote()) {
            final String why = tx.remoteRevocation();
            return new PeerGoneException("connection " + name + ": the peer on host '" + tx.remoteHost() + "' "
                + (peerClosed ? "closed the connection" : "can no longer be reached: " + (why != null ? why
                : "its host's agent is not heard from")));
        }
        final String what = peerClosed ? "closed the connection"
            : !tx.ownerAlive() ? "died (its liveness lock is released; it ran as process " + tx.owner().pid()
                + " in its own PID namespace)"
            : "removed its receive region";
        return new PeerGoneException("connection " + name + ": the peer " + tx.owner() + " " + what);
    }

    /**
     * Checks that the peer has not closed, its process is alive and both receive regions still have their
     * full size (a few microseconds: it asks the OS).
     *
     * @param peerClosed whether the peer's closed flag is set in this end's memory
     * @throws PeerGoneException if the peer closed or died, or (with the cut as its cause) a receive
     *                           region's file was cut from outside: the connection is broken from then on
     */
    private void checkAlive(final boolean peerClosed) {
        if (peerClosed || !tx.isValid() || !tx.ownerAlive()) {
            throw peerGone(peerClosed);
        }
        // a region cut from outside breaks the connection here, not with a fault at a later access
        try {
            rx.checkIntact();
            tx.checkIntact();
        } catch (final RegionTruncatedException e) {
            throw cut(e);
        }
    }
}
