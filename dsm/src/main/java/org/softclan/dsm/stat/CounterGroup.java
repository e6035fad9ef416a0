package org.softclan.dsm.stat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import org.agrona.concurrent.status.AtomicCounter;

/**
 * The counters of one object (a Tripwire unit, a connection, an RPC client or server) in its endpoint's
 * statistics, with the task that sets its gauges before each publication; {@link #close()} removes them
 * together, once, when the object goes.
 */
public final class CounterGroup implements AutoCloseable {
    private final EndpointStats stats;
    private final List<AtomicCounter> counters = new CopyOnWriteArrayList<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile AutoCloseable task;

    /**
     * An empty group.
     *
     * @param stats the endpoint's statistics
     */
    public CounterGroup(final EndpointStats stats) {
        this.stats = stats;
    }

    /**
     * Allocates a counter of this group ({@link EndpointStats#counter}).
     *
     * @param label  what it counts and whose it is
     * @param typeId its type ({@link StatTypes})
     * @return the counter
     */
    public AtomicCounter counter(final String label, final int typeId) {
        final AtomicCounter c = stats.counter(label, typeId);
        counters.add(c);
        return c;
    }

    /**
     * Sets the gauges' task, run before each publication until {@link #close()} ({@link EndpointStats#beforePublish}).
     *
     * @param update what sets the gauges; quick, and it must not throw
     * @return this group
     * @throws IllegalStateException if a task is set already
     */
    public CounterGroup beforePublish(final Runnable update) {
        if (task != null) {
            throw new IllegalStateException("a counter group has one task");
        }
        task = stats.beforePublish(update);
        return this;
    }

    /**
     * Removes the task (no publication runs it once this returns) and frees the counters. Idempotent, and
     * safe from racing threads: they are freed once.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        final AutoCloseable t = task;
        if (t != null) {
            try {
                t.close();
            } catch (final Exception e) {
                // a removal from a list: cannot fail
            }
        }
        for (final AtomicCounter c : counters) {
            c.close();
        }
    }
}
