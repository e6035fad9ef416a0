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

    private static void measure(final int workers) {
        final com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        assertTrue(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled(),
            "this JVM counts allocation per thread");
        try (Fabric fabric = Fabric.createTemporary();
             RpcServer server = RpcServer.create(fabric.openEndpoint("server"), "alloc",
                 new RpcServer.Context().workers(workers).waitStrategy(WaitStrategy.busySpin())).handle(ECHO, x -> x).start();
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
