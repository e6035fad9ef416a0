package org.softclan.vmmc.stream;

import static org.softclan.dsm.testing.TestThreads.awaitInside;
import static org.softclan.dsm.testing.TestThreads.THREADS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.CRC32;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.vmmc.ConnectionContext;

/** Byte streams between two endpoints of one JVM. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ByteStreamTest {
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

    /** @return {server end, client end}, with the default stream settings */
    private ByteStream[] pair(final ConnectionContext ctx) throws Exception {
        return pair(ctx, new ByteStreamContext(), new ByteStreamContext());
    }

    /** @return {server end made with {@code serverCtx}, client end made with {@code clientCtx}} */
    private ByteStream[] pair(final ConnectionContext ctx, final ByteStreamContext serverCtx,
                              final ByteStreamContext clientCtx) throws Exception {
        return StreamPairs.open(server, client, "bytes", ctx, serverCtx, clientCtx);
    }

    @Test
    void randomDataInRandomWriteAndReadSizesArrivesIntactBothWays() throws Exception {
        for (final int ring : new int[] {4096, 1 << 20}) {
            final ByteStream[] p = pair(new ConnectionContext().ringCapacity(ring));
            for (int d = 0; d < 2; d++) {
                final int dir = d;
                final ByteStream from = p[dir];
                final ByteStream to = p[1 - dir];
                final long total = 8L << 20;
                final CompletableFuture<Long> sent = CompletableFuture.supplyAsync(() -> {
                    final Random rnd = new Random(ring + dir);
                    final CRC32 crc = new CRC32();
                    long left = total;
                    try {
                        while (left > 0) {
                            final int n = (int) Math.min(left, 1 + rnd.nextInt(rnd.nextBoolean() ? 100 : 300_000));
                            final byte[] b = new byte[n];
                            rnd.nextBytes(b);
                            crc.update(b);
                            final ByteBuffer buf = rnd.nextBoolean() ? ByteBuffer.wrap(b)
                                : ByteBuffer.allocateDirect(n).put(b).flip();
                            assertEquals(n, from.write(buf));
                            assertFalse(buf.hasRemaining());
                            left -= n;
                        }
                        from.shutdownOutput();
                    } catch (final Exception e) {
                        throw new AssertionError(e);
                    }
                    return crc.getValue();
                }, THREADS);
                final Random rnd = new Random(ring * 7L + dir);
                final CRC32 crc = new CRC32();
                long got = 0;
                while (true) {
                    final int cap = 1 + rnd.nextInt(rnd.nextBoolean() ? 50 : 200_000);
                    final ByteBuffer dst = rnd.nextBoolean() ? ByteBuffer.allocate(cap) : ByteBuffer.allocateDirect(cap);
                    final int n = to.read(dst);
                    if (n < 0) {
                        break;
                    }
                    assertTrue(n > 0, "a blocking read returned 0");
                    dst.flip();
                    crc.update(dst);
                    got += n;
                }
                assertEquals(total, got);
                assertEquals(sent.get(30, TimeUnit.SECONDS), crc.getValue());
                assertEquals(-1, to.read(ByteBuffer.allocate(10)), "end of stream stays");
            }
            p[0].close();
            p[1].close();
        }
    }

    @Test
    void shutdownOutputEndsTheStreamAfterEverythingWrittenWhileTheOtherWayGoesOn() throws Exception {
        final ByteStream[] p = pair(new ConnectionContext().ringCapacity(4096));
        p[1].write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        p[1].shutdownOutput();
        p[1].shutdownOutput();
        assertThrows(ClosedChannelException.class, () -> p[1].write(ByteBuffer.wrap(new byte[1])));
        final ByteBuffer dst = ByteBuffer.allocate(2);
        assertEquals(2, p[0].read(dst));
        assertEquals(0, p[0].read(ByteBuffer.allocate(0)));
        dst.clear();
        assertEquals(1, p[0].read(dst));
        assertEquals(3, dst.get(0));
        assertEquals(-1, p[0].read(dst));
        assertEquals(-1, new StreamInputStream(p[0]).read());
        p[0].write(ByteBuffer.wrap(new byte[] {9}));
        assertEquals(9, new StreamInputStream(p[1]).read());
        p[0].close();
        assertEquals(-1, new StreamInputStream(p[1]).read());
        p[1].close();
        assertFalse(p[1].isOpen());
        assertThrows(ClosedChannelException.class, () -> p[1].read(ByteBuffer.allocate(1)));
    }

    @Test
    void streamViewsCarryATransferToAndCloseEndsTheStream() throws Exception {
        final ByteStream[] p = pair(new ConnectionContext());
        final byte[] data = new byte[3_000_000];
        new Random(5).nextBytes(data);
        final CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try (OutputStream out = new StreamOutputStream(p[1])) {
                out.write(data[0]);
                out.flush();
                new ByteArrayInputStream(data, 1, data.length - 1).transferTo(out);
            } catch (final Exception e) {
                throw new AssertionError(e);
            }
        }, THREADS);
        final ByteArrayOutputStream got = new ByteArrayOutputStream();
        try (InputStream in = new StreamInputStream(p[0])) {
            assertEquals(data.length, in.transferTo(got));
        }
        writer.get(10, TimeUnit.SECONDS);
        assertArrayEquals(data, got.toByteArray());
        assertFalse(p[0].isOpen());
        assertFalse(p[1].isOpen());
    }

    @Test
    void aPeerThatClosesWithoutEndingItsOutputIsAnErrorAfterItsBytes() throws Exception {
        final ByteStream[] p = pair(new ConnectionContext());
        p[1].write(ByteBuffer.wrap(new byte[] {7}));
        p[1].connection().close();   // no end-of-stream marker
        final ByteBuffer dst = ByteBuffer.allocate(10);
        assertEquals(1, p[0].read(dst));
        assertThrows(StreamPeerGoneException.class, () -> p[0].read(dst));
        assertThrows(StreamPeerGoneException.class, () -> p[0].write(ByteBuffer.wrap(new byte[1])));
        p[0].close();
    }

    @Test
    void timeoutsAndCloseEndBlockedReadsAndWrites() throws Exception {
        // the server end's reads wait 100 ms at most, the client end's writes 200 ms; the client's reads forever
        final ByteStream[] p = pair(new ConnectionContext().ringCapacity(4096),
            new ByteStreamContext().readTimeout(100, TimeUnit.MILLISECONDS),
            new ByteStreamContext().writeTimeout(200, TimeUnit.MILLISECONDS));
        assertThrows(StreamTimeoutException.class, () -> p[0].read(ByteBuffer.allocate(1)));

        final ByteBuffer big = ByteBuffer.allocate(100_000);
        final StreamTimeoutException e = assertThrows(StreamTimeoutException.class, () -> p[1].write(big));
        assertTrue(e.bytesTransferred > 0 && e.bytesTransferred < 100_000, "sent " + e.bytesTransferred);
        assertEquals(e.bytesTransferred, big.position());
        assertTrue(p[1].stats().writeBlockedNanos() >= TimeUnit.MILLISECONDS.toNanos(150));

        final ByteBuffer drain = ByteBuffer.allocate(200_000);
        while (drain.position() < e.bytesTransferred) {
            p[0].read(drain);
        }
        assertEquals(e.bytesTransferred, drain.position());

        final AtomicReference<Thread> reader = new AtomicReference<>();
        final CompletableFuture<Integer> blockedRead = CompletableFuture.supplyAsync(() -> {
            reader.set(Thread.currentThread());
            try {
                return p[1].read(ByteBuffer.allocate(1));   // no read timeout: only close ends it
            } catch (final AsynchronousCloseException expected) {
                return -2;
            } catch (final Exception other) {
                throw new AssertionError(other);
            }
        }, THREADS);
        awaitInside(reader, "Connection.receive");
        assertFalse(blockedRead.isDone());
        p[1].close();
        assertEquals(-2, blockedRead.get(5, TimeUnit.SECONDS));
        p[0].close();
    }

    @Test
    void closingEndsABlockedWriteAndTheEndOfStreamFollowsTheBytesSent() throws Exception {
        final ByteStream[] p = pair(new ConnectionContext().ringCapacity(4096));
        final AtomicReference<Thread> writer = new AtomicReference<>();
        final CompletableFuture<Exception> blockedWrite = CompletableFuture.supplyAsync(() -> {
            writer.set(Thread.currentThread());
            try {
                p[1].write(ByteBuffer.allocate(1 << 20));
                return null;
            } catch (final Exception e) {
                return e;
            }
        }, THREADS);
        awaitInside(writer, "RingSender.awaitRoom");
        assertFalse(blockedWrite.isDone(), "the ring is full: the write waits");
        final AtomicReference<Thread> closer = new AtomicReference<>();
        final CompletableFuture<Void> closing = CompletableFuture.runAsync(() -> {
            closer.set(Thread.currentThread());
            p[1].close();
        }, THREADS);
        assertTrue(blockedWrite.get(5, TimeUnit.SECONDS) instanceof AsynchronousCloseException);
        awaitInside(closer, "RingSender.awaitRoom");
        assertFalse(closing.isDone(), "close waits for room for the end-of-stream marker");
        final ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
        long got = 0;
        int n;
        while ((n = p[0].read(buf)) >= 0) {
            got += n;
            buf.clear();
        }
        closing.get(5, TimeUnit.SECONDS);
        assertTrue(got > 0 && got < 1 << 20, "read " + got);
        p[0].close();
    }
}
