package org.softclan.vmmc;

import static org.softclan.dsm.testing.TestThreads.awaitInside;
import static org.softclan.dsm.testing.TestThreads.THREADS;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.IntFunction;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.ClosedException;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.tripwire.WaitStrategy;

/**
 * Closing a connection (or its endpoint) while other threads of the same JVM wait in it. Before, the
 * event queue was unmapped under a thread blocked on it and the JVM died with SIGSEGV in
 * {@code EventQueue.block}, in every run. Now every waiter leaves with {@link ClosedException} (or
 * {@link PeerGoneException} when it is the peer that closed) in bounded time, and nothing crashes.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CloseUnderWaitersTest {
    private Fabric fabric;
    private Endpoint serverEp;
    private Endpoint clientEp;

    @BeforeEach
    void setUp() {
        fabric = Fabric.createTemporary();
        serverEp = fabric.openEndpoint("server");
        clientEp = fabric.openEndpoint("client");
    }

    @AfterEach
    void tearDown() {
        fabric.close();
    }

    private Connection[] pair(final ConnectionContext ctx) throws Exception {
        try (Listener listener = Vmmc.listen(serverEp, "svc", ctx)) {
            final CompletableFuture<Connection> c = CompletableFuture.supplyAsync(
                () -> Vmmc.connect(clientEp, "svc", ctx, 10, TimeUnit.SECONDS), THREADS);
            final Connection s = listener.accept(10, TimeUnit.SECONDS);
            assertNotNull(s);
            return new Connection[] {s, c.get(10, TimeUnit.SECONDS)};
        }
    }

    /** Runs {@code body} on its own thread; returns what it threw (null if it returned). */
    private static CompletableFuture<Throwable> attempt(final AtomicReference<Thread> thread, final Runnable body) {
        return CompletableFuture.supplyAsync(() -> {
            thread.set(Thread.currentThread());
            try {
                body.run();
                return null;
            } catch (final Throwable t) {
                return t;
            }
        }, THREADS);
    }

    private void closeUnder(final String frame, final WaitStrategy strategy, final Function<Connection[], Runnable> waiter,
                            final boolean closeEndpoint) throws Exception {
        final Connection[] p = pair(new ConnectionContext().ringCapacity(4096).waitStrategy(strategy));
        final AtomicReference<Thread> thread = new AtomicReference<>();
        final CompletableFuture<Throwable> outcome = attempt(thread, waiter.apply(p));
        awaitInside(thread, frame);
        if (closeEndpoint) {
            clientEp.close();
        } else {
            p[1].close();
        }
        final Throwable t = outcome.get(10, TimeUnit.SECONDS);
        assertTrue(t instanceof ClosedException, frame + " ended with " + t);
        p[0].close();
    }

    @Test
    void closingEndsAReceiveBlockedOnTheEventQueue() throws Exception {
        closeUnder("EventQueue.block", WaitStrategy.block(),
            p -> () -> p[1].receive((s, o, l) -> { }, 1, 1, TimeUnit.MINUTES), false);
    }

    @Test
    void closingEndsAReceiveSpinning() throws Exception {
        closeUnder("Connection.receive", WaitStrategy.busySpin(),
            p -> () -> p[1].receive((s, o, l) -> { }, 1, 1, TimeUnit.MINUTES), false);
    }

    @Test
    void closingEndsASendWaitingForRoomInTheDefaultStrategy() throws Exception {
        closeUnder("RingSender.awaitRoom", WaitStrategy.competitive(), p -> () -> {
            while (true) {
                p[1].send(new byte[1000], 1, TimeUnit.MINUTES);   // the server never reads: the ring fills
            }
        }, false);
    }

    @Test
    void closingEndsAnAwait() throws Exception {
        closeUnder("EventQueue.block", WaitStrategy.block(), p -> () -> p[1].await(() -> false,
            TimeUnit.MINUTES.toNanos(1)), false);
    }

    @Test
    void closingTheEndpointEndsAReceiveBlockedOnTheEventQueue() throws Exception {
        closeUnder("EventQueue.block", WaitStrategy.competitive(),
            p -> () -> p[1].receive((s, o, l) -> { }, 1, 1, TimeUnit.MINUTES), true);
    }

    @Test
    void closingAListenerOrItsEndpointEndsAnAccept() throws Exception {
        for (final boolean endpoint : new boolean[] {false, true}) {
            final Listener listener = Vmmc.listen(serverEp, "svc", new ConnectionContext());
            final AtomicReference<Thread> thread = new AtomicReference<>();
            final CompletableFuture<Throwable> outcome = attempt(thread, () -> listener.accept(1, TimeUnit.MINUTES));
            awaitInside(thread, "EventQueue.block");
            if (endpoint) {
                serverEp.close();
            } else {
                listener.close();
            }
            final Throwable t = outcome.get(10, TimeUnit.SECONDS);
            assertTrue(t instanceof ClosedException, "accept ended with " + t);
            listener.close();
        }
    }

    /**
     * A sender and a receiver thread on each end move messages flat out while a fourth thread closes
     * one end at a random moment; 40 rounds. Every thread must leave with ClosedException or
     * PeerGoneException (the other end's threads), within the bound, and nothing may crash.
     */
    @Test
    void closesAtRandomMomentsUnderTrafficEndEveryThreadCleanly() throws Exception {
        closeAtRandomMoments(40, 2026, 2_000_000,
            round -> round % 2 == 0 ? WaitStrategy.competitive() : WaitStrategy.busySpin(),
            c -> () -> {
                final byte[] m = new byte[100];
                while (true) {
                    c.send(m, 10, TimeUnit.SECONDS);
                }
            },
            c -> () -> {
                while (true) {
                    c.receive((s, o, l) -> s.readLong(o), 16, 10, TimeUnit.SECONDS);
                }
            });
    }

    /**
     * The same with threads that never wait: each loops on {@link Connection#offer} and
     * {@link Connection#poll}, entering and leaving its role millions of times a second, which is where
     * a close could find a thread between its check of the flag and its access to the ring. 100 rounds,
     * the close at a random moment; pool threads change roles from round to round.
     */
    @Test
    void closesAtRandomMomentsUnderOfferAndPollLoopsEndEveryThreadCleanly() throws Exception {
        closeAtRandomMoments(100, 2027, 1_000_000, round -> WaitStrategy.busySpin(),
            c -> () -> {
                final byte[] m = new byte[24];
                while (true) {
                    c.offer(m, 0, m.length);
                }
            },
            c -> () -> {
                while (true) {
                    c.poll((s, o, l) -> s.readLong(o), 16);
                }
            });
    }

    /**
     * {@code rounds} times: a sending and a receiving thread on each end of a new pair, one end closed
     * after a random pause of up to {@code maxPauseNanos}; its threads must leave with ClosedException,
     * then (the other end closed too) every thread with ClosedException or PeerGoneException.
     */
    private void closeAtRandomMoments(final int rounds, final long seed, final long maxPauseNanos,
                                      final IntFunction<WaitStrategy> strategy,
                                      final Function<Connection, Runnable> sender,
                                      final Function<Connection, Runnable> receiver) throws Exception {
        final SplittableRandom rnd = new SplittableRandom(seed);
        for (int round = 0; round < rounds; round++) {
            final Connection[] p = pair(new ConnectionContext().ringCapacity(4096).waitStrategy(strategy.apply(round)));
            final List<CompletableFuture<Throwable>> threads = new ArrayList<>();
            for (final Connection c : p) {
                threads.add(attempt(new AtomicReference<>(), sender.apply(c)));
                threads.add(attempt(new AtomicReference<>(), receiver.apply(c)));
            }
            final long until = System.nanoTime() + rnd.nextLong(0, maxPauseNanos);
            while (System.nanoTime() < until) {
                Thread.onSpinWait();
            }
            final int victim = rnd.nextInt(2);
            p[victim].close();
            // the other end's threads learn it from the peer-closed flag; close that end too once they did
            for (int i = 0; i < threads.size(); i++) {
                if (i / 2 == victim) {
                    final Throwable t = threads.get(i).get(10, TimeUnit.SECONDS);
                    assertTrue(t instanceof ClosedException, "round " + round + ", thread " + i + ": " + t);
                }
            }
            p[1 - victim].close();
            for (int i = 0; i < threads.size(); i++) {
                final Throwable t = threads.get(i).get(15, TimeUnit.SECONDS);
                assertTrue(t instanceof ClosedException || t instanceof PeerGoneException,
                    "round " + round + ", thread " + i + ": " + t);
            }
        }
    }

    /**
     * A handler that closes its own connection: the thread waiting to send is woken, the memory stays
     * mapped under the handler and goes once both threads have left; the next call is a
     * ClosedException. (Close waits its bound, {@value Connection#CLOSE_WAIT_MS} ms, for its own
     * thread, which cannot leave meanwhile.)
     */
    @Test
    void closingFromInsideAHandlerKeepsTheMemoryUnderItAndReleasesItWhenTheLastThreadLeaves() throws Exception {
        final Connection[] p = pair(new ConnectionContext().ringCapacity(4096).waitStrategy(WaitStrategy.busySpin()));
        final AtomicReference<Thread> thread = new AtomicReference<>();
        final CompletableFuture<Throwable> waiter = attempt(thread, () -> {
            while (true) {
                p[0].send(new byte[8], 10, TimeUnit.SECONDS);   // the other role, on another thread
            }
        });
        p[1].send(new byte[8], 10, TimeUnit.SECONDS);
        int n = 0;
        while (n == 0) {
            n = p[0].poll((s, o, l) -> {
                p[0].close();
                assertTrue(!p[0].inbound().isClosed() && !p[0].outbound().isClosed(), "unmapped under the handler");
            }, 1);
        }
        final Throwable t = waiter.get(10, TimeUnit.SECONDS);
        assertTrue(t instanceof ClosedException, "the sending thread ended with " + t);
        // the last of the two threads to leave unmapped
        assertTrue(p[0].inbound().isClosed() && p[0].outbound().isClosed(), "unmapped once both threads left");
        try {
            p[0].poll((s, o, l) -> { }, 1);
            throw new AssertionError("poll after close");
        } catch (final ClosedException expected) {
            // the connection is closed
        }
        p[1].close();
    }

    /**
     * The endpoint's close gives a connection's close a bounded wait and then unmaps; it went on at once
     * when its thread was interrupted (a shutdown hook's thread) while another thread's close still
     * waited for a handler. Before, the handler then read the ring, and the receiver stored the read
     * position, in unmapped memory: SIGSEGV (a soak found it in the disarm of such a close). Now the
     * connection holds its memory until the last thread leaves it.
     */
    @Test
    void closingTheEndpointUnderAnotherCloseKeepsTheMemoryMappedUntilTheHandlerInsideLeaves() throws Exception {
        final Connection[] p = pair(new ConnectionContext().ringCapacity(4096).waitStrategy(WaitStrategy.busySpin()));
        p[1].send(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}, 10, TimeUnit.SECONDS);
        final java.util.concurrent.CountDownLatch inside = new java.util.concurrent.CountDownLatch(1);
        final java.util.concurrent.CountDownLatch endpointClosed = new java.util.concurrent.CountDownLatch(1);
        final java.util.concurrent.atomic.AtomicLong sum = new java.util.concurrent.atomic.AtomicLong();
        final AtomicReference<Thread> handlerThread = new AtomicReference<>();
        final CompletableFuture<Throwable> handler = attempt(handlerThread, () -> {
            int n = 0;
            while (n == 0) {
                n = p[0].poll((buffer, offset, length) -> {
                    inside.countDown();
                    try {
                        assertTrue(endpointClosed.await(10, TimeUnit.SECONDS));
                    } catch (final InterruptedException e) {
                        throw new AssertionError(e);
                    }
                    for (int i = 0; i < length; i++) {
                        sum.addAndGet(buffer.readByte(offset + i));   // the ring, read in place
                    }
                }, 1);
            }
        });
        assertTrue(inside.await(10, TimeUnit.SECONDS));
        final CompletableFuture<Void> firstClose = CompletableFuture.runAsync(p[0]::close, THREADS);
        while (!p[0].isClosed()) {
            Thread.onSpinWait();
        }
        Thread.currentThread().interrupt();   // the endpoint's wait for the first close ends at once
        try {
            serverEp.close();
        } finally {
            Thread.interrupted();
        }
        assertTrue(p[0].inbound().isClosed() && p[0].outbound().isClosed(), "the endpoint closed the mappings");
        endpointClosed.countDown();
        final Throwable t = handler.get(10, TimeUnit.SECONDS);
        assertTrue(t == null || t instanceof ClosedException, "the handler's thread ended with " + t);
        assertTrue(sum.get() == 36, "the handler read the message from the ring: sum " + sum.get());
        firstClose.get(10, TimeUnit.SECONDS);
        p[1].close();
    }
}
