package org.softclan.dsm;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Tracing a fault on mapped memory to the region whose file was cut, and making the JVM deliver a fault
 * it holds back.
 *
 * <p><b>Why.</b> Another process can cut a region's file short; an access to a mapped page past the
 * file's new end faults. The JVM survives such a fault in a guarded access but reports it as an
 * {@link InternalError} that names no memory, and delivers it <em>asynchronously</em>: a faulting access
 * in compiled code only records the fault; the JVM throws it at the thread's next safepoint poll that has
 * work to do (a handshake, a safepoint), which may lie anywhere after the access, even in the caller's
 * code. So a fault is traced by asking every open mapping of this JVM whether its file is short (one
 * {@code fstat} each), and a fault still held back is pulled out on purpose.
 *
 * <p><b>Pulling a held-back fault out</b> ({@link #drainPendingFault()}): a short-lived helper thread
 * asks this thread for its stack trace, which the JVM does by a handshake with it, while this thread
 * spins in plain Java whose polls lie inside this method's {@code try}: the handshake is processed at one
 * of them, and the held-back fault comes out there, where it is caught. A native call in the loop would
 * let the helper do the handshake on this thread's behalf without it passing a poll, so there is none.
 * Slow (a thread start): only for a path that has already found a fault.
 */
final class FaultTraces {
    /** Every mapping of this JVM not yet closed, so a fault noticed anywhere can be traced to its region. */
    private static final Set<Mapping> OPEN = ConcurrentHashMap.newKeySet();

    private FaultTraces() {
    }

    /**
     * Records a new mapping.
     *
     * @param m the mapping
     */
    static void opened(final Mapping m) {
        OPEN.add(m);
    }

    /**
     * Forgets a closed mapping.
     *
     * @param m the mapping
     */
    static void closed(final Mapping m) {
        OPEN.remove(m);
    }

    /**
     * What a fault means: the regions this JVM maps whose files were cut short.
     *
     * @param first a mapping to ask first (its region named first), or {@code null}
     * @param fault the error the JVM threw
     * @param how   where it was noticed, for the message
     * @return an exception naming the first cut region found (others added as suppressed, and a second
     *         held-back fault too), with {@code fault} as its cause; {@code null} if no open mapping's file
     *         is short
     */
    static RegionTruncatedException explain(final Mapping first, final InternalError fault, final String how) {
        // a second fault the JVM holds back must come out here, not inside the file-size checks below
        final InternalError late = drainPendingFault();
        final List<Mapping> candidates = new ArrayList<>();
        if (first != null) {
            candidates.add(first);
        }
        for (final Mapping m : OPEN) {
            if (m != first) {
                candidates.add(m);
            }
        }
        RegionTruncatedException result = null;
        for (final Mapping m : candidates) {
            if (m.isClosed()) {
                continue;
            }
            final long now = m.file.fileSize();
            if (now >= 0 && now < m.file.length) {
                final RegionTruncatedException t = m.truncated(now, how, fault);
                if (result == null) {
                    result = t;
                } else {
                    result.addSuppressed(t);
                }
            }
        }
        if (result != null && late != null && late != fault) {
            result.addSuppressed(late);
        }
        return result;
    }

    /**
     * Makes the JVM deliver a fault it recorded for this thread but has not thrown yet (see the class
     * comment).
     *
     * @return the fault, or {@code null} if none was pending (after at most about a second)
     */
    static InternalError drainPendingFault() {
        final Thread me = Thread.currentThread();
        final AtomicBoolean done = new AtomicBoolean();
        Thread poker = null;
        try {
            poker = new Thread(() -> {
                me.getStackTrace();
                done.set(true);
            }, "softclan-fault-drain");
            poker.setDaemon(true);
            poker.start();
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            while (!done.get() && System.nanoTime() - deadline < 0) {
                Thread.onSpinWait();
            }
            return null;
        } catch (final InternalError e) {
            return e;
        } finally {
            if (poker != null) {
                try {
                    poker.join(1_000);
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /**
     * The exception for a mapping whose file was cut.
     *
     * @param m        the mapping
     * @param fileSize the file's size now, in bytes
     * @param how      where the cut was noticed
     * @param cause    the fault, or {@code null}
     * @return the exception, naming the region, its file, the file's size and the length mapped
     */
    static RegionTruncatedException truncated(final Mapping m, final long fileSize, final String how, final Throwable cause) {
        return new RegionTruncatedException(m.describe() + ": its file " + m.file.path + " was cut from outside to "
            + fileSize + " bytes, but this process mapped " + m.file.length + " bytes (header "
            + RegionLayout.HEADER_LENGTH + ", data " + m.size + (m.sidecarSize == 0 ? "" : ", sidecar " + m.sidecarSize)
            + "), so accesses past byte " + fileSize + " of the file fault (" + how + "). The region is"
            + " unusable: close this mapping (that is safe) and have its owner export the name anew",
            m.regionName, m.file.path, fileSize, m.file.length, cause);
    }
}
