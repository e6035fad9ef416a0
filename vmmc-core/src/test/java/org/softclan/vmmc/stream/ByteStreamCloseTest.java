package org.softclan.vmmc.stream;

import static org.softclan.dsm.testing.TestThreads.awaitInside;
import static org.softclan.dsm.testing.TestThreads.THREADS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.vmmc.ConnectionContext;

/**
 * Closing a stream while other threads are inside it: each blocked call (a read in the connection's
 * wait, a receivePage and an awaitFilled waiting for the read lock, a write waiting for a post, a
 * second write waiting for the write lock) ends with {@link AsynchronousCloseException}, and a thread
 * reading a received page over and over while the stream closes ends with IllegalStateException,
 * never touching the unmapped ring (before, the page accessor read the ring with no check against
 * close; the calls that waited for a lock ended with ClosedChannelException).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ByteStreamCloseTest {
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

    private interface Call {
        Object run() throws Exception;
    }

    /** Runs {@code call} on a thread of its own; the future holds what it threw (or null). */
    private static CompletableFuture<Throwable> start(final AtomicReference<Thread> thread, final Call call) {
        return CompletableFuture.supplyAsync(() -> {
            thread.set(Thread.currentThread());
            try {
                call.run();
                return null;
            } catch (final Throwable t) {
                return t;
            }
        }, THREADS);
    }

    @RepeatedTest(3)
    void closeEndsEveryBlockedCallWithAsynchronousCloseAndNoAccessorTouchesUnmappedMemory() throws Exception {
        final ConnectionContext ctx = new ConnectionContext().ringCapacity(1 << 16);
        final ByteStream s;
        final ByteStream peer;
        try (StreamListener listener = ByteStreams.listen(server, "close", ctx)) {
            final CompletableFuture<ByteStream> c = CompletableFuture.supplyAsync(
                // s's writes wait for a post the peer never makes
                () -> ByteStreams.connect(client, "close", ctx,
                    new ByteStreamContext().receiveTechnique(ReceiveTechnique.PRE_POSTED), 10, TimeUnit.SECONDS),
                THREADS);
            s = listener.accept(10, TimeUnit.SECONDS);
            assertNotNull(s);
            peer = c.get(10, TimeUnit.SECONDS);
        }
        // a page held from the ring, read over and over by one thread while the stream closes
        peer.write(ByteBuffer.wrap(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}));
        final ReceivedPage page = s.receivePage(10, TimeUnit.SECONDS);
        assertEquals(8, page.length());
        final PostedBuffer posted = s.post(4096);

        final AtomicReference<Thread> reader = new AtomicReference<>();
        final AtomicReference<Thread> pager = new AtomicReference<>();
        final AtomicReference<Thread> filler = new AtomicReference<>();
        final AtomicReference<Thread> writer = new AtomicReference<>();
        final AtomicReference<Thread> writer2 = new AtomicReference<>();
        final AtomicReference<Thread> accessor = new AtomicReference<>();
        final CompletableFuture<Throwable> read = start(reader, () -> s.read(ByteBuffer.allocate(16)));
        awaitInside(reader, "Connection.receive");
        final CompletableFuture<Throwable> receivePage = start(pager, () -> s.receivePage(0, TimeUnit.SECONDS));
        final CompletableFuture<Throwable> awaitFilled = start(filler, () -> posted.awaitFilled(0, TimeUnit.SECONDS));
        final CompletableFuture<Throwable> write = start(writer, () -> s.write(ByteBuffer.allocate(100)));
        awaitInside(writer, "Connection.await");
        final CompletableFuture<Throwable> write2 = start(writer2, () -> s.write(ByteBuffer.allocate(100)));
        awaitBlocked(pager);
        awaitBlocked(filler);
        awaitBlocked(writer2);
        final CompletableFuture<Throwable> access = start(accessor, () -> {
            final byte[] b = new byte[8];
            for (long i = 0; ; i++) {
                page.get(0, b, 0, 8);
                if (b[7] != 8 || page.get((int) (i & 7)) != (byte) ((i & 7) + 1)) {
                    throw new AssertionError("page bytes changed: " + java.util.Arrays.toString(b));
                }
            }
        });

        s.close();
        for (final CompletableFuture<Throwable> f : java.util.List.of(read, receivePage, awaitFilled, write, write2)) {
            final Throwable t = f.get(10, TimeUnit.SECONDS);
            assertInstanceOf(AsynchronousCloseException.class, t, () -> "a blocked call ended with " + t);
        }
        final Throwable t = access.get(10, TimeUnit.SECONDS);
        assertInstanceOf(IllegalStateException.class, t, () -> "the page accessor ended with " + t);
        peer.close();
    }

    /**
     * The endpoint's close, not the stream's: before, it closed the stream's connection, whose close
     * found no thread inside it (a page accessor is inside the stream, not the connection) and unmapped
     * the ring under the accessor: SIGSEGV. Now the stream is closed first (it is registered with its
     * endpoint) and holds the ring until its accessors left.
     */
    @Test
    void closingTheEndpointUnderAPageAccessorEndsItWithoutTouchingUnmappedMemory() throws Exception {
        final ByteStream[] pair = StreamPairs.open(server, client, "close-endpoint",
            new ConnectionContext().ringCapacity(1 << 16), new ByteStreamContext(), new ByteStreamContext());
        final ByteStream s = pair[0];
        final ByteStream peer = pair[1];
        peer.write(ByteBuffer.wrap(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}));
        final ReceivedPage page = s.receivePage(10, TimeUnit.SECONDS);
        final java.util.concurrent.atomic.AtomicLong reads = new java.util.concurrent.atomic.AtomicLong();
        final CompletableFuture<Throwable> access = start(new AtomicReference<>(), () -> {
            final byte[] b = new byte[8];
            while (true) {
                page.get(0, b, 0, 8);
                if (b[7] != 8) {
                    throw new AssertionError("page bytes changed: " + java.util.Arrays.toString(b));
                }
                reads.incrementAndGet();
            }
        });
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (reads.get() < 10_000 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        server.close();
        final Throwable t = access.get(10, TimeUnit.SECONDS);
        assertInstanceOf(IllegalStateException.class, t, () -> "the page accessor ended with " + t);
        peer.close();
    }

    private static void awaitBlocked(final AtomicReference<Thread> thread) {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            final Thread t = thread.get();
            if (t != null && t.getState() == Thread.State.BLOCKED) {
                return;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
        throw new AssertionError("the thread never blocked on a lock: " + thread.get());
    }
}
