package org.softclan.vmmc.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.Fabric;
import org.softclan.tripwire.WaitStrategy;

/**
 * Synchronous calls allocate nothing per call on the calling thread once warmed up, nor does the server's
 * polling thread, which runs the handlers or hands requests to workers: 100 000 null calls (a small long
 * echoed: the codec's boxes are the JDK's cached ones) measured by the JVM's per-thread allocation counter.
 */
class RpcAllocationTest {
    private static final RpcMethod<Long, Long> ECHO = RpcMethod.of(1, "echo", Codecs.LONG, Codecs.LONG);

    @Test
    @Timeout(120)
    void synchronousCallsAllocateNothingPerCallWithHandlersOnThePollingThread() {
        measure(0);
    }

    @Test
    @Timeout(120)
    void synchronousCallsAllocateNothingPerCallWithHandlersOnWorkers() {
        measure(2);
    }

    /**
     * Asynchronous calls with a callback, 64 in flight, published in batches and received by the calling thread:
     * no allocation per call on it once warmed up (pooled call records, a callback made once).
     */
    @Test
    @Timeout(120)
    void asynchronousCallsWithACallbackAllocateNothingPerCall() {
        asynchronous(false);
    }

    /** The same on an exclusive client ({@link RpcClient.Context#exclusive}): its plain table and pool allocate nothing either. */
    @Test
    @Timeout(120)
    void asynchronousCallsWithACallbackOnAnExclusiveClientAllocateNothingPerCall() {
        asynchronous(true);
    }

    /** Synchronous calls on an exclusive client: nothing per call either. */
    @Test
    @Timeout(120)
    void synchronousCallsOnAnExclusiveClientAllocateNothingPerCall() {
        final com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (Fabric fabric = Fabric.createTemporary();
             RpcServer server = RpcServer.create(fabric.openEndpoint("server"), "alloc",
                 new RpcServer.Context().waitStrategy(WaitStrategy.busySpin())).handle(ECHO, x -> x).start();
             RpcClient c = RpcClient.connect(fabric.openEndpoint("client"), "alloc", new RpcClient.Context()
                 .waitStrategy(WaitStrategy.busySpin()).backgroundReceiver(false).exclusive(true), 5, TimeUnit.SECONDS)) {
            for (int i = 0; i < 50_000; i++) {
                assertEquals(7L, c.call(ECHO, 7L, 5, TimeUnit.SECONDS));
            }
            final long me = Thread.currentThread().getId();
            final long before = threads.getThreadAllocatedBytes(me);
            long sum = 0;
            final int calls = 100_000;
            for (int i = 0; i < calls; i++) {
                sum += c.call(ECHO, 7L, 5, TimeUnit.SECONDS);
            }
            final long bytes = threads.getThreadAllocatedBytes(me) - before;
            System.out.println("100 000 synchronous calls on an exclusive client allocated " + bytes + " bytes");
            assertEquals(7L * calls, sum);
            assertTrue(bytes < calls / 10, bytes + " bytes allocated in " + calls + " calls");
            assertEquals(1, server.clients());
        }
    }

    private static void asynchronous(final boolean exclusive) {
        final com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (Fabric fabric = Fabric.createTemporary();
             RpcServer server = RpcServer.create(fabric.openEndpoint("server"), "alloc",
                 new RpcServer.Context().waitStrategy(WaitStrategy.busySpin())).handle(ECHO, x -> x).start();
             RpcClient c = RpcClient.connect(fabric.openEndpoint("client"), "alloc",
                 new RpcClient.Context().waitStrategy(WaitStrategy.busySpin()).backgroundReceiver(false)
                     .exclusive(exclusive), 5, TimeUnit.SECONDS)) {
            final long[] answered = {0, 0, 0};   // answers, their sum, failures
            final RpcCallback<Long> done = (r, e) -> {
                if (e != null) {
                    answered[2]++;
                } else {
                    answered[0]++;
                    answered[1] += r;
                }
            };
            pipeline(c, done, answered, 50_000);   // warm-up
            final long me = Thread.currentThread().getId();
            final long before = threads.getThreadAllocatedBytes(me);
            final long sumBefore = answered[1];
            final int calls = 100_000;
            pipeline(c, done, answered, calls);
            final long bytes = threads.getThreadAllocatedBytes(me) - before;
            System.out.println("100 000 asynchronous calls with a callback" + (exclusive ? " (exclusive client)" : "")
                + " allocated " + bytes + " bytes on the calling thread (" + (double) bytes / calls + " per call)");
            assertEquals(0, answered[2], "no call failed");
            assertEquals(7L * calls, answered[1] - sumBefore);
            assertTrue(bytes < calls / 10, bytes + " bytes allocated in " + calls + " calls");
            assertEquals(1, server.clients());
        }
    }

    /** {@code calls} calls of 7, at most 64 in flight, sent batched; returns when every one is answered. */
    private static void pipeline(final RpcClient c, final RpcCallback<Long> done, final long[] answered, final int calls) {
        final long target = answered[0] + answered[2] + calls;
        for (int i = 0; i < calls; i++) {
            while (c.inFlight() >= 64) {
                c.receive(64, 5, TimeUnit.SECONDS);
            }
            c.callAsyncBatched(ECHO, 7L, 5, TimeUnit.SECONDS, done);
        }
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (answered[0] + answered[2] < target && System.nanoTime() < deadline) {
            c.receive(64, 100, TimeUnit.MILLISECONDS);
        }
        assertEquals(target, answered[0] + answered[2], "every call answered");
    }

    private static void measure(final int workers) {
        final com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        assertTrue(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled(),
            "this JVM counts allocation per thread");
        try (Fabric fabric = Fabric.createTemporary();
             RpcServer server = RpcServer.create(fabric.openEndpoint("server"), "alloc",
                 // with workers, a poller that only spins, beside a caller that spins, leaves a worker on these 2 CPUs
                 // only what the scheduler takes from them (calls slowed to milliseconds on a slow VM): it yields
                 new RpcServer.Context().workers(workers).waitStrategy(workers > 0
                     ? WaitStrategy.spinThenYield(TimeUnit.MICROSECONDS.toNanos(20)) : WaitStrategy.busySpin()))
                 .handle(ECHO, x -> x).start();
             RpcClient c = RpcClient.connect(fabric.openEndpoint("client"), "alloc",
                 new RpcClient.Context().waitStrategy(WaitStrategy.busySpin()), 5, TimeUnit.SECONDS)) {
            final long me = Thread.currentThread().getId();
            for (int i = 0; i < 50_000; i++) {   // warm-up: the JIT compiles the path, buffers reach their size
                assertEquals(7L, c.call(ECHO, 7L, 5, TimeUnit.SECONDS));
            }
            final int calls = 100_000;
            final long poller = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("rpc-alloc-poll")).findFirst().orElseThrow().getId();
            final long serverBefore = threads.getThreadAllocatedBytes(poller);
            final long before = threads.getThreadAllocatedBytes(me);
            long sum = 0;
            for (int i = 0; i < calls; i++) {
                sum += c.call(ECHO, 7L, 5, TimeUnit.SECONDS);
            }
            final long bytes = threads.getThreadAllocatedBytes(me) - before;
            final long serverBytes = threads.getThreadAllocatedBytes(poller) - serverBefore;
            System.out.println("and " + serverBytes + " bytes on the server's polling thread (" + workers + " workers)");
            System.out.println("100 000 synchronous calls allocated " + bytes + " bytes on the calling thread ("
                + (double) bytes / calls + " per call)");
            assertEquals(7L * calls, sum);
            assertEquals(1, server.clients());
            assertTrue(bytes < calls / 10, bytes + " bytes allocated in " + calls + " calls");
            // under a byte per call on average: a hand-off to a worker that meets the queue's lock held may
            // allocate its wait node now and then (about 0.1 bytes per call measured; a buffer and a task per
            // request before)
            assertTrue(serverBytes < calls, serverBytes + " bytes allocated by the server's poller in " + calls
                + " calls (" + workers + " workers)");
        }
    }
}
