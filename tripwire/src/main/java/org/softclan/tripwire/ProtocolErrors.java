package org.softclan.tripwire;

import java.util.concurrent.atomic.AtomicLong;

/**
 * This JVM's count of garbage found in shared tripwire state on paths that must not throw (a
 * writer's snoop, the owner's poll), and the last such error. Off the hot path: touched only when
 * garbage is found.
 */
final class ProtocolErrors {
    private static final AtomicLong COUNT = new AtomicLong();
    private static volatile RuntimeException last;

    private ProtocolErrors() {
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
}
