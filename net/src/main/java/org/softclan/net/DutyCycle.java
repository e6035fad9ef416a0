package org.softclan.net;

import java.util.concurrent.locks.ReentrantLock;
import org.agrona.concurrent.IdleStrategy;

/**
 * The duty cycle of a {@link NicAgent} ({@link NicAgent#doWork()}): the media driver's and the Aeron client's
 * work, the replies kept for later, the HELLOs due, and up to 64 incoming messages handed to their roles. Run
 * by the agent's duty thread ({@link #run}) and by any thread that drives the agent while it waits; one thread
 * at a time (a call while another thread is in a cycle returns 0 at once).
 */
final class DutyCycle {
    private final NicAgent agent;
    private final AeronTransport transport;
    private final ReplyBacklog backlog;
    private final PeerHosts peers;
    private final AgentCounters counters;
    /** How the duty thread idles. */
    private final IdleStrategy dutyIdle;
    /** Held by the thread running a duty cycle. */
    private final ReentrantLock dutyLock = new ReentrantLock();
    private volatile boolean running = true;

    /**
     * The cycle of {@code agent}'s roles.
     *
     * @param agent     the agent (whether it is closed)
     * @param transport its Aeron: the driver's and client's work, the subscription
     * @param backlog   its replies kept for later
     * @param peers     its peer hosts (the HELLOs due)
     * @param counters  its counters
     * @param dutyIdle  how the duty thread idles between cycles that found nothing to do
     */
    DutyCycle(final NicAgent agent, final AeronTransport transport, final ReplyBacklog backlog, final PeerHosts peers,
              final AgentCounters counters, final IdleStrategy dutyIdle) {
        this.agent = agent;
        this.transport = transport;
        this.backlog = backlog;
        this.peers = peers;
        this.counters = counters;
        this.dutyIdle = dutyIdle;
    }

    /** The duty thread's loop: cycles until {@link #stop}, idling after cycles with nothing to do. */
    void run() {
        final IdleStrategy idle = dutyIdle;
        while (running) {
            idle.idle(doWork());
        }
    }

    /** Ends the duty thread's loop after its current cycle. */
    void stop() {
        running = false;
    }

    /** Waits until no thread is in a cycle (a program's thread may be in one: let it finish). */
    void awaitCycleEnd() {
        dutyLock.lock();
        dutyLock.unlock();
    }

    /** {@return whether the calling thread is in a cycle (a close from a message's handler, say)} */
    boolean isInCycle() {
        return dutyLock.isHeldByCurrentThread();
    }

    /** As {@link NicAgent#doWork()}: one cycle; {@return the work done (0: nothing to do)} */
    int doWork() {
        if (!dutyLock.tryLock()) {
            return 0;
        }
        int work = 0;
        try {
            if (agent.isClosed()) {
                return 0;
            }
            work += transport.invokeDriver();
            work += transport.invokeClient();
            if (!backlog.isEmpty()) {
                work += backlog.send();
            }
            work += peers.greetIfDue();
            work += transport.poll(64);
        } catch (final RuntimeException e) {
            // a defect here must not end the host's link: counted, the duty goes on
            counters.dutyErrors.incrementAndGet();
            counters.lastRefusal = "duty cycle: " + e;
        } finally {
            dutyLock.unlock();
        }
        return work;
    }
}
