package org.softclan.tripwire;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import org.softclan.dsm.stat.EndpointStats;

/**
 * This JVM's count of garbage found in shared tripwire state on paths that must not throw (a
 * writer's snoop, the owner's poll), and the last such error. Each error is also recorded in the error
 * log of every open endpoint of this JVM that uses tripwires (one that opened a unit or imported a region
 * through the Tripwire unit's snoop), where {@code vmmc stat errors} shows it, at most 100 a second (a peer
 * that keeps writing garbage is counted, not logged on every write). Off the hot path: touched only when
 * garbage is found.
 */
final class ProtocolErrors {
    private static final AtomicLong COUNT = new AtomicLong();
    private static volatile RuntimeException last;
    /** The error logs errors go to: endpoints' statistics, dropped once their endpoint closed. */
    private static final Set<EndpointStats> LOGS = ConcurrentHashMap.newKeySet();
    /** The least time between two errors sent to the logs, in ns (10 ms: 100 a second at most). */
    static final long LOG_INTERVAL_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(10);
    /** When the next error may go to the logs ({@link System#nanoTime()}). */
    private static final AtomicLong NEXT_LOG = new AtomicLong(System.nanoTime());

    private ProtocolErrors() {
    }

    /** Sends later errors to {@code stats}' error log too, until its endpoint closes. */
    static void logTo(final EndpointStats stats) {
        LOGS.removeIf(EndpointStats::isClosed);   // endpoints come and go: keep only open ones
        if (!stats.isClosed()) {
            LOGS.add(stats);
        }
    }

    static void record(final RuntimeException e) {
        last = e;
        COUNT.incrementAndGet();
        // a peer that keeps writing garbage must not make every snoop pay a log's lock and search: at most one
        // error per LOG_INTERVAL_NANOS goes to the logs (all are counted)
        final long now = System.nanoTime();
        final long next = NEXT_LOG.get();
        if (now - next < 0 || !NEXT_LOG.compareAndSet(next, now + LOG_INTERVAL_NANOS)) {
            return;
        }
        for (final EndpointStats log : LOGS) {
            if (log.isClosed()) {
                LOGS.remove(log);
            } else {
                log.recordError(e);
            }
        }
    }

    static long count() {
        return COUNT.get();
    }

    static RuntimeException last() {
        return last;
    }
}
