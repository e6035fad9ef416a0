package org.softclan.dsm;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Tells importers, within about {@value #PERIOD_MS} ms, that the owner of a region they write into has
 * died, with no system call per write. One daemon thread per JVM, running only while this JVM holds
 * outbound mappings: every {@value #PERIOD_MS} ms it probes the liveness of each distinct owner (one
 * probe per owner, however many mappings share it: an open, an {@code fcntl} and a close of the
 * owner's liveness file) and, for a dead owner, revokes the region in its shared header (a
 * compare-and-set of the state word from active to revoked). The NIC's write path already reads that
 * word before every transfer (one load), so the next write of every importer, in this process and in
 * any other, fails with {@link StaleRegionException} naming the dead owner.
 *
 * <p>Revoking a dead owner's header is safe: the liveness lock is released only when the owner's
 * process has ended (or closed the endpoint), so nobody can still read that region as its owner, and a
 * new export of the name creates a new generation with its own header.
 */
final class OwnerWatchdog {
    /** How often owners are probed, in milliseconds. */
    static final int PERIOD_MS = 100;
    private static final Set<OutboundMapping> WATCHED = ConcurrentHashMap.newKeySet();
    private static Thread thread;

    private OwnerWatchdog() {
    }

    /** Starts watching {@code m}'s owner (and the thread, if it is not running). */
    static void watch(final OutboundMapping m) {
        if (m.owner().livenessId() == 0) {
            return;   // an owner without a liveness file (an older version's region): nothing to probe
        }
        WATCHED.add(m);
        synchronized (OwnerWatchdog.class) {
            if (thread == null) {
                thread = new Thread(OwnerWatchdog::run, "softclan-owner-watchdog");
                thread.setDaemon(true);
                thread.start();
            }
        }
    }

    /** Stops watching {@code m} (it is being closed). */
    static void forget(final OutboundMapping m) {
        WATCHED.remove(m);
    }

    private static void run() {
        while (true) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(PERIOD_MS));
            synchronized (OwnerWatchdog.class) {
                if (WATCHED.isEmpty()) {
                    thread = null;   // started again by the next watch
                    return;
                }
            }
            try {
                sweep();
            } catch (final RuntimeException | InternalError e) {
                // a mapping closed or cut meanwhile: the next sweep sees the set as it is then
            }
        }
    }

    /** One round: a probe per distinct owner, a revocation per region of a dead one. */
    static void sweep() {
        final Map<Long, Boolean> alive = new HashMap<>();
        for (final OutboundMapping m : WATCHED) {
            final OwnerId owner = m.owner();
            if (!alive.computeIfAbsent(owner.livenessId(), id -> owner.isAlive())) {
                m.revokeForDeadOwner();
            }
        }
    }

    /** Compare-and-set of a region header's state word from active to revoked. */
    static boolean revoke(final SharedMemory header) {
        return header.compareAndSetInt(RegionLayout.STATE_OFFSET, RegionLayout.STATE_ACTIVE, RegionLayout.STATE_REVOKED);
    }
}
