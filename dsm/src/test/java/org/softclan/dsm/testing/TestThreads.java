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

    /** @return whether {@code t}'s stack has a frame {@code frame} ("SimpleClassName.method") */
    public static boolean isIn(final Thread t, final String frame) {
        for (final StackTraceElement e : t.getStackTrace()) {
            final String c = e.getClassName();
            if (frame.equals(c.substring(c.lastIndexOf('.') + 1) + "." + e.getMethodName())) {
                return true;
            }
        }
        return false;
    }

    /**
     * Waits until {@code condition} holds, checking every millisecond, for {@code timeout} at most.
     *
     * @return whether it held in time
     */
    public static boolean awaitTrue(final java.util.function.BooleanSupplier condition, final long timeout,
                                    final java.util.concurrent.TimeUnit unit) {
        final long deadline = System.nanoTime() + unit.toNanos(timeout);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline >= 0) {
                return condition.getAsBoolean();
            }
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
        return true;
    }

    /**
     * Waits (10 s at most) until the thread held by {@code thread} is inside {@code frame}
     * ("SimpleClassName.method"), i.e. blocked where a test expects it, instead of sleeping and hoping.
     *
     * @throws AssertionError if it never gets there
     */
    public static void awaitInside(final java.util.concurrent.atomic.AtomicReference<Thread> thread,
                                   final String frame) {
        final long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            final Thread t = thread.get();
            if (t != null && isIn(t, frame)) {
                return;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
        throw new AssertionError("the thread never got into " + frame);
    }
}
