package org.softclan.vmmc.rpc;

import static org.softclan.dsm.testing.TestThreads.THREADS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.softclan.dsm.testing.Messages.assertMentions;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.Fabric;

/** Calls that find the server's ring full: they wait for room, are counted in flight meanwhile, and are answered. */
class RpcBackPressureTest {
    private static final RpcMethod<String, String> ECHO = RpcMethod.of(1, "echo", Codecs.STRING, Codecs.STRING);
    private static final RpcMethod<String, String> HOLD = RpcMethod.of(2, "hold", Codecs.STRING, Codecs.STRING);
    /** About 1 KiB per request: the server's 4 KiB ring holds three. */
    private static final String KIB = "x".repeat(1000);

    private Fabric fabric;
    private RpcServer server;
    private final CountDownLatch held = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);

    @BeforeEach
    void setUp() {
        fabric = Fabric.createTemporary();
        // handlers on the polling thread: while HOLD runs, the server reads no request
        server = RpcServer.create(fabric.openEndpoint("server"), "bp", new RpcServer.Context().workers(0)
                .ringCapacity(4096))
            .handle(ECHO, s -> s)
            .handle(HOLD, s -> {
                held.countDown();
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return s;
            })
            .start();
    }

    @AfterEach
    void tearDown() {
        release.countDown();
        server.close();
        fabric.close();
    }

    @Test
    @Timeout(60)
    void closingTheClientFailsACallThatIsWaitingForItsAnswerAndWaitsForItsThreadToLeave() throws Exception {
        final RpcClient c = RpcClient.connect(fabric.openEndpoint("client"), "bp", new RpcClient.Context(), 5,
            TimeUnit.SECONDS);
        final CompletableFuture<String> waiting = CompletableFuture.supplyAsync(
            () -> c.call(HOLD, "hold", 30, TimeUnit.SECONDS), THREADS);
        assertTrue(held.await(10, TimeUnit.SECONDS), "the server runs the call and holds it");
        c.close();   // the caller may be waiting in the kernel, on memory that close() unmaps
        final ExecutionException e = assertThrows(ExecutionException.class, () -> waiting.get(10, TimeUnit.SECONDS));
        final RpcException r = (RpcException) e.getCause();
        assertEquals(RpcException.Kind.SERVER_GONE, r.kind());
        assertMentions(r, "closed");
    }

    @Test
    @Timeout(60)
    void aSynchronousCallThatFindsTheRingFullIsCountedInFlightWhileItWaitsAndIsAnswered() throws Exception {
        try (RpcClient c = RpcClient.connect(fabric.openEndpoint("client"), "bp", new RpcClient.Context(), 5,
            TimeUnit.SECONDS)) {
            final CompletableFuture<String> first = c.callAsync(HOLD, "hold:" + KIB, 30, TimeUnit.SECONDS);
            assertTrue(held.await(10, TimeUnit.SECONDS), "the server took the first request");
            // two more fill the ring (the first one's space is not given back while its handler runs)
            final List<CompletableFuture<String>> queued = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                queued.add(c.callAsync(ECHO, i + ":" + KIB, 30, TimeUnit.SECONDS));
            }
            assertEquals(3, c.inFlight());
            final CompletableFuture<String> sync = CompletableFuture.supplyAsync(
                () -> c.call(ECHO, "sync:" + KIB, 30, TimeUnit.SECONDS), THREADS);
            try {
                // the synchronous caller cannot place its request: it enters the call in the table and waits
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (c.inFlight() < 4 && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
                assertEquals(4, c.inFlight(), "the waiting call is counted in flight");
                assertTrue(!sync.isDone(), "no room yet, so no answer yet");
            } finally {
                // whatever happened, let the server go on, so no thread still uses the client when it closes
                release.countDown();
            }
            assertEquals("sync:" + KIB, sync.get(30, TimeUnit.SECONDS));
            assertEquals("hold:" + KIB, first.get(30, TimeUnit.SECONDS));
            for (int i = 0; i < 2; i++) {
                assertEquals(i + ":" + KIB, queued.get(i).get(30, TimeUnit.SECONDS));
            }
            assertEquals(0, c.inFlight());
        }
    }
}
