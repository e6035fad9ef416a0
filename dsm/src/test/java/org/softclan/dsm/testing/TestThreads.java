package org.softclan.dsm.testing;

import java.util.concurrent.Executor;

/** Executors for tests. */
public final class TestThreads {
    /**
     * Runs each task on a daemon thread of its own. For tasks that must run at the same time as others
     * (a blocked write and the close that ends it): the common pool may have a single worker (two CPUs,
     * JDK 19 and later), where the second task would wait for the first.
     */
    public static final Executor THREADS = task -> {
        final Thread t = new Thread(task, "test-task");
        t.setDaemon(true);
        t.start();
    };

    private TestThreads() {
    }
}
