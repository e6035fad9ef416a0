package org.softclan.vmmc;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.softclan.dsm.testing.TestThreads.THREADS;

import java.io.RandomAccessFile;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.RegionInfo;

/**
 * The event queue a sender blocks on (its endpoint's shared wake-up unit) is cut from outside while the
 * sender waits for room or sends: the send ends with {@link PeerGoneException} (the connection is
 * broken) or goes on, and never lets the JVM's raw {@code InternalError} out (seen in {@code vmmc soak}).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CutEventQueueTest {
    private Fabric fabric;
    private Endpoint server;
    private Endpoint client;

    @BeforeEach
    void setUp() {
        fabric = Fabric.createTemporary();
        server = fabric.openEndpoint("server");
        client = fabric.openEndpoint("client");
    }

    @AfterEach
    void tearDown() {
        fabric.close();
    }

    @Test
    void aSenderWhoseEventQueueIsCutGetsPeerGoneNotAnInternalError() throws Exception {
        final ConnectionContext ctx = new ConnectionContext().ringCapacity(4096);
        final Connection s;
        final Connection c;
        try (Listener listener = Vmmc.listen(server, "svc", ctx)) {
            final CompletableFuture<Connection> cf = CompletableFuture.supplyAsync(
                () -> Vmmc.connect(client, "svc", ctx, 10, TimeUnit.SECONDS), THREADS);
            s = listener.accept(10, TimeUnit.SECONDS);
            c = cf.get(10, TimeUnit.SECONDS);
        }
        final byte[] msg = new byte[1000];
        final java.util.concurrent.atomic.AtomicReference<Thread> senderThread = new java.util.concurrent.atomic.AtomicReference<>();
        final CompletableFuture<Long> sender = CompletableFuture.supplyAsync(() -> {
            senderThread.set(Thread.currentThread());
            long sent = 0;
            final long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            try {
                while (System.nanoTime() < end) {
                    c.send(msg, 1, TimeUnit.SECONDS);   // nobody reads, so it soon waits for room
                    sent++;
                }
            } catch (final SendTimeoutException stillWaiting) {
                // the ring stayed full and the wait ended by its timeout: no fault surfaced
            }
            return sent;
        }, THREADS);
        // the ring fills at once (nobody reads): the sender then blocks on its endpoint's event queue
        org.softclan.dsm.testing.TestThreads.awaitInside(senderThread, "QueueWaiters.sleep");
        final RegionInfo q = fabric.regions(true).stream()
            .filter(r -> r.name().startsWith("evq-") && r.owner().endpoint().equals("client")).findFirst().orElseThrow();
        try (RandomAccessFile f = new RandomAccessFile(q.file().toFile(), "rw")) {
            f.setLength(4096);
        }
        try {
            sender.get(30, TimeUnit.SECONDS);
        } catch (final ExecutionException e) {
            assertTrue(e.getCause() instanceof PeerGoneException || e.getCause() instanceof org.softclan.dsm.ClosedException,
                "the send failed with " + e.getCause());
        }
        c.close();
        s.close();
    }
}
