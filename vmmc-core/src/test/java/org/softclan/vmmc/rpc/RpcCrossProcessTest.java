package org.softclan.vmmc.rpc;

import static org.softclan.dsm.testing.TestThreads.THREADS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.InboundMapping;
import org.softclan.dsm.testing.JvmProcess;

/** RPC with the server ({@link RpcServerMain}) and clients ({@link RpcClientMain}) in separate JVMs. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class RpcCrossProcessTest {
    private static final int TOKENS = 1 << 20;
    private Fabric fabric;
    private Endpoint test;
    private InboundMapping ledger;
    private JvmProcess server;

    @BeforeEach
    void setUp() throws Exception {
        fabric = Fabric.createTemporary();
        test = fabric.openEndpoint("test");
        ledger = test.export("ledger", 8L * TOKENS);
        server = JvmProcess.start(RpcServerMain.class, fabric.root().toString(), "svc", "ledger");
        server.expectLine("serving", 30, TimeUnit.SECONDS);
    }

    @AfterEach
    void tearDown() {
        server.close();
        fabric.close();
    }

    @Test
    void fourThreadsInEachOfTwoClientJvmsGetEveryAnswerRight() throws Exception {
        try (JvmProcess a = JvmProcess.start(RpcClientMain.class, fabric.root().toString(), "svc", "4", "2000");
             JvmProcess b = JvmProcess.start(RpcClientMain.class, fabric.root().toString(), "svc", "4", "2000")) {
            assertEquals("ok 8000", a.expectLine("ok ", 120, TimeUnit.SECONDS), a::transcript);
            assertEquals("ok 8000", b.expectLine("ok ", 120, TimeUnit.SECONDS), b::transcript);
        }
    }

    @Test
    void oneMebibytePayloadsBothWays() {
        try (RpcClient c = RpcClient.connect(test, "svc", new RpcClient.Context(), 10, TimeUnit.SECONDS)) {
            for (int k = 0; k < 5; k++) {
                final byte[] b = new byte[1 << 20];
                new Random(k).nextBytes(b);
                assertArrayEquals(RpcTest.reverse(b), c.call(RpcTest.REVERSE, b, 30, TimeUnit.SECONDS));
            }
        }
    }

    /**
     * A server serving batches with its handlers inline (their answers published once per 16 requests read)
     * is killed (-9) in the middle of its work: the answers it published arrive, every other call fails as
     * SERVER_GONE within 5 s, including calls that ran but whose answers were never published, and no answer is
     * invented.
     */
    @Test
    void serverKilledMidBatchFailsEveryUnansweredCallAndInventsNoAnswer() throws Exception {
        final int calls = 600;
        try (JvmProcess inline = JvmProcess.start(RpcServerMain.class, fabric.root().toString(), "batch", "ledger",
                 "inline")) {
            inline.expectLine("serving", 30, TimeUnit.SECONDS);
            try (RpcClient c = RpcClient.connect(test, "batch", new RpcClient.Context(), 10, TimeUnit.SECONDS)) {
                final List<CompletableFuture<Long>> futures = new ArrayList<>();
                for (long token = 1; token <= calls; token++) {
                    futures.add(c.callAsyncBatched(RpcServerMain.SLOW_RECORD, token, 60, TimeUnit.SECONDS));
                }
                c.flush();
                // a millisecond per call, answers published 16 at a time: the kill lands at about 300 ms, while
                // the server runs a batch whose answers are not published yet (it marks the ledger first)
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (ran(calls) < 300 && System.nanoTime() < deadline) {
                    Thread.sleep(1);
                }
                assertTrue(ran(calls) >= 300, "the server ran only " + ran(calls) + " calls in 60 s");
                inline.kill();
                final long killedAt = System.nanoTime();
                int answered = 0;
                int gone = 0;
                int ranUnanswered = 0;
                for (int i = 0; i < calls; i++) {
                    final long token = i + 1;
                    try {
                        assertEquals(token, futures.get(i).get(20, TimeUnit.SECONDS));
                        assertEquals(1, ledger.getLongAcquire(8 * token), "call " + token + " answered but never ran");
                        answered++;
                    } catch (final java.util.concurrent.ExecutionException e) {
                        final RpcException r = (RpcException) e.getCause();
                        assertEquals(RpcException.Kind.SERVER_GONE, r.kind(), r.getMessage());
                        gone++;
                        if (ledger.getLongAcquire(8 * token) == 1) {
                            ranUnanswered++;
                        }
                    }
                }
                final long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
                System.out.println("server killed mid-batch: " + answered + " answered, " + gone + " failed as gone ("
                    + ranUnanswered + " of them ran, their answers unpublished), all settled " + tookMs + " ms after the kill");
                assertTrue(tookMs < 5000, "the calls took " + tookMs + " ms to fail after the kill");
                assertTrue(answered > 0, "the answers published before the kill arrived");
                assertTrue(ranUnanswered > 0, "the kill landed inside a batch: calls ran whose answers were not published");
                assertEquals(calls, answered + gone);
                assertEquals(0, c.inFlight());
            }
        }
        // the name is free again for a new server, and calls on it succeed
        try (JvmProcess again = JvmProcess.start(RpcServerMain.class, fabric.root().toString(), "batch", "ledger",
                 "inline")) {
            again.expectLine("serving", 30, TimeUnit.SECONDS);
            try (RpcClient c = RpcClient.connect(test, "batch", new RpcClient.Context(), 10, TimeUnit.SECONDS)) {
                assertEquals(7L, c.call(RpcServerMain.RECORD, 7L, 10, TimeUnit.SECONDS));
            }
        }
    }

    /** {@return how many of the tokens 1..n the server marked as run} */
    private int ran(final int n) {
        int k = 0;
        for (int t = 1; t <= n; t++) {
            if (ledger.getLongAcquire(8L * t) == 1) {
                k++;
            }
        }
        return k;
    }

    @Test
    void serverKilledMidLoadFailsCallsFastAndNoCallThatDidNotRunIsReportedDone() throws Exception {
        final AtomicLong tokens = new AtomicLong(1);
        final ConcurrentLinkedQueue<Long> succeeded = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<RpcException> failed = new ConcurrentLinkedQueue<>();
        final AtomicBoolean stop = new AtomicBoolean();
        try (RpcClient c = RpcClient.connect(test, "svc", new RpcClient.Context(), 10, TimeUnit.SECONDS)) {
            final List<CompletableFuture<Void>> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                threads.add(CompletableFuture.runAsync(() -> {
                    while (!stop.get()) {
                        final long token = tokens.getAndIncrement();
                        try {
                            assertEquals(token, c.call(RpcServerMain.RECORD, token, 30, TimeUnit.SECONDS));
                            succeeded.add(token);
                        } catch (final RpcException e) {
                            failed.add(e);
                            return;
                        }
                    }
                }, THREADS));
            }
            final long warm = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (succeeded.size() < 2000 && failed.isEmpty() && System.nanoTime() < warm) {
                Thread.onSpinWait();
            }
            assertTrue(failed.isEmpty(), () -> "calls failed before the kill: " + failed.peek().kind() + ": "
                + failed.peek().getMessage());
            assertTrue(succeeded.size() >= 2000, "only " + succeeded.size() + " calls succeeded in 60 s");
            server.kill();
            final long killedAt = System.nanoTime();
            CompletableFuture.allOf(threads.toArray(new CompletableFuture<?>[0])).get(20, TimeUnit.SECONDS);
            final long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
            stop.set(true);
            assertTrue(tookMs < 5000, "clients took " + tookMs + " ms to notice the dead server");
            assertEquals(4, failed.size(), "every thread's call after the kill failed");
            for (final RpcException e : failed) {
                assertEquals(RpcException.Kind.SERVER_GONE, e.kind(), e.getMessage());
                assertTrue(e.getMessage().contains("died") || e.getMessage().contains("gone"), e.getMessage());
            }
            for (final long token : succeeded) {
                assertEquals(1, ledger.getLongAcquire(8 * token), "call " + token + " reported done but never ran");
            }
        }
    }
}
