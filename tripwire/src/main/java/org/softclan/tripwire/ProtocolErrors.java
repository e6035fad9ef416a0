package org.softclan.tripwire;

import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.atomic.AtomicLong;

import org.softclan.dsm.stat.EndpointStats;

/**
 * This JVM's count of garbage found in shared tripwire state on paths that must not throw (a
 * writer's snoop, the owner's poll), and the last such error. Recording is a volatile store and an atomic
 * add on the thread that found the garbage, nothing more: the error logs of the JVM's endpoints that use
 * tripwires (one that opened a unit or imported a region through the Tripwire unit's snoop) get the errors
 * from their statistics publisher, at most one per publication (the latest, with its numbers shown as
 * {@code #}, so that garbage a peer varies from write to write makes one log record with a count, not one
 * record per value: a peer cannot fill the logs). {@code vmmc stat errors} shows them.
 */
final class ProtocolErrors {
    private static final AtomicLong COUNT = new AtomicLong();
    private static volatile RuntimeException last;
    /** The endpoints whose logs get the errors (weak: an endpoint's statistics are not kept alive here). */
    private static final Map<EndpointStats, Boolean> LOGS = Collections.synchronizedMap(new WeakHashMap<>());

    private ProtocolErrors() {
    }

    /**
     * Sends later errors to {@code stats}' error log too (from its publisher), until its endpoint closes.
     * Idempotent; forgets the endpoints closed meanwhile.
     */
    static void logTo(final EndpointStats stats) {
        synchronized (LOGS) {
            LOGS.keySet().removeIf(EndpointStats::isClosed);
            if (stats.isClosed() || LOGS.containsKey(stats)) {
                return;
            }
            LOGS.put(stats, Boolean.TRUE);
        }
        stats.beforePublish(new Forwarder(stats));
    }

    /** {@return whether {@code stats} gets the errors (for tests)} */
    static boolean logsTo(final EndpointStats stats) {
        return LOGS.containsKey(stats);
    }

    static void record(final RuntimeException e) {
        last = e;
        COUNT.incrementAndGet();
    }

    static long count() {
        return COUNT.get();
    }

    static RuntimeException last() {
        return last;
    }

    /** One endpoint's publisher task: logs the latest error if any came since its last publication. */
    private static final class Forwarder implements Runnable {
        private final EndpointStats stats;
        private long seen = COUNT.get();

        Forwarder(final EndpointStats stats) {
            this.stats = stats;
        }

        @Override
        public void run() {
            final long n = COUNT.get();
            final RuntimeException e = last;
            if (n == seen || e == null) {
                return;
            }
            seen = n;
            stats.recordError(new TripwireGarbage(e));
        }
    }

    /** What an error log records: the error's type and message, its numbers as '#', no stack (one record per kind). */
    static final class TripwireGarbage extends RuntimeException {
        private static final long serialVersionUID = 1L;
        /** The most characters of the error's message kept. */
        static final int MAX_MESSAGE = 400;

        TripwireGarbage(final RuntimeException e) {
            super(text(e), null, false, false);
        }

        private static String text(final RuntimeException e) {
            String m = String.valueOf(e.getMessage()).replaceAll("[0-9]+", "#");
            if (m.length() > MAX_MESSAGE) {
                m = m.substring(0, MAX_MESSAGE) + "...";
            }
            return "garbage in shared tripwire state (the latest since the last publication, numbers as #): "
                + e.getClass().getSimpleName() + ": " + m;
        }
    }
}
