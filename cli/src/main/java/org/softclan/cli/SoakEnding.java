package org.softclan.cli;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * How a soak worker that accepts peers ended: set once by the thread that served the peer, awaited by
 * the accepting thread (a latch, not a poll).
 */
final class SoakEnding {
    private final AtomicReference<String> reason = new AtomicReference<>();
    private final CountDownLatch done = new CountDownLatch(1);

    /** Records why the worker ends (the first reason wins) and wakes whoever awaits it. */
    void end(final String why) {
        reason.compareAndSet(null, why);
        done.countDown();
    }

    /** @return the reason, or {@code null} while the worker has not ended */
    String reason() {
        return reason.get();
    }

    /** @return the reason once set, waiting up to {@code millis}; {@code fallback} if none came */
    String await(final long millis, final String fallback) throws InterruptedException {
        return done.await(millis, TimeUnit.MILLISECONDS) ? reason.get() : fallback;
    }

    /** Accepts a peer within a timeout; {@code null} if none came. */
    @FunctionalInterface
    interface Acceptor<C> {
        C accept(long timeout, TimeUnit unit);
    }

    /** Serves one accepted peer on its own thread, ending the worker through {@code ended} when it stops. */
    @FunctionalInterface
    interface Server<C> {
        void serve(C peer, SoakEnding ended);
    }

    /**
     * The accepting worker's loop: accepts peers (each served on a daemon thread named {@code threadName})
     * until the worker is asked to stop or a served peer ended it, then waits up to {@code stopMillis} for
     * the serving thread to say how it ended.
     *
     * @return why the worker ended: a serving thread's reason, "truncated ..." if the listen region was
     *         cut from outside, or "stopped"
     */
    static <C> String acceptUntilEnded(final SoakWorker w, final Acceptor<C> listener, final Server<C> server,
                                       final String threadName, final long stopMillis) throws InterruptedException {
        final SoakEnding ended = new SoakEnding();
        while (!w.stopping() && ended.reason() == null) {
            final long t0 = System.nanoTime();
            final C peer;
            try {
                peer = listener.accept(1, TimeUnit.SECONDS);
            } catch (final org.softclan.dsm.RegionTruncatedException e) {
                return "truncated " + e.getMessage();   // the listen region or its queue was cut: the end
            }
            w.timed("accept", t0, 1_000 + SoakWorker.GRACE_MS);
            if (peer != null) {
                final Thread t = new Thread(() -> server.serve(peer, ended), threadName);
                t.setDaemon(true);
                t.start();
            }
        }
        // stopping: the serving thread notices within one of its timeouts
        return ended.await(stopMillis, "stopped");
    }
}
