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
