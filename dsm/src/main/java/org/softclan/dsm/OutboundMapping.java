package org.softclan.dsm;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * An importer's mapping of another endpoint's region: remote memory it writes into (and may read,
 * slowly, as CLAN allowed). Every transfer goes through the NIC write path: bounds check, a check that
 * the region is still the generation imported, the {@link Link}, then the {@link SnoopHook}.
 *
 * <p><b>DMA ordering</b>: a PIO access (read or write) through this mapping that starts after
 * {@link DmaEngine#write} or {@link DmaEngine#read} returned for a transfer on this mapping takes
 * effect only after that transfer has completed. So "DMA the payload, then PIO the pointer" is safe
 * without waiting for the DMA's completion: a reader that sees the pointer sees the payload.
 *
 * <p><b>Stale regions</b>: if the owner removes or re-creates the region, or dies, the next transfer
 * fails with {@link StaleRegionException}. The check is one load of a header word that only changes
 * then; a dead owner's regions are revoked in that word within about {@value OwnerWatchdog#PERIOD_MS} ms by
 * a watchdog thread of any importing JVM (see {@code OwnerWatchdog}), with no system call per write.
 */
public final class OutboundMapping extends Mapping {
    private static final VarHandle PENDING;

    static {
        try {
            PENDING = MethodHandles.lookup().findVarHandle(OutboundMapping.class, "dmaPending", long.class);
        } catch (final ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Endpoint endpoint;
    private final OwnerId owner;
    /** DMA transfers in flight on this mapping; written by the DMA engine only while DMA is active. */
    private volatile long dmaPending;
    /** The engine that last issued a command on this mapping: a PIO waiting for DMA runs it if it is an invoker. */
    private volatile DmaEngine dmaEngine;

    /** The link to another host's region, or {@code null} for a region of this host. */
    private final RemoteLink remote;
    /** Why a region of another host can no longer be reached ({@link #revokeRemote}), or {@code null}. */
    private volatile String remoteRevoked;

    OutboundMapping(final Endpoint endpoint, final String regionName, final long generation, final long size,
                    final long sidecarSize, final OwnerId owner, final MappedRegion file, final Link link) {
        super(regionName, generation, size, sidecarSize, file, link);
        this.endpoint = endpoint;
        this.owner = owner;
        this.remote = null;
        installSnoop(endpoint.initialSnoopHook(this));
        OwnerWatchdog.watch(this);
    }

    /**
     * A mapping of another host's region ({@code NAME@HOST}): no local memory but {@code header}, which
     * stands in for the region's header (its state word says whether the region can still be reached).
     * Not snooped here (the owner's host snoops the writes it applies) and not watched by the
     * {@link OwnerWatchdog} (the link revokes it).
     */
    OutboundMapping(final Endpoint endpoint, final String regionName, final RemoteLink link, final MappedRegion header) {
        super(regionName, link.generation(), link.size(), 0, header, link);
        this.endpoint = endpoint;
        this.owner = new OwnerId(0, 0, "the agent of host '" + link.host() + "'");
        this.remote = link;
        header.writeHeaderInt(RegionLayout.STATE_OFFSET, RegionLayout.STATE_ACTIVE);
        link.opened(this);
    }

    /** {@return whether the region is another host's, reached through a {@link RemoteLink}} */
    public boolean isRemote() {
        return remote != null;
    }

    /** {@return the owner's host of a region of another host, or {@code null} for a region of this host} */
    public String remoteHost() {
        return remote == null ? null : remote.host();
    }

    /**
     * {@return why a mapping of another host's region was revoked ({@link #revokeRemote}), or {@code null} if
     * it was not (or the region is this host's)}
     */
    public String remoteRevocation() {
        return remoteRevoked;
    }

    /**
     * Revokes a mapping of another host's region: every later transfer through it fails with a
     * {@link StaleRegionException} saying {@code reason}. Called by the {@link RemoteLink} when the owner
     * refused a write as stale or its host stopped answering. Idempotent (the first reason stays).
     *
     * @param reason why the region can no longer be reached, for the exception's message
     * @throws IllegalStateException if this mapping is of a region of this host (its owner revokes those)
     */
    public void revokeRemote(final String reason) {
        if (remote == null) {
            throw new IllegalStateException(describe() + " is a region of this host: only its owner revokes it");
        }
        synchronized (this) {
            if (remoteRevoked == null) {
                remoteRevoked = reason;
            }
            if (!isClosed()) {
                file.writeHeaderInt(RegionLayout.STATE_OFFSET, RegionLayout.STATE_REVOKED);
            }
        }
    }

    /**
     * Called by the {@link OwnerWatchdog} when this region's owner died: revokes the region in its shared
     * header, so every importer's next transfer fails with {@link StaleRegionException}. Does nothing
     * once this mapping is closed or the region is no longer active.
     */
    void revokeForDeadOwner() {
        synchronized (this) {
            if (!isClosed() && headerState() == RegionLayout.STATE_ACTIVE) {
                OwnerWatchdog.revoke(header);
            }
        }
    }


    @Override
    String kind() {
        return "outbound";
    }

    /** {@return the endpoint that imported the region} */
    public Endpoint endpoint() {
        return endpoint;
    }

    /** {@return the region's owner as recorded when it was exported} */
    public OwnerId owner() {
        return owner;
    }

    /** {@return whether the owning process is still running} */
    public boolean ownerAlive() {
        return remote != null ? remote.isReachable() && remoteRevoked == null : owner.isAlive();
    }

    /**
     * Tells whether transfers through this mapping can still reach the region (one read of its state
     * word).
     *
     * @return whether the region is still the generation imported (not removed or re-created); a
     *         closed mapping is not valid
     */
    public boolean isValid() {
        try {
            return !isClosed() && headerState() == RegionLayout.STATE_ACTIVE;
        } catch (final InternalError e) {
            throw fault(e, "noticed reading the region's state word");
        }
    }

    /**
     * Installs the snoop hook called for every transfer through this mapping, or removes it with
     * {@code null}. Takes effect for transfers that start after this call returns.
     *
     * A mapping of another host's region is not snooped here (its host snoops the writes it applies):
     * the call does nothing.
     *
     * @param hook the hook, or {@code null} for none (the mapping's transfers are then not snooped)
     */
    public void snoopHook(final SnoopHook hook) {
        if (remote != null) {
            return;   // another host's region: its own host snoops what it applies
        }
        endpoint.snoopHookReplaced(this, hook);
    }

    /**
     * What the installed hook had counted ({@link SnoopHook#actions()}) when it was installed here: the
     * endpoint counts only what it counted since. Guarded by the endpoint's statistics lock.
     */
    long snoopBase;

    /** Sets the hook (called by the endpoint, which moves the old hook's count to its totals first). */
    void installSnoop(final SnoopHook hook) {
        snoopBase = hook == null ? 0 : hook.actions();
        this.snoop = hook;
    }

    /** {@return what the installed hook counted since it was installed here (under the endpoint's statistics lock)} */
    long snoopActions() {
        final SnoopHook hook = snoop;
        return hook == null ? 0 : hook.actions() - snoopBase;
    }

    /** {@return the installed snoop hook, or {@code null}} */
    public SnoopHook snoopHook() {
        return snoop;
    }

    @Override
    void beforeRemoteAccess() {
        if (headerState() != RegionLayout.STATE_ACTIVE) {
            throw staleFailure();
        }
        if (dmaPending != 0) {
            awaitDmaDrain();
        }
    }

    StaleRegionException staleFailure() {
        if (remote != null) {
            final String why = remoteRevoked;
            return new StaleRegionException(describe() + " on host '" + remote.host() + "' can no longer be reached: "
                + (why == null ? "the mapping was revoked" : why) + ". Import the region again once it is.");
        }
        final String now = endpoint.fabric().names().describeCurrent(regionName);
        if (!owner.isAlive()) {
            return new StaleRegionException(describe() + ": its owner " + owner + " died after it was imported"
                + " (its liveness lock is released); " + now + ". Import the region again once it is re-exported.");
        }
        return new StaleRegionException(describe() + " was " + RegionLayout.stateName(headerState())
            + " by its owner " + owner + " after it was imported; " + now + ". Import the region again.");
    }

    private void awaitDmaDrain() {
        int spins = 0;
        while (dmaPending != 0) {
            final DmaEngine e = dmaEngine;
            if (e != null && e.isRunner()) {
                throw new DsmException("a PIO access to " + describe() + " from the thread running the queue of " + e
                    + " (a snoop hook?) would wait for DMA pending on the mapping, which that queue holds: the"
                    + " thread would wait for itself. Make the access from another thread");
            }
            if (e != null && e.runQueue()) {
                continue;   // an invoker engine: this thread ran its queue
            }
            if (++spins < 1_000) {
                Thread.onSpinWait();
            } else if (spins < 2_000) {
                Thread.yield();
            } else {
                LockSupport.parkNanos(20_000);
            }
        }
    }

    // ----------------------------------------------------------------------- DMA engine entry points

    void dmaIssued(final DmaEngine engine) {
        final DmaEngine before = dmaEngine;
        if (before != engine) {
            // a waiting PIO access runs or wakes only the last engine: hand the previous one what it has
            // queued (a batch not yet rung), so no command pending here is left without a runner
            if (before != null && dmaPending != 0) {
                before.doorbell();
            }
            dmaEngine = engine;
        }
        PENDING.getAndAdd(this, 1L);
    }

    void dmaRetired() {
        PENDING.getAndAdd(this, -1L);
    }

    /** One DMA burst into the region: checked, stored through the link, snooped. */
    void dmaBurstWrite(final long offset, final Object srcBase, final long srcOffset, final long length) {
        try {
            checkBounds(offset, length);
            if (headerState() != RegionLayout.STATE_ACTIVE) {
                throw staleFailure();
            }
            link.write(this, offset, srcBase, srcOffset, length);
            snoopWrite(offset, length);   // counted by the engine, not as PIO
        } catch (final InternalError e) {
            throw fault(e, offset, length);
        }
    }

    /** One DMA burst out of the region (a remote read). */
    void dmaBurstRead(final long offset, final Object dstBase, final long dstOffset, final long length) {
        try {
            checkBounds(offset, length);
            if (headerState() != RegionLayout.STATE_ACTIVE) {
                throw staleFailure();
            }
            link.read(this, offset, dstBase, dstOffset, length);
        } catch (final InternalError e) {
            throw fault(e, offset, length);
        }
    }

    /** How long {@link #close()} waits for DMA transfers still writing into this mapping, in ms. */
    static final int CLOSE_DMA_WAIT_MS = 2_000;

    /**
     * Unmaps this mapping; the region itself is untouched. Idempotent. Waits first (up to
     * {@value #CLOSE_DMA_WAIT_MS} ms) for DMA transfers queued on this mapping to retire, so the engine
     * never writes into memory unmapped under it. Then tells the snoop hook ({@link SnoopHook#detach}).
     */
    @Override
    public void close() {
        if (remote == null) {
            OwnerWatchdog.forget(this);
        }
        final long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(CLOSE_DMA_WAIT_MS);
        while (dmaPending != 0 && deadline - System.nanoTime() > 0) {
            final DmaEngine e = dmaEngine;
            if (e == null || !e.runQueue()) {
                LockSupport.parkNanos(20_000);
            }
        }
        synchronized (this) {   // not while the watchdog revokes through this mapping's header
            if (isClosed()) {
                return;
            }
            endpoint.forget(this);
            super.close();
        }
        if (remote != null) {
            remote.closed(this);
        }
        final SnoopHook hook = snoop;   // first close only: a second one returned above
        if (hook != null) {
            hook.detach(this);
        }
    }
}
