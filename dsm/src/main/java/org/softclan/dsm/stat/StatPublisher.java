package org.softclan.dsm.stat;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The JVM's one thread that publishes every open endpoint's statistics ({@link EndpointStats#publish()})
 * every {@value #PERIOD_MS} ms: a daemon, started with the first endpoint and ended when none is left; and
 * once more at the JVM's exit (a shutdown hook) for endpoints still open then.
 */
final class StatPublisher {
    /**
     * How often statistics files are written, in ms: the heartbeat's resolution. A publication costs about a
     * millisecond of CPU while its code is still interpreted (an idle JVM publishes too), so not more often.
     */
    static final int PERIOD_MS = 1000;
    private static final Set<EndpointStats> OPEN = ConcurrentHashMap.newKeySet();
    private static Thread thread;
    private static boolean finalHook;

    private StatPublisher() {
    }

    static synchronized void register(final EndpointStats s) {
        OPEN.add(s);
        if (!finalHook) {
            finalHook = true;
            try {
                Runtime.getRuntime().addShutdownHook(new Thread(StatPublisher::publishAll, "softclan-stat-final"));
            } catch (final IllegalStateException shuttingDown) {
                // the JVM is already exiting: no final publication
            }
        }
        if (thread == null) {
            thread = new Thread(StatPublisher::run, "softclan-stat-publisher");
            thread.setDaemon(true);
            thread.start();
        }
    }

    static void unregister(final EndpointStats s) {
        OPEN.remove(s);
    }

    /**
     * Publishes every open endpoint's statistics once more as the JVM exits: an endpoint a program never
     * closed (it leaves its file, shown as dead) is shown with its figures at exit, not up to a period older.
     */
    private static void publishAll() {
        for (final EndpointStats s : OPEN) {
            try {
                s.publish();
            } catch (final Throwable e) {
                s.failed(e);
            }
        }
    }

    private static void run() {
        while (true) {
            synchronized (StatPublisher.class) {
                if (OPEN.isEmpty()) {
                    thread = null;
                    return;
                }
            }
            for (final EndpointStats s : OPEN) {
                try {
                    s.publish();   // a failed write is kept in the stats (and the file written whole next time)
                } catch (final Throwable e) {
                    // a gauge's task that read a region cut from outside (an InternalError the JVM delivers late),
                    // or worse: this endpoint's publication is skipped this time, the others go on
                    s.failed(e);
                }
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(PERIOD_MS));
        }
    }
}
