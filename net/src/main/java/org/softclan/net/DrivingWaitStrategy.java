package org.softclan.net;

import java.util.function.BooleanSupplier;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.softclan.tripwire.EventQueue;
import org.softclan.tripwire.WaitStrategy;

/**
 * The wait strategy of {@link NicAgent#waitStrategy(long)}: the waiting thread runs the agent's duty cycles
 * and checks its condition between them, never parking while it drives (after a cycle with nothing to do, or
 * while another thread runs one, it yields the CPU). After {@code driveNanos} it blocks on the bell if the
 * agent has a duty thread; with none, it goes on driving, parking between idle cycles (up to 100 us).
 */
final class DrivingWaitStrategy implements WaitStrategy {
    private final NicAgent agent;
    private final long driveNanos;
    /** Whether the agent runs a duty thread of its own (which drives the link once this one blocks). */
    private final boolean dutyThread;

    /**
     * Drives {@code agent} for {@code driveNanos}, then blocks (or, with no duty thread, drives on).
     *
     * @param agent      the agent to drive
     * @param driveNanos how long to drive it before blocking, ns
     * @param dutyThread whether the agent runs a duty thread of its own
     */
    DrivingWaitStrategy(final NicAgent agent, final long driveNanos, final boolean dutyThread) {
        this.agent = agent;
        this.driveNanos = driveNanos;
        this.dutyThread = dutyThread;
    }

    @Override
    public boolean await(final BooleanSupplier ready, final EventQueue bell, final long timeoutNanos) {
        final long start = System.nanoTime();
        IdleStrategy idle = null;
        while (true) {
            if (ready.getAsBoolean()) {
                return true;
            }
            final long spent = System.nanoTime() - start;
            if (spent >= timeoutNanos) {
                return false;
            }
            if (spent < driveNanos) {
                // driving: never parked (a park costs more than a round trip); when another thread is in
                // a cycle or there was nothing to do, give the CPU to whoever is runnable, and try again
                if (agent.doWork() <= 0) {
                    Thread.yield();
                }
            } else if (dutyThread) {
                return WaitStrategy.block().await(ready, bell, timeoutNanos - spent);
            } else {
                if (idle == null) {
                    idle = new BackoffIdleStrategy(100, 10, 1_000, 100_000);
                }
                idle.idle(agent.doWork());
            }
        }
    }

    @Override
    public String name() {
        return "nic-agent:" + driveNanos;
    }
}
