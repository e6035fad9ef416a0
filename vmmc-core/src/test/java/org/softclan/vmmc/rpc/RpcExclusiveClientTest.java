package org.softclan.vmmc.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.softclan.dsm.testing.Messages.assertMentions;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.Fabric;
import org.softclan.tripwire.WaitStrategy;

/**
 * An exclusive client ({@link RpcClient.Context#exclusive}): one owner thread sends, receives and completes its
 * calls, every answer its own; any other thread's use is refused, naming the owner; pipelined calls that fill the
 * server's ring wait for room and are all answered.
 */
class RpcExclusiveClientTest {
    private static final RpcMethod<Long, Long> TWICE = RpcMethod.of(1, "twice", Codecs.LONG, Codecs.LONG);
    private static final RpcMethod<Long, Long> SLOW = RpcMethod.of(2, "slow", Codecs.LONG, Codecs.LONG);

    private Fabric fabric;
    private RpcServer server;
    /** Lets the slow handler answer: counted down once the test is done with its calls. */
    private final CountDownLatch release = new CountDownLatch(1);

    @BeforeEach
    void setUp() {
        fabric = Fabric.createTemporary();
        // a 4 KiB ring: 128 requests of 24 bytes (and their 8-byte record headers) fill it
        server = RpcServer.create(fabric.openEndpoint("server"), "ex", new RpcServer.Context().ringCapacity(4096)
                .waitStrategy(WaitStrategy.spinThenYield(TimeUnit.MICROSECONDS.toNanos(20))))
            .handle(TWICE, x -> 2 * x)
            .handle(SLOW, x -> {
                try {
                    release.await(10, TimeUnit.SECONDS);   // no answer until the test has seen the timeouts
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return x;
            }).start();
    }

    @AfterEach
    void tearDown() {
        release.countDown();
        server.close();
        fabric.close();
    }

    private RpcClient connect() {
        return RpcClient.connect(fabric.openEndpoint("client"), "ex", new RpcClient.Context().exclusive(true)
            .backgroundReceiver(false), 5, TimeUnit.SECONDS);
    }

    /**
     * {@code calls} calls of 0..calls-1 through {@code send}, at most {@code window} in flight, each answer checked
     * against its own argument; returns when all are answered.
     */
    private static void pipeline(final RpcClient c, final int calls, final int window, final boolean batched) {
        final long[] done = {0, 0};   // answered right, failed or wrong
        final class Slot implements RpcCallback<Long> {
            long arg;

            @Override
            public void onComplete(final Long result, final RpcException e) {
                if (e == null && result == 2 * arg) {
                    done[0]++;
                } else {
                    done[1]++;
                }
            }
        }
        final Slot[] slots = new Slot[calls];
        for (int i = 0; i < calls; i++) {
            while (c.inFlight() >= window) {
                c.receive(window, 5, TimeUnit.SECONDS);
            }
            slots[i] = new Slot();
            slots[i].arg = i;
            if (batched) {
                c.callAsyncBatched(TWICE, (long) i, 10, TimeUnit.SECONDS, slots[i]);
            } else {
                c.callAsync(TWICE, (long) i, 10, TimeUnit.SECONDS, slots[i]);
            }
        }
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (done[0] + done[1] < calls && System.nanoTime() - deadline < 0) {
            c.receive(window, 100, TimeUnit.MILLISECONDS);
        }
        assertEquals(0, done[1], "calls failed or answered with another call's result");
        assertEquals(calls, done[0], "every call answered");
        assertEquals(0, c.inFlight());
    }

    @Test
    @Timeout(120)
    void manyPipelinedCallsAreEachAnsweredWithTheirOwnResult() {
        try (RpcClient c = connect()) {
            pipeline(c, 100_000, 64, true);
            pipeline(c, 20_000, 64, false);
            // a synchronous call and a future between them, on the same owner
            assertEquals(84L, c.call(TWICE, 42L, 5, TimeUnit.SECONDS));
            final CompletableFuture<Long> f = c.callAsyncBatched(TWICE, 5L, 5, TimeUnit.SECONDS);
            c.flush();
            while (!f.isDone()) {
                c.receive(1, 1, TimeUnit.SECONDS);
            }
            assertEquals(10L, f.join());
        }
    }

    @Test
    @Timeout(120)
    void pipelinedCallsThatFillTheServersRingWaitForRoomAndAreAllAnswered() {
        try (RpcClient c = connect()) {
            // 1000 in flight against a ring that holds 128 requests: the owner waits for room again and again
            pipeline(c, 50_000, 1000, true);
            pipeline(c, 10_000, 1000, false);
        }
    }

    @Test
    @Timeout(60)
    void anotherThreadsUseIsRefusedNamingTheOwner() throws Exception {
        try (RpcClient c = connect()) {
            assertEquals(2L, c.call(TWICE, 1L, 5, TimeUnit.SECONDS));   // this thread owns it now
            final String me = Thread.currentThread().getName();
            final AtomicReference<Throwable> seen = new AtomicReference<>();
            final Runnable[] uses = {
                () -> c.call(TWICE, 1L, 5, TimeUnit.SECONDS),
                () -> c.callAsync(TWICE, 1L, 5, TimeUnit.SECONDS),
                () -> c.callAsyncBatched(TWICE, 1L, 5, TimeUnit.SECONDS, (r, e) -> { }),
                () -> c.poll(1),
                () -> c.receive(1, 1, TimeUnit.MILLISECONDS),
                c::flush,
                c::close,
            };
            for (final Runnable use : uses) {
                final Thread t = new Thread(() -> {
                    try {
                        use.run();
                    } catch (final Throwable e) {
                        seen.set(e);
                    }
                }, "intruder");
                seen.set(null);
                t.start();
                t.join(10_000);
                final Throwable e = seen.get();
                assertTrue(e instanceof IllegalStateException, "refused: " + e);
                assertMentions(e, "'" + me + "'", "'intruder'", "exclusive");
            }
            assertEquals(0, c.inFlight(), "nothing was sent by the refused uses");
            assertEquals(6L, c.call(TWICE, 3L, 5, TimeUnit.SECONDS), "the owner goes on");
        }
    }

    @Test
    @Timeout(60)
    void anotherThreadMayCloseItOnceTheOwnerEnded() throws Exception {
        final RpcClient c = connect();
        final AtomicReference<Throwable> failed = new AtomicReference<>();
        final Thread owner = new Thread(() -> {
            try {
                assertEquals(4L, c.call(TWICE, 2L, 5, TimeUnit.SECONDS));
            } catch (final Throwable e) {
                failed.set(e);
            }
        }, "owner");
        owner.start();
        owner.join(10_000);
        assertNull(failed.get());
        c.close();   // the owner has ended: this thread may close it
        final RpcException e = assertThrows(RpcException.class, () -> c.call(TWICE, 1L, 1, TimeUnit.SECONDS),
            "this thread owns what is left: the call fails as on any closed client");
        assertEquals(RpcException.Kind.SERVER_GONE, e.kind());
        assertMentions(e, "closed");
    }

    /**
     * Threads close a client at the same moment: each close returns. Exclusive, none owns it (nobody used it), and
     * none is refused as if another thread owned it; shared, none releases what another close released already.
     * Rounds, as the race is a matter of instructions.
     */
    @ParameterizedTest(name = "exclusive: {0}")
    @ValueSource(booleans = {true, false})
    @Timeout(120)
    void threadsClosingAnUnusedClientAtOnceAllReturn(final boolean exclusive) throws Exception {
        final int threads = 2;
        for (int round = 0; round < 200; round++) {
            try (org.softclan.dsm.Endpoint ep = fabric.openEndpoint("closers-" + round)) {
                final RpcClient c = RpcClient.connect(ep, "ex", new RpcClient.Context().exclusive(exclusive)
                    .backgroundReceiver(!exclusive), 5, TimeUnit.SECONDS);
                final java.util.concurrent.atomic.AtomicBoolean go = new java.util.concurrent.atomic.AtomicBoolean();
                final AtomicReference<Throwable> failed = new AtomicReference<>();
                final Thread[] closers = new Thread[threads];
                for (int i = 0; i < threads; i++) {
                    closers[i] = new Thread(() -> {
                        try {
                            while (!go.get()) {
                                Thread.onSpinWait();   // released together, within nanoseconds
                            }
                            c.close();
                        } catch (final Throwable e) {
                            failed.compareAndSet(null, e);
                        }
                    }, "closer-" + i);
                    closers[i].start();
                }
                go.set(true);
                for (final Thread t : closers) {
                    t.join(20_000);
                }
                assertNull(failed.get(), "round " + round + ": " + failed.get());
            }
        }
    }

    /** A batched call's timeout counts from its batch's first request: it fails in time, not before. */
    @Test
    @Timeout(60)
    void batchedCallsThatGetNoAnswerInTimeFailWithATimeout() {
        try (RpcClient c = connect()) {
            final RpcException[] failed = new RpcException[3];
            final long start = System.nanoTime();
            for (int i = 0; i < 3; i++) {
                final int k = i;
                c.callAsyncBatched(SLOW, (long) i, 300, TimeUnit.MILLISECONDS, (r, e) -> failed[k] = e);
            }
            c.flush();
            while ((failed[0] == null || failed[1] == null || failed[2] == null)
                && System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10)) {
                c.receive(8, 50, TimeUnit.MILLISECONDS);
            }
            final long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            for (final RpcException e : failed) {
                assertEquals(RpcException.Kind.TIMEOUT, e.kind(), "no answer came within 300 ms: " + e);
            }
            // the handler holds its answers until release: a call that ended did so by its deadline, not early
            assertTrue(ms >= 300, "failed after " + ms + " ms, before its 300 ms deadline");
            assertEquals(0, c.inFlight());
        }
    }

    @Test
    void anExclusiveClientWithABackgroundReceiverIsRefused() {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RpcClient.connect(
            fabric.openEndpoint("client"), "ex", new RpcClient.Context().exclusive(true), 5, TimeUnit.SECONDS));
        assertMentions(e, "backgroundReceiver(false)");
    }
}
