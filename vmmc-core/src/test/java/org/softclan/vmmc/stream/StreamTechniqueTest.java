package org.softclan.vmmc.stream;

import static org.softclan.dsm.testing.TestThreads.THREADS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.softclan.dsm.Direction;
import org.softclan.dsm.DmaEngine;
import org.softclan.dsm.DmaMode;
import org.softclan.dsm.Endpoint;
import org.softclan.dsm.Fabric;
import org.softclan.dsm.InboundMapping;
import org.softclan.dsm.OutboundMapping;
import org.softclan.dsm.RegisteredMemory;
import org.softclan.vmmc.ConnectionContext;

/**
 * Send and receive techniques between two endpoints of one JVM (each with its own DMA engine): the
 * parts that need control over the DMA engine's timing (a transfer held in the engine on purpose).
 * Behaviour across processes is in {@link StreamTechniqueCrossProcessTest}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StreamTechniqueTest {
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

    /**
     * {@return the stream settings of these tests: reads wait 20 s at most, so that waits end as
     * failures, not hangs (a test's timeout does not interrupt a stream's wait)}
     */
    private static ByteStreamContext settings() {
        return new ByteStreamContext().readTimeout(20, TimeUnit.SECONDS);
    }

    /** @return {server end, client end}, both with {@link #settings()} */
    private ByteStream[] pair(final ConnectionContext ctx) throws Exception {
        return pair(ctx, settings(), settings());
    }

    /** @return {server end made with {@code serverCtx}, client end made with {@code clientCtx}} */
    private ByteStream[] pair(final ConnectionContext ctx, final ByteStreamContext serverCtx,
                              final ByteStreamContext clientCtx) throws Exception {
        return StreamPairs.open(server, client, "bytes", ctx, serverCtx, clientCtx);
    }

    /**
     * Holds the client's DMA engine, started in {@code mode}: queues a transfer whose snoop hook blocks
     * until the returned latch is counted down. Transfers issued afterwards cannot complete before that
     * (FIFO). An invoker engine is held by a thread of its own, which runs the queue and stays in the hook.
     */
    private CountDownLatch holdEngine(final DmaMode mode) throws InterruptedException {
        client.dma(new DmaEngine.Context().mode(mode));
        final InboundMapping plug = server.export("plug", 4096);
        final OutboundMapping out = client.importRegion("plug");
        final CountDownLatch release = new CountDownLatch(1);
        final CountDownLatch entered = new CountDownLatch(1);
        out.snoopHook((m, offset, length, dir) -> {
            if (dir == Direction.OUTBOUND) {
                entered.countDown();
                try {
                    release.await();
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        final RegisteredMemory one = client.allocate(8);
        if (mode == DmaMode.INVOKER) {
            final Thread holder = new Thread(() -> client.dma().write(one, 0, out, 0, 8), "engine-holder");
            holder.setDaemon(true);
            holder.start();
        } else {
            client.dma().write(one, 0, out, 0, 8);
        }
        assertTrue(entered.await(10, TimeUnit.SECONDS), "the engine did not start the plug transfer");
        assertNotNull(plug);
        return release;
    }

    private static byte[] bytes(final int n, final long seed) {
        final byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] readExactly(final ByteStream s, final int n) throws Exception {
        final ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            assertTrue(s.read(b) >= 0, "stream ended early");
        }
        return b.array();
    }

    @Test
    void everySendTechniqueAndMixesOfThemKeepTheBytesInOrder() throws Exception {
        final ByteStream[] p = pair(new ConnectionContext().ringCapacity(1 << 18));
        final ByteStream reader = p[0];
        final ByteStream writer = p[1];
        final long total = 24L << 20;
        final CompletableFuture<Long> sent = CompletableFuture.supplyAsync(() -> {
            final Random rnd = new Random(5);
            final CRC32C crc = new CRC32C();
            final ByteBuffer registered = writer.allocateSendBuffer(300_000);
            final ByteBuffer direct = ByteBuffer.allocateDirect(300_000);
            final Page page = writer.newPage(300_000);
            long p0 = 0;
            int i = 0;
            try {
                while (p0 < total) {
                    final SendTechnique t = SendTechnique.values()[i++ % SendTechnique.values().length];
                    final int n = (int) Math.min(total - p0, 1 + rnd.nextInt(rnd.nextBoolean() ? 200 : 300_000));
                    final byte[] b = new byte[n];
                    rnd.nextBytes(b);
                    crc.update(b);
                    switch (t) {
                        case PIO, COPY_DMA -> writer.write(ByteBuffer.wrap(b), t);
                        case DIRECT_DMA -> {
                            registered.clear().put(b).flip();
                            writer.send(registered, t).awaitReady(10, TimeUnit.SECONDS);
                        }
                        case V2P_DMA -> {
                            direct.clear().put(b).flip();
                            final SendTicket ticket = writer.send(direct, t);
                            ticket.awaitReady(10, TimeUnit.SECONDS);
                            assertTrue(ticket.isReady());
                        }
                        case PAGE_EXCHANGE -> {
                            page.put(0, b, 0, n);
                            assertTrue(writer.send(page, 0, n).isReady());
                        }
                    }
                    p0 += n;
                }
                writer.shutdownOutput();
            } catch (final Exception e) {
                throw new AssertionError(e);
            }
            return crc.getValue();
        }, THREADS);
        final CRC32C crc = new CRC32C();
        final ByteBuffer buf = ByteBuffer.allocate(100_000);
        long got = 0;
        int n;
        while ((n = reader.read(buf)) >= 0) {
            buf.flip();
            crc.update(buf);
            buf.clear();
            got += n;
        }
        assertEquals(total, got);
        assertEquals(sent.get(30, TimeUnit.SECONDS), crc.getValue());
        reader.close();
        writer.close();
    }

    @ParameterizedTest
    @EnumSource(DmaMode.class)
    void directAndV2pSendsAreNotReadyWhileTheEngineIsBusyAndReadyOnceItMovedThem(final DmaMode mode)
        throws Exception {
        final ByteStream[] p = pair(new ConnectionContext());
        final ByteStream writer = p[1];
        final ByteBuffer registered = writer.allocateSendBuffer(1000);
        registered.put(bytes(1000, 1)).flip();
        final ByteBuffer mine = ByteBuffer.allocateDirect(1000).put(bytes(1000, 2)).flip();
        final CountDownLatch release = holdEngine(mode);
        final SendTicket a = writer.send(registered, SendTechnique.DIRECT_DMA);
        final SendTicket b = writer.send(mine, SendTechnique.V2P_DMA);
        final SendTicket c = writer.send(ByteBuffer.wrap(bytes(1000, 3)), SendTechnique.COPY_DMA);
        assertFalse(a.isReady(), "a DIRECT_DMA send cannot be ready while the engine is held");
        assertFalse(b.isReady(), "a V2P_DMA send cannot be ready while the engine is held");
        assertTrue(c.isReady(), "COPY_DMA is classical: ready on return");
        assertThrows(StreamTimeoutException.class, () -> a.awaitReady(50, TimeUnit.MILLISECONDS));
        release.countDown();
        a.awaitReady(10, TimeUnit.SECONDS);
        b.awaitReady(10, TimeUnit.SECONDS);
        assertTrue(a.isReady() && b.isReady());
        assertEquals(1000, a.bytes());
        assertArrayEquals(bytes(1000, 1), readExactly(p[0], 1000));
        assertArrayEquals(bytes(1000, 2), readExactly(p[0], 1000));
        assertArrayEquals(bytes(1000, 3), readExactly(p[0], 1000));
    }

    @Test
    void directDmaRefusesABufferNotFromAllocateSendBuffer() throws Exception {
        final ByteStream writer = pair(new ConnectionContext())[1];
        final ByteBuffer foreign = ByteBuffer.allocateDirect(64);
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> writer.send(foreign, SendTechnique.DIRECT_DMA));
        assertTrue(e.getMessage().contains("allocateSendBuffer") && e.getMessage().contains(foreign.toString()),
            e.getMessage());
        assertEquals(0, foreign.position(), "nothing was sent");
    }

    @ParameterizedTest
    @EnumSource(DmaMode.class)
    void copyDmaAndPagesKeepSentBytesWhenTheCallerOverwritesAtOnce(final DmaMode mode) throws Exception {
        final ByteStream[] p = pair(new ConnectionContext());
        final ByteStream writer = p[1];
        final CountDownLatch release = holdEngine(mode);
        final byte[] b = bytes(5000, 7);
        writer.send(ByteBuffer.wrap(b), SendTechnique.COPY_DMA);
        java.util.Arrays.fill(b, (byte) 0);   // the engine has not moved it yet
        final Page page = writer.newPage(5000);
        page.put(0, bytes(5000, 8), 0, 5000);
        writer.send(page, 0, 5000);
        assertTrue(page.inFlight());
        page.put(0, new byte[5000], 0, 5000);   // duplicates: the transfer keeps the old memory
        assertEquals(1, page.duplications());
        assertEquals(1, writer.stats().pageDuplications());
        assertFalse(page.inFlight());
        release.countDown();
        assertArrayEquals(bytes(5000, 7), readExactly(p[0], 5000));
        assertArrayEquals(bytes(5000, 8), readExactly(p[0], 5000));
        writer.send(page, 0, 5000);
        assertArrayEquals(new byte[5000], readExactly(p[0], 5000));
    }

    @Test
    void theRegistrationCacheHitsForTheSameBufferAndEvictsTheLeastRecentlyUsed() throws Exception {
        final ByteStream[] p = pair(new ConnectionContext());
        final ByteStream writer = p[1];
        final RegistrationCache cache = writer.stats().registrationCache();
        final ByteBuffer a = ByteBuffer.allocateDirect(100);
        final byte[] heap = new byte[100];
        for (int i = 0; i < 3; i++) {
            writer.write(a.clear(), SendTechnique.V2P_DMA);
            writer.write(ByteBuffer.wrap(heap, 10, 50), SendTechnique.V2P_DMA);
        }
        assertEquals(2, cache.misses());
        assertEquals(4, cache.hits());
        assertEquals(0, cache.evictions());
        for (int i = 0; i < cache.capacity(); i++) {
            writer.write(ByteBuffer.allocateDirect(16), SendTechnique.V2P_DMA);
        }
        assertEquals(2 + cache.capacity(), cache.misses());
        assertEquals(2, cache.evictions());
        assertEquals(cache.capacity(), cache.size());
        writer.write(a.clear(), SendTechnique.V2P_DMA);   // evicted: registered again
        assertEquals(3 + cache.capacity(), cache.misses());
        final long expected = 3 * 150 + cache.capacity() * 16L + 100;
        assertEquals(expected, readExactly(p[0], (int) expected).length);
    }

    @Test
    void receivedPagesHoldTheRingUntilReleasedInAnyOrder() throws Exception {
        final ByteStream[] p = pair(new ConnectionContext().ringCapacity(4096), settings(),
            settings().writeTimeout(200, TimeUnit.MILLISECONDS));
        final ByteStream reader = p[0];
        final ByteStream writer = p[1];
        final int n = 1000;   // a record of 1008 bytes: four fill the 4 KiB ring
        final ReceivedPage[] pages = new ReceivedPage[3];
        for (int i = 0; i < 3; i++) {
            writer.write(ByteBuffer.wrap(bytes(n, i)));
            pages[i] = reader.receivePage(5, TimeUnit.SECONDS);
            assertEquals(n, pages[i].length());
        }
        writer.write(ByteBuffer.wrap(bytes(n, 3)));
        // the ring holds three unreleased pages and one unread record: no room for a fifth
        assertThrows(StreamTimeoutException.class, () -> writer.write(ByteBuffer.wrap(bytes(n, 4))));
        pages[2].release();
        pages[1].release();   // out of order: the oldest still holds the ring
        assertThrows(StreamTimeoutException.class, () -> writer.write(ByteBuffer.wrap(bytes(n, 4))));
        final byte[] got = new byte[n];
        pages[0].get(0, got, 0, n);
        assertArrayEquals(bytes(n, 0), got);
        pages[0].release();
        assertThrows(IllegalStateException.class, () -> pages[0].get(0));
        writer.write(ByteBuffer.wrap(bytes(n, 4)));
        assertArrayEquals(bytes(n, 3), readExactly(reader, n));
        final ReceivedPage last = reader.receivePage(5, TimeUnit.SECONDS);
        final ByteBuffer view = last.asReadOnlyBuffer();
        final byte[] viewed = new byte[n];
        view.get(viewed);
        assertArrayEquals(bytes(n, 4), viewed);
        last.release();
        writer.shutdownOutput();
        assertNull(reader.receivePage(5, TimeUnit.SECONDS));
    }

    @Test
    void prePostedSendsWaitForAPostAndRefuseOneTooSmall() throws Exception {
        final ByteStream[] p = pair(new ConnectionContext(), settings().receiveTechnique(ReceiveTechnique.PRE_POSTED),
            settings().writeTimeout(300, TimeUnit.MILLISECONDS));
        final ByteStream reader = p[0];
        final ByteStream writer = p[1];
        final StreamTimeoutException none = assertThrows(StreamTimeoutException.class,
            () -> writer.write(ByteBuffer.wrap(bytes(100, 1))));
        assertTrue(none.getMessage().contains("no buffer was posted"), none.getMessage());
        final PostedBuffer small = reader.post(1000);
        final ByteBuffer big = ByteBuffer.wrap(bytes(1500, 2));
        final PostedBufferTooSmallException tooBig = assertThrows(PostedBufferTooSmallException.class,
            () -> writer.write(big));
        assertTrue(tooBig.getMessage().contains("1500") && tooBig.getMessage().contains("1000"), tooBig.getMessage());
        assertEquals(0, big.position(), "nothing was sent");
        assertFalse(small.isFilled());
        writer.write(ByteBuffer.wrap(bytes(800, 3)));
        small.awaitFilled(5, TimeUnit.SECONDS);
        assertTrue(small.redirected());
        assertEquals(800, small.length());
        final byte[] got = new byte[800];
        small.get(0, got, 0, 800);
        assertArrayEquals(bytes(800, 3), got);
        small.release();
        assertEquals(1, reader.stats().deliveredDirect());
    }

    @Test
    void redirectionDepositsIntoABufferPostedInTimeAndCopiesFromTheRingOtherwise() throws Exception {
        final ByteStream[] p = pair(new ConnectionContext(), settings().receiveTechnique(ReceiveTechnique.REDIRECTION),
            settings());
        final ByteStream reader = p[0];
        final ByteStream writer = p[1];
        final PostedBuffer early = reader.post(4000);
        writer.write(ByteBuffer.wrap(bytes(3000, 1)));
        early.awaitFilled(5, TimeUnit.SECONDS);
        assertTrue(early.redirected(), "posted before the send: deposited by the sender");
        writer.write(ByteBuffer.wrap(bytes(2000, 2)));   // nothing posted: through the ring
        final PostedBuffer late = reader.post(4000);
        late.awaitFilled(5, TimeUnit.SECONDS);
        assertFalse(late.redirected(), "posted after the send: copied from the ring on delivery");
        final byte[] a = new byte[3000];
        early.get(0, a, 0, 3000);
        assertArrayEquals(bytes(3000, 1), a);
        final byte[] b = new byte[2000];
        late.get(0, b, 0, 2000);
        assertArrayEquals(bytes(2000, 2), b);
        assertEquals(1, reader.stats().deliveredDirect());
        assertEquals(1, reader.stats().deliveredCopied());
        early.release();
        late.release();
    }

    @Test
    void readWorksInEveryReceiveMode() throws Exception {
        for (final ReceiveTechnique rt : ReceiveTechnique.values()) {
            final ByteStream[] p = pair(new ConnectionContext(), settings().receiveTechnique(rt), settings());
            final CompletableFuture<Void> writes = CompletableFuture.runAsync(() -> {
                try {
                    final ByteBuffer registered = p[1].allocateSendBuffer(70_000);
                    for (int i = 0; i < 5; i++) {
                        final SendTechnique t = SendTechnique.values()[i];
                        p[1].write(t == SendTechnique.DIRECT_DMA ? registered.clear().put(bytes(70_000, i)).flip()
                            : ByteBuffer.wrap(bytes(70_000, i)), t);
                    }
                } catch (final Exception e) {
                    throw new AssertionError(e);
                }
            }, THREADS);
            for (int i = 0; i < 5; i++) {
                assertArrayEquals(bytes(70_000, i), readExactly(p[0], 70_000), rt + " " + SendTechnique.values()[i]);
            }
            writes.get(10, TimeUnit.SECONDS);
            p[0].close();
            p[1].close();
        }
    }
}
